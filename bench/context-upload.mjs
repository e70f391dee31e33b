// Context upload: how fast mbake sends a build context to BuildKit (FileSync.DiffCopy),
// as a ratio to `tar -cf - DIR | cat >/dev/null` on the same warm directory.
// Two contexts: 1 GiB in 8 files of 128 MiB, and 50,000 small files in 250 folders.
// Each is built with `FROM scratch / COPY . /ctx` and no exporter (cacheonly) on the
// test environment's first Engine; medians of 3. Before every measured build the first
// bytes of every file are rewritten, so the whole context goes over the wire again (BuildKit
// re-sends only files whose size or mtime changed) and COPY is not a cache hit; both are
// checked from the status stream. The build time includes the daemon's start of the solve
// and the COPY itself; the daemon's own timing of the transfer step is printed under it.
// Usage: npm run build && node bench/context-upload.mjs (also run by `npm run bench`).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const MiB = 1024 * 1024;
const RUNS = 3;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Writes `size` bytes of random data to `path`, 4 MiB at a time. */
function writeRandomFile(path, size) {
  const fd = openSync(path, "w");
  try {
    for (let done = 0; done < size; ) {
      const chunk = randomBytes(Math.min(4 * MiB, size - done));
      writeSync(fd, chunk);
      done += chunk.length;
    }
  } finally {
    closeSync(fd);
  }
}

function makeLargeContext(dir) {
  const files = [];
  for (let i = 0; i < 8; i++) {
    const path = join(dir, `blob-${i}.bin`);
    writeRandomFile(path, 128 * MiB);
    files.push(path);
  }
  return { files, bytes: 8 * 128 * MiB };
}

function makeSmallContext(dir) {
  const files = [];
  let bytes = 0;
  for (let d = 0; d < 250; d++) {
    const sub = join(dir, `d${String(d).padStart(3, "0")}`);
    mkdirSync(sub);
    // One random buffer per folder, sliced into 200 files of 1-4 KiB.
    const sizes = Array.from({ length: 200 }, () => 1024 + Math.floor(Math.random() * 3073));
    const data = randomBytes(sizes.reduce((a, b) => a + b, 0));
    let at = 0;
    sizes.forEach((size, i) => {
      const path = join(sub, `f${String(i).padStart(3, "0")}.txt`);
      const fd = openSync(path, "w");
      writeSync(fd, data, at, size);
      closeSync(fd);
      files.push(path);
      at += size;
      bytes += size;
    });
  }
  return { files, bytes };
}

/** New content at the start of every file (and so a new mtime): the next build re-sends all. */
function touchAll(files) {
  const stamp = Buffer.from(randomBytes(16));
  for (const path of files) {
    const fd = openSync(path, "r+");
    writeSync(fd, stamp, 0, stamp.length, 0);
    closeSync(fd);
  }
}

/** Median wall time of `tar -cf - DIR | cat >/dev/null`, after one unmeasured run. */
function timeTar(dir) {
  const run = () => {
    const t0 = performance.now();
    const r = spawnSync("sh", ["-c", `tar -cf - ${basename(dir)} | cat >/dev/null`], {
      cwd: dirname(dir),
      stdio: ["ignore", "ignore", "pipe"],
    });
    if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
    return performance.now() - t0;
  };
  run();
  return median(Array.from({ length: RUNS }, run));
}

function buildSpec(contextDir) {
  return {
    contextDir,
    dockerfile: { kind: "inline", text: "FROM scratch\nCOPY . /ctx\n" },
    args: {},
    labels: {},
    platforms: [],
    output: { type: "cacheonly" },
    tags: [],
    cacheFrom: [],
    cacheTo: [],
    secrets: [],
    noCache: false,
    noCacheFilter: [],
    pull: false,
    ulimits: [],
    extraHosts: [],
    namedContexts: {},
  };
}

/** One build: wall time, the daemon's context-transfer step, bytes it received, COPY cached? */
async function timeBuild(client, dir) {
  const vertexes = new Map();
  const transferred = new Map();
  const t0 = performance.now();
  await client.build(buildSpec(dir), {
    signal: new AbortController().signal,
    env: {},
    onStatus: (s) => {
      for (const v of s.vertexes) vertexes.set(v.digest, v);
      for (const p of s.statuses)
        if (p.id.startsWith("transferring context")) transferred.set(p.vertex, p.current);
    },
  });
  const ms = performance.now() - t0;
  const all = [...vertexes.values()];
  const copy = all.find((v) => v.name.includes("COPY . /ctx"));
  const load = all.find((v) => v.name === "[internal] load build context");
  if (!copy || !load) throw new Error("context upload bench: steps missing from the status stream");
  return {
    ms,
    transferMs: load.started && load.completed ? load.completed - load.started : Number.NaN,
    bytes: transferred.get(load.digest) ?? 0,
    cached: copy.cached,
  };
}

async function measure(client, dir, files, contextBytes) {
  const tar = timeTar(dir);
  const builds = [];
  for (let i = 0; i < RUNS; i++) {
    touchAll(files);
    const b = await timeBuild(client, dir);
    if (b.cached) throw new Error("context upload bench: COPY . /ctx was a cache hit");
    if (b.bytes < contextBytes)
      throw new Error(
        `context upload bench: only ${b.bytes} of ${contextBytes} bytes were transferred`,
      );
    builds.push(b);
  }
  const again = await timeBuild(client, dir);
  return {
    tar,
    mbake: median(builds.map((b) => b.ms)),
    transfer: median(builds.map((b) => b.transferMs)),
    again,
  };
}

/**
 * Removes the build cache these builds left on the daemon (a copy of each context and
 * each COPY result, several GB): records that were not there before, of the two kinds
 * these builds make (the step's name on newer daemons), of at least `minBytes` (the test suites' records are far smaller).
 */
export async function pruneOwnCache(client, before, minBytes = 50e6) {
  const mine = (await client.diskUsage()).filter(
    (r) =>
      !before.has(r.id) &&
      !r.inUse &&
      r.size >= minBytes &&
      (r.description === "fileop target" ||
        r.description === "local source for context" ||
        // The modern Engine names the COPY's record after the step.
        r.description.endsWith("COPY . /ctx")),
  );
  if (mine.length === 0) return;
  await new Promise((resolve, reject) => {
    const stream = client.control.raw.Prune({
      filter: mine.map((r) => `id==${r.id}`),
      all: true,
      keepDuration: "0",
      keepBytes: "0",
    });
    stream.on("data", () => {});
    stream.on("error", reject);
    stream.on("end", resolve);
  });
}

const seconds = (ms) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
const thousands = (n) => Math.round(n).toLocaleString("en-US");
const detail = (r) =>
  `  daemon's "load build context" step ${seconds(r.transfer)} of that; unchanged re-upload ${seconds(r.again.ms)} (${thousands(r.again.bytes)} bytes sent, COPY ${r.again.cached ? "cached" : "not cached"})`;

/** Runs the context-upload benchmark on the test environment's first Engine. */
export async function contextUploadBench(testEnv, log = console.log) {
  const { BuildkitClient } = await import(
    pathToFileURL(join(root, "dist/buildkit/client.js")).href
  );
  const work = mkdtempSync(join(tmpdir(), "mbake-bench-upload-"));
  const onSignal = () => {
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  let client;
  let before;
  try {
    client = await BuildkitClient.connect(testEnv.engines[0].endpoint);
    before = new Set((await client.diskUsage()).map((r) => r.id));

    const large = join(work, "large");
    mkdirSync(large);
    const l = makeLargeContext(large);
    const lr = await measure(client, large, l.files, l.bytes);
    const mbps = (ms) => `${thousands(l.bytes / 1e6 / (ms / 1000))} MB/s`;
    log(
      `context upload 1 GiB (8 files): mbake ${seconds(lr.mbake)} = ${mbps(lr.mbake)}; tar|cat ${seconds(lr.tar)} = ${mbps(lr.tar)}; ratio ${(lr.tar / lr.mbake).toFixed(2)}x`,
    );
    log(detail(lr));
    rmSync(large, { recursive: true, force: true });

    const small = join(work, "small");
    mkdirSync(small);
    const s = makeSmallContext(small);
    const sr = await measure(client, small, s.files, s.bytes);
    const fps = (ms) => `${thousands(s.files.length / (ms / 1000))} files/s`;
    log(
      `context upload ${thousands(s.files.length)} files (1-4 KiB): mbake ${seconds(sr.mbake)} = ${fps(sr.mbake)}; tar|cat ${seconds(sr.tar)} = ${fps(sr.tar)}; ratio ${(sr.tar / sr.mbake).toFixed(2)}x`,
    );
    log(detail(sr));
  } finally {
    process.removeListener("SIGINT", onSignal);
    rmSync(work, { recursive: true, force: true });
    if (client) {
      if (before) await pruneOwnCache(client, before).catch(() => {});
      await client.close();
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const envFile = join(root, ".test-env", "env.json");
  if (!existsSync(join(root, "dist/buildkit/client.js"))) {
    console.error("bench: dist/ is missing; run `npm run build` first");
    process.exit(1);
  }
  if (!existsSync(envFile)) {
    console.log("context upload: skipped (no test environment; run scripts/test-env up)");
  } else {
    await contextUploadBench(JSON.parse(readFileSync(envFile, "utf8")));
  }
}
