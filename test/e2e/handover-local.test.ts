/**
 * A target: dependency handed over through the Engine's own image store
 * (mbake-local/NAME:RUNID) is read from there with no registry lookup: the name is a
 * docker.io one, so a lookup would go to Docker Hub (an auth challenge and a round trip
 * per dependent build, seen in a user's proxy). Each Engine here is a private one whose
 * registry-mirrors point at a front of this test's own, so every docker.io lookup it
 * makes arrives there first and is recorded. Checked on an Engine 20.10 (the Dockerfile is
 * rewritten) and on the modern Engine (28.5, containerd image store, named contexts).
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMbake } from "../cli/run-mbake.js";
import { type HoldingRegistry, holdingRegistry } from "./support/holding-registry.js";
import { type PrivateEngine, startPrivateEngine } from "./support/private-engine.mjs";
import { testEnv } from "./test-env.js";

const env = testEnv();
const modernFs = env.buildx.replace(/\/usr\/libexec\/docker\/cli-plugins\/docker-buildx$/, "");

let mirror: HoldingRegistry;

beforeAll(async () => {
  mirror = await holdingRegistry(env.registry, () => false, 0);
});

afterAll(async () => {
  await mirror?.close();
});

/** base writes a file of this run; app builds FROM it (a target: context) and exports it. */
function project(run: string): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-handover-"));
  writeFileSync(
    join(dir, "docker-bake.hcl"),
    `target "base" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN echo base-${run} > /base.txt\\n"\n}\n` +
      `target "app" {\n  contexts = { base = "target:base" }\n` +
      `  dockerfile-inline = "FROM base AS b\\nRUN cat /base.txt > /app.txt\\nFROM scratch\\nCOPY --from=b /app.txt /\\n"\n` +
      `  output = ["type=local,dest=out"]\n}\n`,
  );
  return dir;
}

describe.each([
  ["an Engine 20.10", "old", undefined],
  ["the modern Engine", "modern", modernFs],
])("a target: dependency handed over in the image store of %s", (name, kind, fs) => {
  let engine: PrivateEngine;

  beforeAll(async () => {
    engine = await startPrivateEngine(`handover-${kind}`, {
      ...(fs ? { modernFs: fs } : {}),
      daemonConfig: { "registry-mirrors": [`http://${mirror.address}`] },
    });
  }, 120_000);

  afterAll(() => {
    engine?.remove();
  });

  it("is read from there: Docker Hub (its mirror here) is never asked for it", async () => {
    // The Engine does send its docker.io lookups to the mirror (else the check below proves nothing).
    const probe = `mbake-probe-${randomUUID().slice(0, 8)}/none:x`;
    await promisify(execFile)("docker", ["-H", engine.endpoint, "pull", "-q", probe]).catch(
      () => undefined,
    );
    expect(mirror.requests.some((r) => r.includes(probe.split(":")[0]!))).toBe(true);

    const run = randomUUID().slice(0, 8);
    const dir = project(run);
    const mark = mirror.requests.length;
    const r = await runMbake(["--progress=plain", "app"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: `${engine.name}=${engine.endpoint}`, CI: "true" },
    });
    expect(r.stderr, name).not.toMatch(/ERROR/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\[base\] done on \S+ \S+ -> mbake-local\/base:/);
    // The dependent got exactly what the dependency built.
    expect(readFileSync(join(dir, "out", "app.txt"), "utf8")).toBe(`base-${run}\n`);
    expect(mirror.requests.slice(mark).filter((q) => q.includes("mbake-local"))).toEqual([]);
  });
});
