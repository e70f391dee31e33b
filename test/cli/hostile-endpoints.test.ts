/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: hostile address text */
/**
 * Endpoint addresses from a project's files or the user's settings never start a program
 * with options they choose. Fake `ssh`, `kubectl` and `docker` programs first on PATH
 * record every start, so the tests see exactly what mbake would have run.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMbake } from "./run-mbake.js";

function fakeTools(): { bin: string; log: string } {
  const root = mkdtempSync(join(tmpdir(), "mbake-fake-tools-"));
  const bin = join(root, "bin");
  mkdirSync(bin);
  const log = join(root, "started.log");
  for (const tool of ["ssh", "kubectl", "docker"]) {
    writeFileSync(
      join(bin, tool),
      `#!/bin/sh\nprintf '%s' "${tool}" >> "${log}"\nfor a in "$@"; do printf ' [%s]' "$a" >> "${log}"; done\necho >> "${log}"\necho "${tool}: cannot reach the host" >&2\nexit 255\n`,
    );
    chmodSync(join(bin, tool), 0o755);
  }
  return { bin, log };
}

function project(config?: object): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-hostile-"));
  writeFileSync(
    join(dir, "docker-bake.hcl"),
    'target "default" {\n  dockerfile-inline = "FROM scratch"\n}\n',
  );
  if (config) writeFileSync(join(dir, "mbake.json"), JSON.stringify(config));
  return dir;
}

const noStackTrace = (text: string) =>
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n|Unhandled/);

describe("hostile endpoint addresses", () => {
  const commands = [["--dry-run"], ["endpoints"], ["du"]];

  it.each(commands)(
    "an mbake.json ssh address with an option for a host runs nothing (%s)",
    async (cmd) => {
      const tools = fakeTools();
      const dir = project({ endpoints: [{ address: "ssh://-oProxyCommand=touch${IFS}pwned" }] });
      const r = await runMbake([cmd], {
        cwd: dir,
        env: {
          PATH: `${tools.bin}:${process.env.PATH}`,
          MBAKE_ENDPOINTS: undefined,
          BUILDKIT_HOST: undefined,
        },
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/invalid endpoint address "ssh:\/\/-oProxyCommand/);
      noStackTrace(r.stderr);
      expect(existsSync(join(dir, "pwned"))).toBe(false);
      expect(existsSync(tools.log)).toBe(false);
    },
  );

  it.each([
    "kube-pod://--kubeconfig=evil",
    "kube-pod://p?namespace=--kubeconfig=evil",
    "docker-container://--config=evil",
    "ssh://-oProxyCommand=sh",
    "tcp://",
    "ftp://x",
  ])("--endpoint %s is a usage error, and nothing starts", async (address) => {
    const tools = fakeTools();
    const dir = project();
    for (const cmd of commands) {
      const r = await runMbake([...cmd, "--endpoint", address], {
        cwd: dir,
        env: { PATH: `${tools.bin}:${process.env.PATH}` },
      });
      expect(r.code, `${cmd} ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/endpoint/);
      noStackTrace(r.stderr);
    }
    expect(existsSync(tools.log)).toBe(false);
  });

  it("MBAKE_ENDPOINTS and BUILDKIT_HOST are checked the same way", async () => {
    const tools = fakeTools();
    const dir = project();
    const env = { PATH: `${tools.bin}:${process.env.PATH}` };
    const a = await runMbake(["--dry-run"], {
      cwd: dir,
      env: { ...env, MBAKE_ENDPOINTS: "x=kube-pod://--kubeconfig=evil" },
    });
    expect(a.code).toBe(2);
    const b = await runMbake(["--dry-run"], {
      cwd: dir,
      env: { ...env, MBAKE_ENDPOINTS: undefined, BUILDKIT_HOST: "ssh://-oProxyCommand=sh" },
    });
    expect(b.code).toBe(2);
    expect(existsSync(tools.log)).toBe(false);
  });

  it("an mbake.json may not name an endpoint that starts a program, even a well-formed one", async () => {
    const tools = fakeTools();
    const dir = project({ endpoints: [{ address: "ssh://me@builder.example.com" }] });
    const r = await runMbake(["--dry-run"], {
      cwd: dir,
      env: {
        PATH: `${tools.bin}:${process.env.PATH}`,
        MBAKE_ENDPOINTS: undefined,
        BUILDKIT_HOST: undefined,
      },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "mbake.json: endpoint builder.example.com (ssh://me@builder.example.com) would start ssh",
    );
    expect(r.stderr).toContain("--endpoint, MBAKE_ENDPOINTS, BUILDKIT_HOST");
    expect(existsSync(tools.log)).toBe(false);
  });

  it("the user's own ssh endpoint runs ssh with -- before the host, and a dead host is a warning, not a crash", async () => {
    const tools = fakeTools();
    const dir = project();
    const r = await runMbake(["endpoints", "--endpoint", "ssh://nobody@nonexistent.invalid"], {
      cwd: dir,
      env: { PATH: `${tools.bin}:${process.env.PATH}` },
    });
    noStackTrace(r.stderr + r.stdout);
    expect(r.stdout + r.stderr).toMatch(/nonexistent\.invalid/);
    const started = readFileSync(tools.log, "utf8").trim().split("\n");
    expect(started.length).toBeGreaterThan(0);
    for (const line of started)
      expect(line).toBe("ssh [-T] [--] [nobody@nonexistent.invalid] [buildctl] [dial-stdio]");
  });
});
