/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL source text is written in plain strings */
/**
 * A hostile bake file through the real CLI: a huge matrix is refused at once (exit 2,
 * positioned), a large one prints, a long evaluation stops at Ctrl-C or SIGTERM, and
 * files that are not UTF-8 are refused where buildx refuses them (HCL, YAML) with
 * the line and column of the first bad byte. Before, the matrix ran for 20 minutes,
 * signals were ignored during evaluation and invalid bytes were read as U+FFFD.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mbakeBin, runMbake } from "./run-mbake.js";

function project(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-hostile-eval-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

const env = { MBAKE_ENDPOINTS: undefined, BUILDKIT_HOST: undefined, DOCKER_HOST: undefined };

function matrix(n: number): string {
  const values = Array.from({ length: n }, (_, i) => `"v${i}"`).join(", ");
  return `group "default" {\n  targets = ["t"]\n}\ntarget "t" {\n  name = "t-\${a}-\${b}-\${c}"\n  matrix = {\n    a = [${values}]\n    b = [${values}]\n    c = [${values}]\n  }\n}\n`;
}

describe("evaluation bounds through the CLI", () => {
  it("a 100x100x100 matrix is refused at once with its position, count and limit", async () => {
    const dir = project({ "docker-bake.hcl": matrix(100) });
    const started = Date.now();
    const r = await runMbake(["--print"], { cwd: dir, env, timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'docker-bake.hcl:6:3: Matrix too large; the matrix of target "t" makes 1,000,000 targets, more than the limit of 10,000.',
    );
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("a 20x20x20 matrix (8,000 targets) prints", async () => {
    const dir = project({ "docker-bake.hcl": matrix(20) });
    const r = await runMbake(["--print"], { cwd: dir, env, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout).target)).toHaveLength(8000);
  });
});

describe("a long evaluation can be interrupted", () => {
  // Within every bound, but long: a million iterations, each joining a thousand numbers.
  const slow = `variable "N" {\n  default = length([for i in range(1000) : [for j in range(1000) : length(join(",", range(1000)))]])\n}\ntarget "default" {\n  args = { n = N }\n}\n`;

  it.each(["SIGINT", "SIGTERM"] as const)("%s ends it promptly", async (signal) => {
    const dir = project({ "docker-bake.hcl": slow });
    const child = spawn(process.execPath, [mbakeBin, "--print"], {
      cwd: dir,
      env: { ...process.env, MBAKE_ENDPOINTS: "", BUILDKIT_HOST: "", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.resume();
    child.stderr.resume();
    const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
    // Let it load and start evaluating, then signal.
    await new Promise((r) => setTimeout(r, 2500));
    const sent = Date.now();
    child.kill(signal);
    const [code, sig] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on("close", (c, s) => resolve([c, s])),
    );
    clearTimeout(guard);
    // Ended by the signal itself (a shell reports 128+n) or by mbake with 130.
    if (sig !== null) expect(sig).toBe(signal);
    else expect(code).toBe(130);
    expect(Date.now() - sent).toBeLessThan(5_000);
  });
});

describe("bake files that are not UTF-8", () => {
  const bad = Buffer.from([0xff, 0xfe]);

  it("HCL is refused at the line and column of the first bad byte", async () => {
    const text = Buffer.concat([
      Buffer.from('target "default" {\n  args = { a = "x'),
      bad,
      Buffer.from('y" }\n}\n'),
    ]);
    const dir = project({ "docker-bake.hcl": text });
    const r = await runMbake(["--print"], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("docker-bake.hcl:2:18: Invalid character encoding");
  });

  it("compose YAML is refused at the line and column of the first bad byte", async () => {
    const text = Buffer.concat([
      Buffer.from('services:\n  app:\n    build:\n      context: .\n      args:\n        A: "x'),
      bad,
      Buffer.from('y"\n'),
    ]);
    const dir = project({ "compose.yaml": text });
    const r = await runMbake(["--print", "-f", "compose.yaml"], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("compose.yaml:6:14: Invalid character encoding");
  });

  it("JSON is read as buildx reads it, bad bytes becoming U+FFFD", async () => {
    const text = Buffer.concat([
      Buffer.from('{"target": {"default": {"args": {"a": "x'),
      Buffer.from([0xff]),
      Buffer.from('y"}}}}\n'),
    ]);
    const dir = project({ "docker-bake.json": text });
    const r = await runMbake(["--print", "-f", "docker-bake.json"], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).target.default.args).toEqual({ a: "x\ufffdy" });
  });
});
