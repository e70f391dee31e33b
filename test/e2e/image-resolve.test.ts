/**
 * A base image the Docker Engine already has in its image store is taken from there, as
 * buildx's docker driver has it taken (image-resolve-mode=local): a cached rebuild asks
 * the registry nothing, and `--pull` still asks it every time. The registry sits behind a
 * front of this test's own that records what the daemon asked it; the Engine pulled the
 * base image through that front first (as `docker pull` would), under a name of this run.
 * Checked on an Engine 20.10 and on the modern Engine (28.5, containerd image store),
 * where the reference buildx asks the registry nothing either.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMbake } from "../cli/run-mbake.js";
import { buildxOnEngineAsync } from "./support/buildx-on-engine.js";
import { type HoldingRegistry, holdingRegistry } from "./support/holding-registry.js";
import { stepEndings } from "./support/plain-steps.js";
import { type TestEngine, testEnv } from "./test-env.js";

const env = testEnv();

let front: HoldingRegistry;
/** The test registry's base image, named through the front. */
let base: string;

beforeAll(async () => {
  front = await holdingRegistry(env.registry, () => false, 0);
  base = `${front.address}/${env.baseImage.slice(env.registry.length + 1)}`;
});

afterAll(async () => {
  await front?.close();
});

/** The manifest requests the front saw since `from` (an index into its requests). */
function manifestRequests(from: number): string[] {
  return front.requests.slice(from).filter((r) => r.includes("/manifests/"));
}

/** A project whose one target builds FROM the base image, with a step of this run's own. */
function project(run: string): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-resolve-"));
  writeFileSync(join(dir, "hello"), `hello ${run}\n`);
  writeFileSync(
    join(dir, "Dockerfile"),
    `FROM ${base}\nCOPY hello /hello\nRUN cat /hello > /copied\n`,
  );
  writeFileSync(join(dir, "docker-bake.hcl"), 'target "one" {}\n');
  return dir;
}

/** The docker CLI, without blocking this process (the front answers the Engine's pull). */
async function docker(args: string[]): Promise<void> {
  await promisify(execFile)("docker", args);
}

/** Pulls the base image into the Engine's store (through the front), and untags it after. */
async function withBaseInStore(engine: TestEngine, body: () => Promise<void>): Promise<void> {
  await docker(["-H", engine.endpoint, "pull", "-q", base]);
  try {
    await body();
  } finally {
    await docker(["-H", engine.endpoint, "rmi", base]);
  }
}

describe.each([
  ["an Engine 20.10", env.engines[0]!],
  ["the modern Engine", env.modernEngine],
])("a base image in the image store of %s", (_, engine) => {
  it("is taken from there on a cached rebuild; --pull asks the registry", async () => {
    const dir = project(randomUUID().slice(0, 8));
    const mbake = (args: string[]) =>
      runMbake(["--progress=plain", ...args, "one"], {
        cwd: dir,
        env: { MBAKE_ENDPOINTS: `${engine.name}=${engine.endpoint}`, CI: "true" },
      });
    await withBaseInStore(engine, async () => {
      const first = await mbake([]);
      expect(first.stderr).toContain("[one] done");
      expect(first.code).toBe(0);

      const mark = front.requests.length;
      const cached = await mbake([]);
      expect(cached.code).toBe(0);
      expect(stepEndings(cached.stderr, /RUN cat \/hello > \/copied$/), cached.stderr).toContain(
        "CACHED",
      );
      expect(manifestRequests(mark)).toEqual([]);

      const pullMark = front.requests.length;
      const pulled = await mbake(["--pull"]);
      expect(pulled.code).toBe(0);
      expect(manifestRequests(pullMark)).toContain(
        `HEAD /v2/${base.slice(front.address.length + 1).replace(":", "/manifests/")}`,
      );
    });
  });
});

describe.each([
  ["an Engine 20.10", env.engines[0]!],
  ["the modern Engine", env.modernEngine],
])("--pull with a target: context handed over in the image store of %s", (_, engine) => {
  it("pulls the dependency's base image and builds the dependent from the store, saying so", async () => {
    const run = randomUUID().slice(0, 8);
    const dir = mkdtempSync(join(tmpdir(), "mbake-resolve-"));
    writeFileSync(join(dir, "base.Dockerfile"), `FROM ${base}\nRUN echo ${run} > /base\n`);
    writeFileSync(join(dir, "app.Dockerfile"), "FROM base\nRUN cat /base\n");
    writeFileSync(
      join(dir, "docker-bake.hcl"),
      `target "base" {\n  dockerfile = "base.Dockerfile"\n}\ntarget "app" {\n  dockerfile = "app.Dockerfile"\n  contexts = { base = "target:base" }\n  output = ["type=cacheonly"]\n}\n`,
    );
    const mark = front.requests.length;
    const r = await runMbake(["--progress=plain", "--pull", "app"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: `${engine.name}=${engine.endpoint}`, CI: "true" },
    });
    // It failed before: the hand-over was looked for on Docker Hub.
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("[app] done");
    expect(r.stderr).toContain(
      `target "app": pull is not applied to its own base images: its target: contexts are handed over in the Engine's image store`,
    );
    expect(manifestRequests(mark)).toContain(
      `HEAD /v2/${base.slice(front.address.length + 1).replace(":", "/manifests/")}`,
    );
  });
});

describe("the reference buildx on the modern Engine", () => {
  it("asks the registry nothing either for a base image in the store", async () => {
    const dir = project(randomUUID().slice(0, 8));
    const buildx = buildxOnEngineAsync(env.buildx, dir, env.modernEngine.socketPath);
    // No image written (buildx's docker driver would store one by default).
    const args = ["--set", "*.output=type=cacheonly", "one"];
    await withBaseInStore(env.modernEngine, async () => {
      expect((await buildx(args)).code).toBe(0);
      const mark = front.requests.length;
      const cached = await buildx(args);
      expect(cached.stderr).toBe("");
      expect(cached.code).toBe(0);
      expect(manifestRequests(mark)).toEqual([]);
    });
  });
});
