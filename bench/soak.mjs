// A soak of the scheduler against real daemons: SOAK_TARGETS (200) small targets spread
// over every endpoint of the test environment (the two Engines 20.10 and the modern one
// when it is up), while one endpoint is killed by its PID and restarted twice during the
// run. Repeated SOAK_ROUNDS (1) times. Checks the exit code and that the metadata file
// names an endpoint, platforms and a duration for every target. Not a timed test: run it
// by hand (`node bench/soak.mjs`) after `scripts/test-env up` and `npm run build`.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const bin = join(root, "dist/cli/main.js");
const env = JSON.parse(readFileSync(join(root, ".test-env/env.json"), "utf8"));
const endpoints = [...env.engines, ...(env.modernEngine ? [env.modernEngine] : [])];
const targets = Number(process.env.SOAK_TARGETS ?? 200);
const rounds = Number(process.env.SOAK_ROUNDS ?? 1);
const victim = endpoints[1];

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
  const pid = Number(readFileSync(join(victim.socketPath, "..", "docker.pid"), "utf8"));
  process.kill(pid, "SIGKILL");
  console.log(`soak: killed ${victim.name} (pid ${pid})`);
  setTimeout(() => {
    execFileSync(join(root, "scripts/test-env"), ["up"], { stdio: "ignore" });
    console.log(`soak: restarted ${victim.name}`);
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
      MBAKE_ENDPOINTS: endpoints.map((e) => `${e.name}=${e.endpoint}`).join(" "),
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let done = 0;
  let restarts = 0;
  let log = "";
  child.stderr.on("data", (d) => {
    const text = d.toString();
    log = (log + text).slice(-20000);
    done += (text.match(/\] done on /g) ?? []).length;
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
  const perEndpoint = {};
  let retries = 0;
  for (let i = 0; i < targets; i++) {
    const m = meta[`t${i}`];
    if (!m?.["mbake.endpoint"] || !m["mbake.platforms"] || m["mbake.duration_ms"] === undefined) {
      missing.push(`t${i}`);
      continue;
    }
    perEndpoint[m["mbake.endpoint"]] = (perEndpoint[m["mbake.endpoint"]] ?? 0) + 1;
    retries += Number(m["mbake.retries"] ?? 0);
  }
  console.log(
    `soak round ${n}: exit ${code}, ${seconds.toFixed(1)} s, ${targets - missing.length}/${targets} targets in the metadata, ${restarts} restarts of ${victim.name}, ${retries} retries, per endpoint ${JSON.stringify(perEndpoint)}`,
  );
  if (code !== 0 || missing.length > 0) {
    console.log(
      `soak: missing ${missing.slice(0, 20).join(", ")}\n--- last output ---\n${log.slice(-4000)}`,
    );
    return false;
  }
  return true;
}

let ok = true;
for (let n = 1; n <= rounds; n++) ok = (await round(n)) && ok;
process.exit(ok ? 0 : 1);
