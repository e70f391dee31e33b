/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: bake file text */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, runMbake } from "./run-mbake.js";

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-cli-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const noEndpoints = {
  MBAKE_ENDPOINTS: undefined,
  BUILDKIT_HOST: "unix:///nonexistent/buildkitd.sock",
  DOCKER_HOST: undefined,
};

describe("mbake as a process", () => {
  it("prints its version and help", async () => {
    const v = await runMbake(["--version"]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^mbake \d+\.\d+\.\d+\n$/);
    const h = await runMbake(["--help"]);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain("Usage: mbake [OPTIONS] [TARGET|GROUP ...]");
    expect(h.stdout).toContain("--dry-run");
    const hp = await runMbake(["help", "prune"]);
    expect(hp.stdout).toContain("--keep-storage");
  });

  it("names an unknown flag with the closest one and exits 2", async () => {
    const r = await runMbake(["--pirnt"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "mbake: unknown flag --pirnt (did you mean \"--print\"?)\nRun 'mbake --help' for usage.\n",
    );
  });

  it("names an unknown target with the closest one", async () => {
    const dir = project({ "docker-bake.hcl": 'target "release" {}\n' });
    const r = await runMbake(["relase"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('failed to find target relase (did you mean "release"?)');
  });

  it("shows syntax errors with file, line, column and a caret, without a stack trace", async () => {
    const dir = project({ "docker-bake.hcl": 'target "app" {\n  tags = ["a" "b"]\n}\n' });
    const r = await runMbake(["--print"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("docker-bake.hcl:2:15: Missing item separator");
    expect(r.stderr).toContain('2 |   tags = ["a" "b"]');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it("prints the resolved definition, reading build.hcl first and stdin with -f -", async () => {
    const dir = project({
      "build.hcl":
        'variable "TAG" { default = "1" }\ntarget "app" {\n  tags = ["app:${TAG}"]\n}\ngroup "default" { targets = ["app"] }\n',
    });
    const r = await runMbake(["--print"], { cwd: dir, env: { TAG: "2" } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).target.app.tags).toEqual(["app:2"]);
    const s = await runMbake(["-f", "-", "--print", "x"], {
      cwd: dir,
      input: 'target "x" { context = "sub" }\n',
    });
    expect(JSON.parse(s.stdout).target.x.context).toBe("sub");
  });

  it("prints the graph and the plan without building", async () => {
    const dir = project({
      "docker-bake.hcl":
        'target "base" {}\ntarget "app" {\n  contexts = { base = "target:base" }\n}\n',
    });
    const g = await runMbake(["--graph", "dot", "app"], { cwd: dir });
    expect(g.stdout).toContain('"base" -> "app";');
    const e = await runMbake(["--dry-run", "app"], { cwd: dir, env: noEndpoints });
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/no BuildKit endpoint found|none of the endpoints could be reached/);
  });

  it("fails clearly when no endpoint can be found", async () => {
    const r = await runMbake(["prune"], { env: noEndpoints });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/endpoint/);
  });

  it("prints completion scripts for bash, zsh and fish", async () => {
    for (const shell of ["bash", "zsh", "fish"]) {
      const r = await runMbake(["completion", shell]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("mbake");
    }
    expect((await runMbake(["completion", "bash"])).stdout).toContain("complete -F _mbake mbake");
  });

  it("prints the repository's own build file", async () => {
    const r = await runMbake(["--print"], { cwd: repoRoot, env: { BASE_IMAGE: "b:1" } });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out.target)).toContain("cross-linux-arm64");
    expect(out.target["monorepo-base"].output).toEqual([{ type: "cacheonly" }]);
  });
});
