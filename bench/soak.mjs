// A soak of the scheduler against real daemons: SOAK_TARGETS (200) small targets spread
// over three endpoints, the two shared Engines 20.10 of the test environment and an Engine
// 20.10 of the soak's own, which is killed by its PID and restarted twice during each round
// (the shared engines are never killed: other runs may be using them). Repeated SOAK_ROUNDS
// (1) times; SOAK_MAX_PARALLEL builds at once per endpoint. Checks the exit code, that the
// metadata file names an endpoint, platforms and a duration for every target, that every
// local output is there and holds its own target's content, and counts the targets the
// restarted engine built after each restart. Not a timed test:
// run it by hand (`node bench/soak.mjs`) after `scripts/test-env up` and `npm run build`.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPrivateEngine } from "../test/e2e/support/private-engine.mjs";

const root = new URL("..", import.meta.url).pathname;
const bin = join(root, "dist/cli/main.js");
const env = JSON.parse(readFileSync(join(root, ".test-env/env.json"), "utf8"));
const targets = Number(process.env.SOAK_TARGETS ?? 200);
const rounds = Number(process.env.SOAK_ROUNDS ?? 1);
// Builds at once per endpoint (mbake's default when unset). With fewer, work is still queued
// when the restarted engine is back, which is what shows whether it is used again.
const maxParallel = process.env.SOAK_MAX_PARALLEL;
const victim = await startPrivateEngine("soak-victim");
const cleanUp = () => victim.remove();
process.on("SIGINT", () => {
  cleanUp();
  process.exit(130);
});
const endpoints = [...env.engines, victim];

function project(round) {
  const dir = mkdtempSync(join(tmpdir(), "mbake-soak-"));
  const parts = [];
  for (let i = 0; i < targets; i++) {
    const run = `${Date.now()}-${round}-${i}`;
    parts.push(
      `target "t${i}" {\n  dockerfile-inline = "FROM ${env.baseImage} AS b\\nRUN echo ${run} > /x && sleep ${i % 3}\\nFROM scratch\\nCOPY --from=b /x /\\n"\n  output = ["type=local,dest=out/t${i}"]\n}`,
    );
  }
  parts.push(
    `group "default" { targets = [${Array.from({ length: targets }, (_, i) => `"t${i}"`).join(", ")}] }`,
  );
  writeFileSync(join(dir, "docker-bake.hcl"), `${parts.join("\n")}\n`);
  mkdirSync(join(dir, "out"));
  return dir;
}

function killVictim() {
  victim.kill();
  console.log(`soak: killed ${victim.name}`);
  setTimeout(() => {
    victim.start().then(
      () => console.log(`soak: restarted ${victim.name}`),
      (err) => console.log(`soak: ${victim.name} did not start again: ${err.message}`),
    );
  }, 3000);
}

async function round(n) {
  const dir = project(n);
  const started = Date.now();
  const child = spawn(process.execPath, [bin, "--progress=plain", "--metadata-file", "meta.json"], {
    cwd: dir,
    env: {
      ...process.env,
      CI: "true",
      MBAKE_ENDPOINTS: endpoints
        .map((e) => `${e.name}=${e.endpoint}${maxParallel ? `?max-parallel=${maxParallel}` : ""}`)
        .join(" "),
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let done = 0;
  let restarts = 0;
  let log = "";
  let partial = "";
  // Per restart: whether the victim was reported back, and the targets it built after that.
  const afterRestart = [];
  const victimDone = new RegExp(`\\] done on ${victim.name}\\b`);
  child.stderr.on("data", (d) => {
    const text = d.toString();
    log = (log + text).slice(-20000);
    done += (text.match(/\] done on /g) ?? []).length;
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (line.includes(`endpoint ${victim.name} is back`) && restarts > 0)
        afterRestart[restarts - 1] = { back: true, built: 0 };
      else if (victimDone.test(line) && afterRestart[restarts - 1]?.back)
        afterRestart[restarts - 1].built++;
    }
    if (restarts === 0 && done >= targets * 0.2) {
      restarts++;
      killVictim();
    } else if (restarts === 1 && done >= targets * 0.6) {
      restarts++;
      killVictim();
    }
  });
  const code = await new Promise((resolve) => child.on("close", resolve));
  const seconds = (Date.now() - started) / 1000;
  const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8"));
  const missing = [];
  const wrong = [];
  const perEndpoint = {};
  let retries = 0;
  for (let i = 0; i < targets; i++) {
    const m = meta[`t${i}`];
    if (!m?.["mbake.endpoint"] || !m["mbake.platforms"] || m["mbake.duration_ms"] === undefined) {
      missing.push(`t${i}`);
      continue;
    }
    if (!existsSync(join(dir, "out", `t${i}`, "x"))) {
      missing.push(`t${i} (no output)`);
      continue;
    }
    if (!readFileSync(join(dir, "out", `t${i}`, "x"), "utf8").includes(`-${n}-${i}\n`))
      wrong.push(`t${i}`);
    perEndpoint[m["mbake.endpoint"]] = (perEndpoint[m["mbake.endpoint"]] ?? 0) + 1;
    retries += Number(m["mbake.retries"] ?? 0);
  }
  console.log(
    `soak round ${n}: exit ${code}, ${seconds.toFixed(1)} s, ${targets - missing.length}/${targets} targets in the metadata, ${restarts} restarts of ${victim.name}, ${retries} retries, per endpoint ${JSON.stringify(perEndpoint)}, built by ${victim.name} after each restart: ${Array.from({ length: restarts }, (_, i) => afterRestart[i]).map((a) => (a?.back ? a.built : "never back")).join(", ") || "-"}, outputs with another target's content: ${wrong.length}${wrong.length ? ` (${wrong.slice(0, 10).join(", ")})` : ""}`,
  );
  if (code !== 0 || missing.length > 0 || wrong.length > 0) {
    console.log(
      `soak: missing ${missing.slice(0, 20).join(", ")}\n--- last output ---\n${log.slice(-4000)}`,
    );
    return false;
  }
  return true;
}

let ok = true;
try {
  for (let n = 1; n <= rounds; n++) {
    // Each round starts with the victim up (a restart of the last round may still be under way).
    await new Promise((r) => setTimeout(r, 4000));
    ok = (await round(n)) && ok;
  }
} finally {
  cleanUp();
}
process.exit(ok ? 0 : 1);
