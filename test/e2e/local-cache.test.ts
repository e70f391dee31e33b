import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMbake } from "../cli/run-mbake.js";
import { copyImageToLayout } from "./support/oci-layout.js";
import { stepEndings } from "./support/plain-steps.js";
import { testEnv } from "./test-env.js";

const env = testEnv();
const [engineA, engineB] = env.engines;

function project(bake: string): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-localcache-"));
  writeFileSync(join(dir, "docker-bake.hcl"), bake);
  return dir;
}

describe("local cache (cache-from type=local) through the session's content store", () => {
  it("imports cache from an OCI layout folder on another Engine: the step is CACHED and its result reused", async () => {
    const run = Date.now().toString(36);
    const dockerfile = `FROM ${env.baseImage}\\nRUN echo ${run}-$(date +%s%N) > /result\\n`;
    const dir = project(
      `target "seed" {\n  dockerfile-inline = "${dockerfile}"\n  tags = ["${env.registry}/e2e/localcache:${run}"]\n  cache-to = ["type=inline"]\n  output = ["type=registry"]\n}\n` +
        `target "reuse" {\n  dockerfile-inline = "${dockerfile}FROM scratch\\nCOPY --from=0 /result /\\n"\n  cache-from = ["type=local,src=cache"]\n  output = ["type=local,dest=out"]\n}\n` +
        `target "reference" {\n  dockerfile-inline = "${dockerfile}FROM scratch\\nCOPY --from=0 /result /\\n"\n  output = ["type=local,dest=ref"]\n}\n`,
    );
    const seed = await runMbake(["--progress=plain", "seed", "reference"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: `${engineA!.name}=${engineA!.endpoint}`, CI: "true" },
    });
    expect(seed.stderr).not.toMatch(/ERROR/);
    expect(seed.code).toBe(0);
    // The image with its inline cache, as an OCI layout on this machine (a local cache folder).
    const { config } = await copyImageToLayout(
      env.registry,
      "e2e/localcache",
      run,
      join(dir, "cache"),
    );
    expect(config["moby.buildkit.cache.v0"]).toBeDefined();

    const reuse = await runMbake(["--progress=plain", "reuse"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: `${engineB!.name}=${engineB!.endpoint}`, CI: "true" },
    });
    expect(reuse.code).toBe(0);
    expect(reuse.stderr).toMatch(/importing cache manifest from local:/);
    expect(stepEndings(reuse.stderr, /RUN echo [^\n]* > \/result$/), reuse.stderr).toContain(
      "CACHED",
    );
    // Engine B never ran the step: its result is the one Engine A made.
    expect(readFileSync(join(dir, "out", "result"), "utf8")).toBe(
      readFileSync(join(dir, "ref", "result"), "utf8"),
    );
  });

  it("builds without a local cache folder that does not exist yet, with a warning", async () => {
    const dir = project(
      `target "first" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN echo first-${Date.now()} > /f\\n"\n  cache-from = ["type=local,src=.cache/first"]\n  output = ["type=cacheonly"]\n}\n`,
    );
    const r = await runMbake(["--progress=plain", "first"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: `${engineA!.name}=${engineA!.endpoint}`, CI: "true" },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `local cache ${join(dir, ".cache/first")} has no "latest" yet; building without it`,
    );
  });

  it("refuses cache-to type=local on the Engine before building, naming the endpoint", async () => {
    const dir = project(
      `target "export" {\n  dockerfile-inline = "FROM ${env.baseImage}\\n"\n  cache-to = ["type=local,dest=.cache"]\n}\n`,
    );
    const r = await runMbake(["--progress=plain", "export"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: `${engineA!.name}=${engineA!.endpoint}`, CI: "true" },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /failed on engine-a\n\s+endpoint unix:\/\/\S+ \(Docker Engine [^)]*\)\) cannot export "local" cache \(it supports: inline\)/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
