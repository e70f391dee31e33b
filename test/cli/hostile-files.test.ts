/**
 * Files a user names, or a project holds, are read only when they are regular files of a
 * bounded size: a device, a FIFO or a folder is refused at once with an error naming it
 * (exit 2), and paths a build would write or read are checked before any endpoint is
 * contacted. Each case would hang, exhaust memory or exit 1 before the fix.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMbake } from "./run-mbake.js";

const bakeFile = 'target "default" {\n  dockerfile-inline = "FROM scratch"\n}\n';

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-hostile-files-"));
  writeFileSync(join(dir, "docker-bake.hcl"), bakeFile);
  return dir;
}

function fifo(dir: string, name: string): string {
  const path = join(dir, name);
  execFileSync("mkfifo", [path]);
  return path;
}

/** No endpoint from the environment: only what a test names. */
const env = { MBAKE_ENDPOINTS: undefined, BUILDKIT_HOST: undefined, DOCKER_HOST: undefined };
/** A closed port: were it contacted, the run would report it unreachable, not a usage error. */
const closed = ["--endpoint", "tcp://127.0.0.1:1"];

const noStackTrace = (text: string) =>
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n|Unhandled|bad_alloc/);

describe("files that are not regular files", () => {
  it("-f /dev/zero is refused as a device", async () => {
    const r = await runMbake(["-f", "/dev/zero", "--print"], { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot read the bake file /dev/zero: it is a device");
    noStackTrace(r.stderr);
  });

  it("-f FIFO is refused without waiting for a writer", async () => {
    const dir = project();
    fifo(dir, "pipe.hcl");
    const r = await runMbake(["-f", "pipe.hcl", "--print"], { cwd: dir, timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot read the bake file pipe.hcl: it is a FIFO");
  });

  it("-f DIR names the folder", async () => {
    const dir = project();
    mkdirSync(join(dir, "sub"));
    const r = await runMbake(["-f", "sub", "--print"], { cwd: dir, timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot read the bake file sub: it is a folder");
  });

  it("a bake file larger than 16 MiB is refused", async () => {
    const dir = project();
    writeFileSync(join(dir, "big.hcl"), `# ${"x".repeat(16 * 1024 * 1024)}\n`);
    const r = await runMbake(["-f", "big.hcl", "--print"], { cwd: dir, timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot read the bake file big.hcl: it is larger than 16 MiB");
  });

  it.each([["--dry-run"], ["endpoints"]])(
    "a folder named mbake.json is named in the error (%s)",
    async (cmd) => {
      const dir = project();
      mkdirSync(join(dir, "mbake.json"));
      const r = await runMbake([cmd], { cwd: dir, env, timeoutMs: 20_000 });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`config file ${join(dir, "mbake.json")}: it is a folder`);
      noStackTrace(r.stderr);
    },
  );

  it("an mbake.json that is a FIFO is refused", async () => {
    const dir = project();
    fifo(dir, "mbake.json");
    const r = await runMbake(["--dry-run"], { cwd: dir, env, timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("mbake.json: it is a FIFO");
  });

  it("a .env that is a FIFO, next to a compose file, is refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-hostile-files-"));
    writeFileSync(join(dir, "compose.yaml"), "services:\n  web:\n    build: .\n");
    fifo(dir, ".env");
    const r = await runMbake(["--print"], { cwd: dir, timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("environment file");
    expect(r.stderr).toContain(".env: it is a FIFO");
  });

  it("an endpoint's ca=/dev/zero is a usage error before any connection", async () => {
    const dir = project();
    const r = await runMbake(["--dry-run", "--endpoint", "tcp://127.0.0.1:1?ca=/dev/zero"], {
      cwd: dir,
      env,
      timeoutMs: 20_000,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("ca= file of endpoint");
    expect(r.stderr).toContain("/dev/zero: it is a device");
    expect(r.stderr).not.toMatch(/not reachable/);
  });

  it("a YAML alias bomb is refused with the file named", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-hostile-files-"));
    const levels = ["a", "b", "c", "d", "e", "f", "g"];
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < levels.length; i++) {
      const prev = `*${levels[i - 1]}`;
      lines.push(`${levels[i]}: &${levels[i]} [${Array(9).fill(prev).join(",")}]`);
    }
    lines.push("services:", "  web:", "    build: .", "    x-bomb: *g");
    writeFileSync(join(dir, "compose.yaml"), `${lines.join("\n")}\n`);
    const r = await runMbake(["--print"], { cwd: dir, timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("compose.yaml");
    expect(r.stderr).toMatch(/alias/i);
  });
});

describe("paths checked before any endpoint is contacted", () => {
  it("a secret file that is a device", async () => {
    const dir = project();
    const r = await runMbake(
      ["--dry-run", ...closed, "--set", "*.secrets=id=token,src=/dev/zero"],
      { cwd: dir, env, timeoutMs: 20_000 },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('target "default": secret "token": /dev/zero is not a regular file');
    expect(r.stderr).not.toMatch(/not reachable/);
  });

  it("a secret file larger than BuildKit accepts", async () => {
    const dir = project();
    writeFileSync(join(dir, "big.secret"), "x".repeat(600 * 1024));
    const r = await runMbake(
      ["--dry-run", ...closed, "--set", "*.secrets=id=token,src=big.secret"],
      { cwd: dir, env, timeoutMs: 20_000 },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("BuildKit takes secrets of at most 500 KiB");
  });

  it("a secret file that does not exist", async () => {
    const dir = project();
    const r = await runMbake(
      ["--dry-run", ...closed, "--set", "*.secrets=id=token,src=missing.txt"],
      { cwd: dir, env, timeoutMs: 20_000 },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing.txt: no such file");
    expect(r.stderr).not.toMatch(/not reachable/);
  });

  it("a metadata file in a folder that does not exist", async () => {
    const dir = project();
    const r = await runMbake(["--dry-run", ...closed, "--metadata-file", "nope/meta.json"], {
      cwd: dir,
      env,
      timeoutMs: 20_000,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--metadata-file nope/meta.json: the folder nope does not exist");
  });

  it("a metadata file that is a folder", async () => {
    const dir = project();
    mkdirSync(join(dir, "meta"));
    const r = await runMbake(["--dry-run", ...closed, "--metadata-file", "meta"], {
      cwd: dir,
      env,
      timeoutMs: 20_000,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--metadata-file meta is a folder");
  });
});
