/**
 * Before printing, buildx sets up the secrets of every target as BuildKit reads them: a
 * secret with neither src= nor env= comes from the variable named by its id when that is
 * set, else from the file of that name, which must exist. mbake --print checks the same.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMbake } from "./run-mbake.js";

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-print-secrets-"));
  writeFileSync(
    join(dir, "docker-bake.hcl"),
    'target "app" {\n  secret = [{ type = "env", id = "TOKEN" }, "id=plain"]\n}\n',
  );
  return dir;
}

describe("--print and secrets that name neither a file nor a variable", () => {
  it("fails when neither the variable nor the file of the id exists, and prints otherwise", async () => {
    const dir = project();
    const missing = await runMbake(["--print", "app"], {
      cwd: dir,
      env: { TOKEN: undefined, plain: undefined },
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('target "app": secret "TOKEN"');
    expect(missing.stdout).toBe("");

    writeFileSync(join(dir, "plain"), "s3cret");
    const found = await runMbake(["--print", "app"], {
      cwd: dir,
      env: { TOKEN: "from-env", plain: undefined },
    });
    expect(found.code).toBe(0);
    expect(JSON.parse(found.stdout).target.app.secret).toEqual([{ id: "TOKEN" }, { id: "plain" }]);
  });
});
