// Records the events of a real run (mbake --progress=rawjson) on the test environment
// as a fixture for the progress tests: two targets per endpoint, a cached step, a
// failing step and a retry (the first endpoint sits behind a proxy that is cut mid-build).
//
//   scripts/test-env up && npm run build && node scripts/record-progress.mjs
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const env = JSON.parse(readFileSync(join(root, ".test-env/env.json"), "utf8"));
const [a, b] = env.engines;
const dir = mkdtempSync(join(tmpdir(), "mbake-record-"));
const proxy = join(dir, "proxy.sock");
const socat = spawn("socat", [`UNIX-LISTEN:${proxy},fork`, `UNIX-CONNECT:${a.socketPath}`], {
  detached: true,
  stdio: "ignore",
});
for (let i = 0; i < 50 && !existsSync(proxy); i++) await new Promise((r) => setTimeout(r, 100));
const inline = (lines) => JSON.stringify(`${lines.join("\n")}\n`);
const salt = Date.now().toString(36);
writeFileSync(
  join(dir, "docker-bake.hcl"),
  [
    `target "cached" {\n  dockerfile-inline = ${inline([`FROM ${env.baseImage}`, "RUN echo always-the-same > /x"])}\n}`,
    `target "logs" {\n  dockerfile-inline = ${inline([`FROM ${env.baseImage}`, `RUN for i in 1 2 3; do echo line-$i-${salt}; done`])}\n}`,
    `target "failing" {\n  dockerfile-inline = ${inline([`FROM ${env.baseImage}`, `RUN echo about-to-fail-${salt} && exit 3`])}\n}`,
    `target "moved" {\n  platforms = ["linux/amd64"]\n  dockerfile-inline = ${inline([`FROM ${env.baseImage}`, `RUN echo slow-${salt} && sleep 3`])}\n}`,
    'group "default" { targets = ["cached", "logs", "failing", "moved"] }',
  ].join("\n"),
);
// Warm the cache of "cached" first.
spawnSync(process.execPath, [join(root, "dist/cli/main.js"), "--progress=quiet", "cached"], {
  cwd: dir,
  env: { ...process.env, MBAKE_ENDPOINTS: `${b.name}=${b.endpoint}` },
});
const child = spawn(process.execPath, [join(root, "dist/cli/main.js"), "--progress=rawjson"], {
  cwd: dir,
  env: {
    ...process.env,
    MBAKE_ENDPOINTS: `flaky=unix://${proxy}?platforms=linux/amd64 ${b.name}=${b.endpoint}?platforms=linux/arm64`,
  },
  stdio: ["ignore", "pipe", "inherit"],
});
let out = "";
let cut = false;
child.stdout.on("data", (d) => {
  out += d.toString();
  if (!cut && /"type":"job-status"[^\n]*"endpoint":"flaky"[^\n]*sleep 3/.test(out)) {
    cut = true;
    process.kill(-socat.pid, "SIGKILL");
  }
});
await new Promise((r) => child.on("close", r));
if (!cut) process.kill(-socat.pid, "SIGKILL");
const target = join(root, "test/fixtures/progress/recorded-run.jsonl");
writeFileSync(target, out);
console.error(
  `recorded ${out.split("\n").filter(Boolean).length} events to ${target} (proxy cut: ${cut})`,
);
