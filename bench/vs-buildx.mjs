/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile and HCL text */
// The rows of issue 16's table, mbake against the reference buildx on the same daemon:
// the modern Engine of the test environment, buildx through its docker driver and mbake
// on the same socket. Whole processes, run in turn (mbake, buildx, mbake, ...) after one
// warm-up each; medians of each and the median of the pair ratios (pairing keeps the ratio
// meaningful on a machine whose speed drifts). Rows:
//   one fully cached target; 20 cached targets in one group;
//   a context of 20,000 files of 1-4 KiB, all re-sent; a context of 256 MiB in 4 files, all
//   re-sent (before every run, timed or not, the first bytes of every file are rewritten,
//   so both tools send everything again and COPY is no cache hit);
//   `--print` of a generated bake file of 1,000 targets (no daemon).
// Needs MBAKE_BUILDX, MBAKE_MODERN_ENDPOINT and BASE_IMAGE (source .test-env/env.sh).
// BENCH_RUNS (default 7) pairs for the short rows, BENCH_UPLOAD_RUNS (default 3) for uploads.
// Usage: npm run build && node bench/vs-buildx.mjs (also run by `npm run bench`).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

const MiB = 1024 * 1024;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** How to start mbake: the installed command (dist/bin/mbake, a shell launcher) as users do, or a script under Node. */
function mbake(bin, args) {
  return bin.endsWith(".js") ? [process.execPath, [bin, ...args]] : [bin, args];
}

function timed(command, args, opts) {
  const t0 = performance.now();
  const r = spawnSync(command, args, { ...opts, stdio: ["ignore", "ignore", "pipe"] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${r.stderr}`);
  return ms;
}

/**
 * A and B in turn `runs` times after one warm-up each; `before` runs untimed before each.
 * Which goes first alternates from pair to pair: on a daemon, the second of a pair can pay
 * for the first's work (disk write-back after a large upload, cache bookkeeping).
 */
function paired(a, b, runs, before = () => {}) {
  before();
  a();
  before();
  b();
  const as = [];
  const bs = [];
  const ratios = [];
  const timedRun = (fn) => {
    before();
    return fn();
  };
  for (let i = 0; i < runs; i++) {
    let ta;
    let tb;
    if (i % 2 === 0) {
      ta = timedRun(a);
      tb = timedRun(b);
    } else {
      tb = timedRun(b);
      ta = timedRun(a);
    }
    as.push(ta);
    bs.push(tb);
    ratios.push(ta / tb);
  }
  return { a: median(as), b: median(bs), ratio: median(ratios), runs };
}

/** A bake file of 1,000 targets: 500 with inherits and functions, 500 from matrices. */
export function bigBakeFile() {
  const parts = [
    'variable "TAG" { default = "dev" }',
    'function "img" {\n  params = [n]\n  result = "registry.example/${n}:${TAG}"\n}',
    'target "_base" {\n  args = { GO = "1.22" }\n  platforms = ["linux/amd64"]\n}',
  ];
  for (let i = 0; i < 500; i++) {
    parts.push(
      `target "svc${i}" {\n  inherits = ["_base"]\n  context = "services/svc${i}"\n  tags = [img("svc${i}"), "svc${i}:${"$"}{TAG}"]\n  args = { INDEX = "${i}" }\n}`,
    );
  }
  for (let i = 0; i < 50; i++) {
    parts.push(
      `target "m${i}" {\n  matrix = { v = [${Array.from({ length: 10 }, (_, j) => `"${j}"`).join(", ")}] }\n  name = "m${i}-${"$"}{v}"\n  args = { V = v }\n  tags = [img("m${i}-${"$"}{v}")]\n}`,
    );
  }
  parts.push(
    `group "default" { targets = [${Array.from({ length: 500 }, (_, i) => `"svc${i}"`).join(", ")}] }`,
  );
  return `${parts.join("\n\n")}\n`;
}

/** New bytes at the start of every file (and so a new mtime): the next build sends all. */
function touchAll(files) {
  const stamp = randomBytes(16);
  for (const path of files) {
    const fd = openSync(path, "r+");
    writeSync(fd, stamp, 0, stamp.length, 0);
    closeSync(fd);
  }
}

function smallFiles(dir) {
  const files = [];
  for (let d = 0; d < 100; d++) {
    const sub = join(dir, `d${String(d).padStart(3, "0")}`);
    mkdirSync(sub);
    for (let i = 0; i < 200; i++) {
      const path = join(sub, `f${String(i).padStart(3, "0")}.txt`);
      writeFileSync(path, randomBytes(1024 + Math.floor(Math.random() * 3073)));
      files.push(path);
    }
  }
  return files;
}

function largeFiles(dir) {
  const files = [];
  for (let i = 0; i < 4; i++) {
    const path = join(dir, `blob-${i}.bin`);
    const fd = openSync(path, "w");
    for (let done = 0; done < 64 * MiB; done += 4 * MiB) writeSync(fd, randomBytes(4 * MiB));
    closeSync(fd);
    files.push(path);
  }
  return files;
}

/** A project folder whose targets write no image (cacheonly), as both tools build it. */
function project(work, name, dockerfile, targets) {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "Dockerfile"), dockerfile);
  writeFileSync(
    join(dir, "docker-bake.hcl"),
    `${targets
      .map(
        (t) =>
          `target "${t.name}" {\n  args = { ${Object.entries(t.args)
            .map(([k, v]) => `${k} = "${v}"`)
            .join(", ")} }\n  output = ["type=cacheonly"]\n}\n`,
      )
      .join(
        "",
      )}group "default" {\n  targets = [${targets.map((t) => `"${t.name}"`).join(", ")}]\n}\n`,
  );
  return dir;
}

export async function vsBuildxBench({ root, bin, log = console.log }) {
  const buildx = process.env.MBAKE_BUILDX;
  const modern = process.env.MBAKE_MODERN_ENDPOINT?.replace(/^[^=]*=/, "");
  const base = process.env.BASE_IMAGE ?? "busybox:latest";
  const runs = Number(process.env.BENCH_RUNS ?? 7);
  const uploadRuns = Number(process.env.BENCH_UPLOAD_RUNS ?? 3);
  if (!buildx) {
    log("mbake against buildx: skipped (MBAKE_BUILDX is not set; source .test-env/env.sh)");
    return;
  }
  const work = mkdtempSync(join(tmpdir(), "mbake-bench-vs-"));
  const dockerConfig = join(work, "docker-config");
  mkdirSync(dockerConfig);
  const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`.padStart(8);
  log(
    `mbake against buildx ${modern ? "on the same daemon (the modern Engine; buildx's docker driver)" : "(no daemon)"}: whole processes, in turn, medians; ratio = median of pair ratios`,
  );
  log(`${"work".padEnd(50)} ${"buildx".padStart(8)} ${"mbake".padStart(8)}  ratio  pairs`);
  const row = (name, r) =>
    log(`${name.padEnd(50)} ${fmt(r.b)} ${fmt(r.a)}  ${r.ratio.toFixed(2)}x  ${r.runs}`);
  const onSignal = () => {
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  let client;
  let before;
  try {
    // --print of 1,000 targets (issue 11: at most 0.5x buildx's time).
    const printDir = join(work, "print");
    mkdirSync(printDir);
    writeFileSync(join(printDir, "big.hcl"), bigBakeFile());
    row(
      "--print of 1,000 generated targets",
      paired(
        () => timed(...mbake(bin, ["-f", "big.hcl", "--print"]), { cwd: printDir }),
        () =>
          timed(buildx, ["bake", "-f", "big.hcl", "--print"], {
            cwd: printDir,
            env: { PATH: process.env.PATH, HOME: work, DOCKER_CONFIG: dockerConfig },
          }),
        runs,
      ),
    );
    if (!modern) {
      log("builds against buildx: skipped (MBAKE_MODERN_ENDPOINT is not set)");
      return;
    }
    const env = { ...process.env, DOCKER_HOST: modern, DOCKER_CONFIG: dockerConfig };
    const both = (cwd, args, n, prepare) =>
      paired(
        () => timed(...mbake(bin, ["--endpoint", modern, "--progress", "quiet", ...args]), { cwd, env }),
        () => timed(buildx, ["bake", "--progress", "quiet", ...args], { cwd, env }),
        n,
        prepare,
      );
    const { BuildkitClient } = await import(
      pathToFileURL(join(root, "dist/buildkit/client.js")).href
    );
    client = await BuildkitClient.connect(modern);
    before = new Set((await client.diskUsage()).map((r) => r.id));

    const cached =
      "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nARG N\nCOPY hello /hello\nRUN echo $N > /n\n";
    const one = project(work, "one", cached, [{ name: "one", args: { BASE_IMAGE: base, N: "0" } }]);
    writeFileSync(join(one, "hello"), "hello\n");
    row("one fully cached target", both(one, ["one"], runs));
    const traced = spawnSync(...mbake(bin, ["--endpoint", modern, "--progress", "quiet", "one"]), {
      cwd: one,
      env: { ...env, MBAKE_TRACE: "1" },
      encoding: "utf8",
    });
    log(
      `  mbake's phases in one such run (MBAKE_TRACE=1): ${traced.stderr
        .split("\n")
        .filter((l) => l.startsWith("mbake trace: "))
        .map((l) => l.slice("mbake trace: ".length).replace(/ unix:\/\/\S+/, ""))
        .join(", ")}`,
    );

    const twentyTargets = Array.from({ length: 20 }, (_, i) => ({
      name: `t${i}`,
      args: { BASE_IMAGE: base, N: String(i) },
    }));
    const twenty = project(work, "twenty", cached, twentyTargets);
    writeFileSync(join(twenty, "hello"), "hello\n");
    row("20 cached targets in one group", both(twenty, [], runs));

    const copyAll = "FROM scratch\nCOPY . /ctx\n";
    const small = project(work, "small", copyAll, [{ name: "ctx", args: {} }]);
    const sf = smallFiles(small);
    row(
      "context of 20,000 files of 1-4 KiB, all re-sent",
      both(small, ["ctx"], uploadRuns, () => touchAll(sf)),
    );
    rmSync(small, { recursive: true, force: true });

    const large = project(work, "large", copyAll, [{ name: "ctx", args: {} }]);
    const lf = largeFiles(large);
    row(
      "context of 256 MiB in 4 files, all re-sent",
      both(large, ["ctx"], uploadRuns, () => touchAll(lf)),
    );
  } finally {
    process.removeListener("SIGINT", onSignal);
    rmSync(work, { recursive: true, force: true });
    if (client) {
      const { pruneOwnCache } = await import("./context-upload.mjs");
      if (before) await pruneOwnCache(client, before, 1e6).catch(() => {});
      await client.close();
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  // BENCH_MBAKE_BIN: another build of mbake (e.g. of an older commit) to compare.
  await vsBuildxBench({ root, bin: process.env.BENCH_MBAKE_BIN ?? join(root, "dist/bin/mbake") });
}
