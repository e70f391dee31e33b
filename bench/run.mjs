/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL source text is written in plain strings */
// `npm run bench`: how fast mbake reads and prints bake files, as ratios to a bare
// `node -e 0` and to HashiCorp's parser compiled to JavaScript (hcl2-parser); with the
// test environment (source .test-env/env.sh), the rows of issue 16's table against the
// reference buildx on the same daemon (bench/vs-buildx.mjs), parallel builds on two
// Engines, and the placement bench. BENCH_TAR=1 adds the context upload against
// tar|cat on Engine 20.10 (bench/context-upload.mjs, several minutes).
// Medians of several runs; needs `npm run build` first.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { contextUploadBench } from "./context-upload.mjs";
import { startUpBench } from "./start-up.mjs";
import { bigBakeFile, vsBuildxBench } from "./vs-buildx.mjs";

const root = new URL("..", import.meta.url).pathname;
const bin = join(root, "dist/cli/main.js");
if (!existsSync(bin)) {
  console.error("bench: dist/ is missing; run `npm run build` first");
  process.exit(1);
}
const runs = Number(process.env.BENCH_RUNS ?? 7);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeCommand(args, cwd) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
    if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr}`);
    times.push(performance.now() - t0);
  }
  return median(times);
}

const dir = mkdtempSync(join(tmpdir(), "mbake-bench-"));
writeFileSync(join(dir, "docker-bake.hcl"), 'target "app" {\n  tags = ["app:1"]\n}\n');
const big = bigBakeFile();
writeFileSync(join(dir, "big.hcl"), big);

const baseline = timeCommand(["-e", "0"], dir);
const version = timeCommand([bin, "--version"], dir);
const printSmall = timeCommand([bin, "--print", "app"], dir);
const printBig = timeCommand([bin, "-f", "big.hcl", "--print"], dir);

// In-process parse: ours against hcl2-parser (load + parse).
const { parseHcl } = await import(join(root, "dist/hcl/parse.js"));
const parseTimes = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  parseHcl({ name: "big.hcl", text: big });
  parseTimes.push(performance.now() - t0);
}
const refLoad = timeCommand(["-e", "require('hcl2-parser')"], root);
const require = createRequire(join(root, "package.json"));
const hcl2 = require("hcl2-parser");
const refTimes = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  hcl2.parseToObject(big);
  refTimes.push(performance.now() - t0);
}

const fmt = (ms) => `${ms.toFixed(1)} ms`;
const rows = [
  ["node -e 0 (baseline)", baseline, 1],
  ["mbake --version", version, version / baseline],
  ["mbake --print (1 target)", printSmall, printSmall / baseline],
  ["mbake --print (1,000 targets)", printBig, printBig / baseline],
];
console.log(`runs: ${runs} (median)`);
for (const [name, ms, ratio] of rows)
  console.log(`${name.padEnd(34)} ${fmt(ms).padStart(10)}  ${ratio.toFixed(2)}x baseline`);
const ours = median(parseTimes);
const theirs = median(refTimes);
console.log(`${"parse 1,000 targets: mbake".padEnd(34)} ${fmt(ours).padStart(10)}`);
console.log(
  `${"parse 1,000 targets: hcl2-parser".padEnd(34)} ${fmt(theirs).padStart(10)}  (${(theirs / ours).toFixed(1)}x mbake's time)`,
);
console.log(
  `${"load hcl2-parser (process)".padEnd(34)} ${fmt(refLoad).padStart(10)}  ${(refLoad / baseline).toFixed(2)}x baseline`,
);

// Start-up against buildx (--print of examples/cross), where buildx is given.
startUpBench({ root, bin, runs });
// Issue 16's table against buildx on the same daemon, and --print of 1,000 targets.
// The rows against buildx start mbake as users do: the installed command (dist/bin/mbake).
await vsBuildxBench({ root, bin: join(root, "dist/bin/mbake") });

// Builds on the test environment's two Engines: 8 independent CPU-bound targets on one
// endpoint and on two (start it with scripts/test-env up; skipped when it is not up).
const envFile = join(root, ".test-env", "env.json");
if (!existsSync(envFile)) {
  console.log(
    "parallel builds, context upload: skipped (no test environment; run scripts/test-env up)",
  );
} else {
  const testEnv = JSON.parse(readFileSync(envFile, "utf8"));
  const [a, b] = testEnv.engines;
  const work = mkdtempSync(join(tmpdir(), "mbake-bench-build-"));
  const targets = Array.from({ length: 8 }, (_, i) => i);
  const bakeFor = (salt) =>
    `${targets
      .map(
        (i) =>
          `target "cpu${i}" {\n  dockerfile-inline = "FROM ${testEnv.baseImage}\\nRUN echo ${salt}-${i} && i=0 && while [ $i -lt 300000 ]; do i=$((i+1)); done\\n"\n}`,
      )
      .join(
        "\n",
      )}\ngroup "default" { targets = [${targets.map((i) => `"cpu${i}"`).join(", ")}] }\n`;
  const timeRun = (endpoints, salt) => {
    writeFileSync(join(work, "docker-bake.hcl"), bakeFor(salt));
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [bin, "--progress=quiet", "--metadata-file", "meta.json"],
      {
        cwd: work,
        env: { ...process.env, MBAKE_ENDPOINTS: endpoints, CI: "true" },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    if (r.status !== 0) throw new Error(`bench build failed: ${r.stderr}`);
    const wall = performance.now() - t0;
    const meta = JSON.parse(readFileSync(join(work, "meta.json"), "utf8"));
    const inDaemon = Object.values(meta).reduce((sum, m) => sum + (m["mbake.duration_ms"] ?? 0), 0);
    return { wall, inDaemon };
  };
  const salt = Date.now().toString(36);
  // One build at a time per endpoint, so the comparison shows what a second daemon adds
  // (both Engines share this machine's cores; on separate machines the gain is larger).
  const one = timeRun(`${a.name}=${a.endpoint}?max-parallel=1`, `${salt}-one`);
  const two = timeRun(
    `${a.name}=${a.endpoint}?max-parallel=1 ${b.name}=${b.endpoint}?max-parallel=1`,
    `${salt}-two`,
  );
  console.log(`8 CPU-bound targets, 1 endpoint x1       ${fmt(one.wall).padStart(10)}`);
  console.log(
    `8 CPU-bound targets, 2 endpoints x1       ${fmt(two.wall).padStart(10)}  speed-up ${(one.wall / two.wall).toFixed(2)}x`,
  );
  // With one endpoint the builds run one after another: what is not build time is mbake's.
  const overhead = Math.max(0, one.wall - one.inDaemon) / targets.length;
  console.log(`mbake's own time per target (approx.)      ${fmt(overhead).padStart(10)}`);

  // Context upload: 1 GiB of large files and 50,000 small files, against tar|cat.
  if (process.env.BENCH_TAR === "1") await contextUploadBench(testEnv);
  else console.log("context upload against tar|cat: skipped (BENCH_TAR=1 runs it)");
}

// Placement: simulated endpoints, makespan against its lower bound (bench/placement.mjs).
const { placementBench } = await import("./placement.mjs");
await placementBench();
