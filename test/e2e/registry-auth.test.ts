import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMbake } from "../cli/run-mbake.js";
import { testEnv } from "./test-env.js";

const env = testEnv();

describe("registry credentials in the session", () => {
  it("pulls a base image from the login registry with the Docker config's credentials", async () => {
    const { address, username, password } = env.privateRegistry;
    const dir = mkdtempSync(join(tmpdir(), "mbake-auth-"));
    const dockerConfig = join(dir, "docker-config");
    const tag = `${address}/auth/base:${Date.now().toString(36)}`;
    writeFileSync(
      join(dir, "docker-bake.hcl"),
      `target "base" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN echo private-base > /base.txt\\n"\n  tags = ["${tag}"]\n  output = ["type=registry"]\n}\ntarget "user" {\n  pull = true\n  dockerfile-inline = "FROM ${tag} AS b\\nFROM scratch\\nCOPY --from=b /base.txt /\\n"\n  output = ["type=local,dest=out"]\n}\n`,
    );
    mkdirSync(dockerConfig);
    writeFileSync(
      join(dockerConfig, "config.json"),
      JSON.stringify({
        auths: { [address]: { auth: Buffer.from(`${username}:${password}`).toString("base64") } },
      }),
    );
    const push = await runMbake(["--progress=plain", "base"], {
      cwd: dir,
      env: {
        MBAKE_ENDPOINTS: `${env.engines[0]!.name}=${env.engines[0]!.endpoint}`,
        DOCKER_CONFIG: dockerConfig,
        CI: "true",
      },
    });
    expect(push.code).toBe(0);
    // The other Engine has never seen the image: it must pull it with the session's credentials.
    const pull = await runMbake(["--progress=plain", "user"], {
      cwd: dir,
      env: {
        MBAKE_ENDPOINTS: `${env.engines[1]!.name}=${env.engines[1]!.endpoint}`,
        DOCKER_CONFIG: dockerConfig,
        CI: "true",
      },
    });
    expect(pull.stderr).not.toMatch(/ERROR: \[/);
    expect(pull.code).toBe(0);
    expect(readFileSync(join(dir, "out/base.txt"), "utf8")).toBe("private-base\n");
    const anonymous = await runMbake(["--progress=plain", "user"], {
      cwd: dir,
      env: {
        MBAKE_ENDPOINTS: `${env.engines[1]!.name}=${env.engines[1]!.endpoint}`,
        DOCKER_CONFIG: join(dir, "empty"),
        CI: "true",
      },
    });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(/401|unauthorized|authorization|no basic auth/i);
  });
});
