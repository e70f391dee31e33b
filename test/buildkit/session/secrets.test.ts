import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Target } from "../../../src/bake/model.js";
import { readTargetSecrets, secretSpecOf } from "../../../src/build/secrets.js";
import { loadSecrets, readSecret } from "../../../src/buildkit/session/secrets.js";
import { createMasker } from "../../../src/progress/mask.js";
import { processSecrets } from "../../../src/support/secret-texts.js";

describe("one rule decides a secret's value, for the build and for masking", () => {
  const cwd = mkdtempSync(join(tmpdir(), "mbake-secrets-"));
  writeFileSync(join(cwd, "token.txt"), "file-s3cr3t-value\n");
  writeFileSync(join(cwd, "BYFILE"), "named-by-id-value");
  mkdirSync(join(cwd, "folder"));
  const env = { TOK: "env-by-id-value", OTHER: "env-by-env-value" };

  it("reads env=, src=, and id alone from the environment or else a file named by the id", () => {
    expect(readSecret({ id: "a", env: "OTHER" }, env, cwd).toString()).toBe("env-by-env-value");
    expect(readSecret({ id: "b", src: "token.txt" }, env, cwd).toString()).toBe(
      "file-s3cr3t-value\n",
    );
    expect(readSecret({ id: "TOK" }, env, cwd).toString()).toBe("env-by-id-value");
    expect(readSecret({ id: "BYFILE" }, env, cwd).toString()).toBe("named-by-id-value");
  });

  it("masks exactly the values the build would send, for every source", () => {
    const entries: Record<string, string>[] = [
      { id: "a", env: "OTHER" },
      { id: "b", src: "token.txt" },
      { id: "TOK" },
      { id: "BYFILE" },
    ];
    // What runBuild does before any output: read every target's secrets into the one set.
    readTargetSecrets([{ name: "t", secret: entries } satisfies Target], cwd, env);
    const masker = createMasker(processSecrets);
    // What the session sends, read elsewhere (another folder) from the same specs.
    const specs = entries.map((e) => secretSpecOf(e, cwd));
    const sent = loadSecrets(specs, env, tmpdir());
    for (const value of sent.values()) {
      const text = `log: ${value.toString().trim()} end`;
      expect(masker.mask(text)).toBe("log: **** end");
    }
  });

  it("says why a secret cannot be read, naming it", () => {
    expect(() => readSecret({ id: "NOPE" }, env, cwd)).toThrowError(
      /secret "NOPE" has neither src= nor env=, no environment variable NOPE is set, and there is no file/,
    );
    expect(() => readSecret({ id: "d", src: "folder" }, env, cwd)).toThrowError(
      /is not a regular file/,
    );
    writeFileSync(join(cwd, "big"), Buffer.alloc(600 * 1024));
    expect(() => readSecret({ id: "e", src: "big" }, env, cwd)).toThrowError(/at most 500 KiB/);
  });
});
