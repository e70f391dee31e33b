import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createMasker } from "../../src/progress/mask.js";
import { credentialsFor, readDockerConfig } from "../../src/support/docker-config.js";
import { processSecrets } from "../../src/support/secret-texts.js";

describe("Docker config credentials are secrets", () => {
  it("a config that is not JSON is refused without quoting its text", () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-dockercfg-"));
    writeFileSync(
      join(dir, "config.json"),
      '{"auths": {"r.example": {"auth": "dXNlcjpicm9rZW4tY29uZmlnLXB3"}},}',
    );
    let message = "";
    try {
      readDockerConfig({ DOCKER_CONFIG: dir });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/cannot read the Docker config .*config\.json: it is not valid JSON/);
    expect(message).not.toContain("dXNlcjpicm9rZW4tY29uZmlnLXB3");
  });

  it("every credential in the config, encoded or not, is masked once the config is read", () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-dockercfg-"));
    const auth = Buffer.from("alice:alice-pw-4b4b4b").toString("base64");
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({
        auths: {
          "a.example": { auth },
          "b.example": { username: "bob", password: "bob-pw-5c5c5c" },
          "c.example": { identitytoken: "idtok-6d6d6d" },
        },
      }),
    );
    const config = readDockerConfig({ DOCKER_CONFIG: dir });
    expect(credentialsFor(config, "b.example")?.secret).toBe("bob-pw-5c5c5c");
    const { mask } = createMasker(processSecrets);
    const bobBasic = Buffer.from("bob:bob-pw-5c5c5c").toString("base64");
    const text = `a ${auth} alice-pw-4b4b4b bob-pw-5c5c5c ${bobBasic} idtok-6d6d6d z`;
    expect(mask(text)).toBe("a **** **** **** **** **** z");
  });
});
