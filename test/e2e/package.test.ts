import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../cli/run-mbake.js";

describe("the npm package", () => {
  it("installs from the packed tarball and runs mbake --version and --print", () => {
    const packDir = mkdtempSync(join(tmpdir(), "mbake-pack-"));
    execFileSync("npm", ["pack", "--silent", "--pack-destination", packDir], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const tarball = readdirSync(packDir).find((f) => f.endsWith(".tgz"));
    expect(tarball).toBeDefined();
    const listing = execFileSync("tar", ["-tzf", join(packDir, tarball!)], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean);
    expect(listing).toContain("package/dist/cli/main.js");
    expect(listing).toContain("package/dist/bin/mbake");
    expect(listing).toContain("package/dist/buildkit/api/generated/buildkit.js");
    expect(listing).toContain("package/schema/mbake-config.schema.json");
    expect(
      listing.filter((f) => f.startsWith("package/src/") || f.startsWith("package/test/")),
    ).toEqual([]);

    const app = mkdtempSync(join(tmpdir(), "mbake-install-"));
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify({ name: "try-mbake", version: "1.0.0", private: true }),
    );
    execFileSync(
      "npm",
      ["install", "--no-audit", "--no-fund", "--silent", join(packDir, tarball!)],
      { cwd: app, stdio: ["ignore", "pipe", "pipe"] },
    );
    const version = execFileSync("npx", ["--no-install", "mbake", "--version"], {
      cwd: app,
      encoding: "utf8",
    });
    expect(version).toMatch(/^mbake \d+\.\d+\.\d+\n$/);
    writeFileSync(join(app, "docker-bake.hcl"), 'target "app" {\n  tags = ["app:1"]\n}\n');
    const printed = JSON.parse(
      execFileSync("npx", ["--no-install", "mbake", "--print", "app"], {
        cwd: app,
        encoding: "utf8",
      }),
    );
    expect(printed.target.app).toEqual({ context: ".", dockerfile: "Dockerfile", tags: ["app:1"] });
  }, 300_000);
});
