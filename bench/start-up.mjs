/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text */
// Start-up against buildx: `bake --print` of examples/cross. Whole processes, run in
// turn (mbake, buildx, mbake, ...), medians and the median of the pair ratios. Needs
// MBAKE_BUILDX, as .test-env/env.sh sets it. The builds against buildx: bench/vs-buildx.mjs.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timed(command, args, opts) {
  const t0 = performance.now();
  const r = spawnSync(command, args, { ...opts, stdio: ["ignore", "ignore", "pipe"] });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${r.stderr}`);
  return performance.now() - t0;
}

/** Runs A and B in turn `runs` times after one warm-up each; medians and the median ratio. */
function paired(a, b, runs) {
  a();
  b();
  const as = [];
  const bs = [];
  const ratios = [];
  for (let i = 0; i < runs; i++) {
    const ta = a();
    const tb = b();
    as.push(ta);
    bs.push(tb);
    ratios.push(ta / tb);
  }
  return { a: median(as), b: median(bs), ratio: median(ratios) };
}

export function startUpBench({ root, bin, runs }) {
  const buildx = process.env.MBAKE_BUILDX;
  if (!buildx) {
    console.log(
      "start-up against buildx: skipped (MBAKE_BUILDX is not set; source .test-env/env.sh)",
    );
    return;
  }
  const fmt = (ms) => `${ms.toFixed(0)} ms`.padStart(8);
  const row = (name, r) =>
    console.log(`${name.padEnd(34)} mbake ${fmt(r.a)}  buildx ${fmt(r.b)}  ${r.ratio.toFixed(2)}x`);

  const cross = join(root, "examples/cross");
  const dockerConfig = mkdtempSync(join(tmpdir(), "mbake-bench-docker-"));
  row(
    "bake --print (examples/cross)",
    paired(
      () => timed(process.execPath, [bin, "--print"], { cwd: cross }),
      () =>
        timed(buildx, ["bake", "--print"], {
          cwd: cross,
          env: { ...process.env, DOCKER_CONFIG: dockerConfig },
        }),
      runs,
    ),
  );
}
