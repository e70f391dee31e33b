import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMbake } from "../cli/run-mbake.js";
import { startTokenRegistry, type TokenRegistry } from "./support/token-registry.js";
import { testEnv } from "./test-env.js";

const env = testEnv();
const [engineA, engineB] = env.engines;
let registry: TokenRegistry;

beforeAll(async () => {
  registry = await startTokenRegistry();
});
afterAll(async () => {
  await registry?.stop();
});

function dockerConfig(dir: string, withCredentials: boolean): string {
  const path = join(dir, withCredentials ? "docker-config" : "empty-config");
  mkdirSync(path, { recursive: true });
  const auth = Buffer.from(`${registry.username}:${registry.password}`).toString("base64");
  writeFileSync(
    join(path, "config.json"),
    JSON.stringify(withCredentials ? { auths: { [registry.address]: { auth } } } : {}),
  );
  return path;
}

describe("a registry with token auth (bearer tokens from a token server)", () => {
  it("pushes, then pulls on the other Engine with a bearer token got with the session's credentials", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-token-"));
    const run = Date.now().toString(36);
    const image = `${registry.address}/team/base:${run}`;
    writeFileSync(
      join(dir, "docker-bake.hcl"),
      `target "base" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN echo token-base-${run} > /base.txt\\n"\n  tags = ["${image}"]\n  output = ["type=registry"]\n}\n` +
        `target "user" {\n  pull = true\n  dockerfile-inline = "FROM ${image} AS b\\nFROM scratch\\nCOPY --from=b /base.txt /\\n"\n  output = ["type=local,dest=out"]\n}\n`,
    );
    const config = dockerConfig(dir, true);
    const push = await runMbake(["--progress=plain", "base"], {
      cwd: dir,
      env: {
        MBAKE_ENDPOINTS: `${engineA!.name}=${engineA!.endpoint}`,
        DOCKER_CONFIG: config,
        CI: "true",
      },
    });
    expect(push.stderr).not.toMatch(/ERROR/);
    expect(push.code).toBe(0);
    const before = registry.tokens.requests.length;
    // Engine B has never seen the image: BuildKit asks the session for a pull token.
    const pull = await runMbake(["--progress=plain", "user"], {
      cwd: dir,
      env: {
        MBAKE_ENDPOINTS: `${engineB!.name}=${engineB!.endpoint}`,
        DOCKER_CONFIG: config,
        CI: "true",
      },
    });
    expect(pull.stderr).not.toMatch(/ERROR/);
    expect(pull.code).toBe(0);
    expect(readFileSync(join(dir, "out", "base.txt"), "utf8")).toBe(`token-base-${run}\n`);
    // The Engine's BuildKit (v0.8) asks the session for Credentials and fetches the token
    // itself (it never calls Auth.FetchToken; newer daemons do, see the unit tests).
    const grants = registry.tokens.requests.slice(before);
    expect(grants).toContainEqual(
      expect.objectContaining({
        username: registry.username,
        granted: true,
        scopes: [expect.stringMatching(/^repository:team\/base:pull/)],
      }),
    );
  });

  it("fails a pull without credentials with the token server's refusal, naming the registry", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-token-"));
    writeFileSync(
      join(dir, "docker-bake.hcl"),
      `target "user" {\n  pull = true\n  dockerfile-inline = "FROM ${registry.address}/team/base:nothing-${Date.now()}\\n"\n  output = ["type=cacheonly"]\n}\n`,
    );
    const r = await runMbake(["--progress=plain", "user"], {
      cwd: dir,
      env: {
        MBAKE_ENDPOINTS: `${engineB!.name}=${engineB!.endpoint}`,
        DOCKER_CONFIG: dockerConfig(dir, false),
        CI: "true",
      },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(registry.address);
    expect(r.stderr).toMatch(/401|unauthori[sz]ed|denied/i);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
