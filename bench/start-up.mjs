/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text */
// Start-up against buildx: `bake --print` of examples/cross, and a fully cached
// one-target build on the modern Engine (buildx through its docker driver, mbake on the
// same socket). Whole processes, run in turn (mbake, buildx, mbake, ...), medians and the
// median of the pair ratios. Needs MBAKE_BUILDX (and MBAKE_MODERN_ENDPOINT for the build),
// as .test-env/env.sh sets them; prints one MBAKE_TRACE=1 run to show where mbake's time goes.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
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

  const modern = process.env.MBAKE_MODERN_ENDPOINT?.replace(/^[^=]*=/, "");
  if (!modern) {
    console.log("cached one-target build: skipped (MBAKE_MODERN_ENDPOINT is not set)");
    return;
  }
  const work = mkdtempSync(join(tmpdir(), "mbake-bench-one-"));
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, "hello"), "hello\n");
  writeFileSync(
    join(work, "Dockerfile"),
    "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY hello /hello\n",
  );
  writeFileSync(
    join(work, "docker-bake.hcl"),
    `target "one" {\n  args = { BASE_IMAGE = "${process.env.BASE_IMAGE ?? "busybox:latest"}" }\n  output = ["type=cacheonly"]\n}\n`,
  );
  const env = { ...process.env, DOCKER_HOST: modern, DOCKER_CONFIG: dockerConfig };
  const mbakeArgs = [bin, "--endpoint", modern, "--progress", "quiet", "one"];
  row(
    "cached one-target build",
    paired(
      () => timed(process.execPath, mbakeArgs, { cwd: work, env }),
      () => timed(buildx, ["bake", "--progress", "quiet", "one"], { cwd: work, env }),
      runs,
    ),
  );
  const traced = spawnSync(process.execPath, mbakeArgs, {
    cwd: work,
    env: { ...env, MBAKE_TRACE: "1" },
    encoding: "utf8",
  });
  console.log(
    `mbake's phases in one cached build (MBAKE_TRACE=1):\n${traced.stderr
      .split("\n")
      .filter((l) => l.startsWith("mbake trace: "))
      .map((l) => `  ${l.slice("mbake trace: ".length)}`)
      .join("\n")}`,
  );
}
