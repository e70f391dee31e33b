import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMbake } from "./run-mbake.js";

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-code-cache-"));
  writeFileSync(join(dir, "docker-bake.hcl"), 'target "app" {\n  tags = ["app:1"]\n}\n');
  return dir;
}

describe("the compiled code cache of the mbake command", () => {
  it("is saved in the user's cache folder on the first run and used by the next", async () => {
    const dir = project();
    const cache = join(dir, "xdg-cache");
    const env = { XDG_CACHE_HOME: cache };
    const first = await runMbake(["--print", "app"], { cwd: dir, env });
    expect(first.code, first.stderr).toBe(0);
    const folder = join(cache, "mbake", "code-cache");
    const saved = readdirSync(folder);
    expect(saved).toHaveLength(1);
    const second = await runMbake(["--print", "app"], { cwd: dir, env });
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(readdirSync(folder)).toEqual(saved);
  });

  it("saved by a --print run, is replaced by the first run that reaches a daemon", async () => {
    const dir = project();
    const cache = join(dir, "xdg-cache");
    const env = { XDG_CACHE_HOME: cache };
    const folder = join(cache, "mbake", "code-cache");
    const printed = await runMbake(["--print", "app"], { cwd: dir, env });
    expect(printed.code, printed.stderr).toBe(0);
    const light = readdirSync(folder);
    expect(light).toHaveLength(1);
    expect(light[0]).not.toMatch(/\.built\.bin$/);
    // A build that reaches for a daemon (none answers here) compiled the code of builds.
    const socket = join(dir, "no-daemon.sock");
    const built = await runMbake(["--endpoint", `unix://${socket}`, "app"], { cwd: dir, env });
    expect(built.code).not.toBe(0);
    const after = readdirSync(folder);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatch(/\.built\.bin$/);
    expect(after[0]?.replace(/\.built\.bin$/, ".bin")).toBe(light[0]);
    // From then on it is used, by --print runs too, and not saved again.
    const again = await runMbake(["--print", "app"], { cwd: dir, env });
    expect(again.stdout).toBe(printed.stdout);
    expect(readdirSync(folder)).toEqual(after);
  });

  it("is neither read nor written in a folder others can write, nor when turned off", async () => {
    const dir = project();
    const cache = join(dir, "shared-cache");
    const folder = join(cache, "mbake", "code-cache");
    mkdirSync(folder, { recursive: true });
    chmodSync(folder, 0o777);
    const shared = await runMbake(["--print", "app"], { cwd: dir, env: { XDG_CACHE_HOME: cache } });
    expect(shared.code, shared.stderr).toBe(0);
    expect(JSON.parse(shared.stdout).target.app.tags).toEqual(["app:1"]);
    expect(readdirSync(folder)).toEqual([]);

    const own = join(dir, "own-cache");
    const off = await runMbake(["--print", "app"], {
      cwd: dir,
      env: { XDG_CACHE_HOME: own, MBAKE_CODE_CACHE: "0" },
    });
    expect(off.code).toBe(0);
    expect(off.stdout).toBe(shared.stdout);
    expect(existsSync(own)).toBe(false);
  });
});
