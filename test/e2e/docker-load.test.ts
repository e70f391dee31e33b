import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { engineRequest, loadImageTar } from "../../src/buildkit/transport/engine.js";
import { runMbake } from "../cli/run-mbake.js";
import { buildxOnEngine } from "./support/buildx-on-engine.js";
import { testEnv } from "./test-env.js";

const env = testEnv();
const [engineA, engineB] = env.engines;

describe("loading an image tar into a Docker Engine (type=docker from a buildkitd)", () => {
  it("streams a saved image into the other Engine's image store", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-load-"));
    const name = `mbake-e2e/loaded:${Date.now().toString(36)}`;
    writeFileSync(
      join(dir, "docker-bake.hcl"),
      `target "img" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN echo loaded > /loaded.txt\\n"\n  tags = ["${name}"]\n  output = ["type=docker"]\n}\n`,
    );
    const built = await runMbake(["--progress=plain", "img"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: `${engineA!.name}=${engineA!.endpoint}`, CI: "true" },
    });
    expect(built.code).toBe(0);
    const tar = join(dir, "img.tar");
    execFileSync("docker", ["-H", engineA!.endpoint, "save", "-o", tar, name]);
    const before = await engineRequest(engineB!.socketPath, "GET", `/images/${name}/json`);
    expect(before.status).toBe(404);
    expect(await loadImageTar(engineB!.socketPath, tar)).toEqual([name]);
    const after = await engineRequest(engineB!.socketPath, "GET", `/images/${name}/json`);
    expect(after.status).toBe(200);
  });

  it("reports what the Engine refused to load", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-load-"));
    const tar = join(dir, "not-an-image.tar");
    writeFileSync(join(dir, "f.txt"), "just a file\n");
    execFileSync("tar", ["-cf", tar, "-C", dir, "f.txt"]);
    await expect(loadImageTar(engineB!.socketPath, tar)).rejects.toThrowError(
      new RegExp(
        `the Docker Engine at ${engineB!.socketPath.replace(/[.]/g, "\\.")} could not load the image: .+`,
      ),
    );
  });
});

describe("a target with no output on a Docker Engine", () => {
  it("is kept in the Engine's image store under its tags, the same image buildx's docker driver keeps", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-default-output-"));
    const id = Date.now().toString(36);
    writeFileSync(join(dir, "Dockerfile"), `FROM ${env.baseImage}\nRUN echo ${id} > /id\n`);
    writeFileSync(
      join(dir, "docker-bake.hcl"),
      `target "ours" {\n  tags = ["mbake-e2e/default-output:${id}"]\n}\ntarget "theirs" {\n  tags = ["mbake-e2e/default-output-buildx:${id}"]\n}\n`,
    );
    const built = await runMbake(["--progress=plain", "ours"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: `${engineA!.name}=${engineA!.endpoint}`, CI: "true" },
    });
    expect(built.code, built.stderr).toBe(0);
    expect(built.stderr).not.toMatch(/with no output/);
    const ours = await engineRequest(
      engineA!.socketPath,
      "GET",
      `/images/mbake-e2e/default-output:${id}/json`,
    );
    expect(ours.status).toBe(200);
    const buildx = buildxOnEngine(env.buildx, dir, engineA!.socketPath)(["theirs"]);
    expect(buildx.status, buildx.stderr).toBe(0);
    const theirs = await engineRequest(
      engineA!.socketPath,
      "GET",
      `/images/mbake-e2e/default-output-buildx:${id}/json`,
    );
    expect(theirs.status).toBe(200);
    const idOf = (r: { body: string }) => (JSON.parse(r.body) as { Id: string }).Id;
    expect(idOf(ours)).toBe(idOf(theirs));
  });
});
