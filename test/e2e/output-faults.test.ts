/**
 * Outputs that cannot be written: a full disk (a 1 MiB tmpfs) and a read-only file system.
 * The run fails with the target and the reason, exit 1, and leaves nothing behind.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runMbake } from "../cli/run-mbake.js";
import { testEnv } from "./test-env.js";

const env = testEnv();
const engine = env.engines[0]!;
const mounts: string[] = [];

function smallDisk(options: string): { dir: string; disk: string } {
  const dir = mkdtempSync(join(tmpdir(), "mbake-outfault-"));
  const disk = join(dir, "disk");
  mkdirSync(disk);
  execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", disk]);
  mounts.push(disk);
  return { dir, disk };
}

afterAll(() => {
  for (const m of mounts) execFileSync("umount", [m]);
});

/** One file of 3 MB, or (`smallFiles`) 400 files of 4 KB, written to the output. */
function bakeFile(dir: string, output: string, smallFiles = false): void {
  const make = smallFiles
    ? "mkdir /f && for i in $(seq 400); do head -c 4000 /dev/urandom > /f/$i; done"
    : "head -c 3000000 /dev/urandom > /f";
  writeFileSync(
    join(dir, "docker-bake.hcl"),
    `target "big" {\n  dockerfile-inline = "FROM ${env.baseImage} AS b\\nRUN ${make} && echo ${Date.now()}\\nFROM scratch\\nCOPY --from=b /f /\\n"\n  output = ["${output}"]\n}\n`,
  );
}

describe("an output that cannot be written fails cleanly", () => {
  it.each(["type=local,dest=disk/out", "type=tar,dest=disk/out.tar"])(
    "%s on a full disk: exit 1, the target and the reason named, nothing left on the disk",
    async (output) => {
      const { dir, disk } = smallDisk("size=1m");
      bakeFile(dir, output);
      const r = await runMbake(["--progress=plain", "big"], {
        cwd: dir,
        env: { MBAKE_ENDPOINTS: `${engine.name}=${engine.endpoint}`, CI: "true" },
      });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        /big.*cannot write the output to disk\/out(\.tar)?: no space left on the device \(ENOSPC\)/,
      );
      expect(r.stderr).not.toMatch(/Unhandled|\n\s+at /);
      expect(readdirSync(disk)).toEqual([]);
    },
  );

  it("many small files on a full disk: exit 1, the reason named, nothing left on the disk", async () => {
    const { dir, disk } = smallDisk("size=1m");
    bakeFile(dir, "type=local,dest=disk/out", true);
    const r = await runMbake(["--progress=plain", "big"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: `${engine.name}=${engine.endpoint}`, CI: "true" },
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /big.*cannot write the output to disk\/out: no space left on the device \(ENOSPC\)/,
    );
    expect(r.stderr).not.toMatch(/Unhandled|\n\s+at /);
    expect(readdirSync(disk)).toEqual([]);
  });

  it("a read-only destination is refused before the build, with the reason", async () => {
    const { dir, disk } = smallDisk("ro,size=1m");
    bakeFile(dir, "type=local,dest=disk");
    const r = await runMbake(["--progress=plain", "big"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: `${engine.name}=${engine.endpoint}`, CI: "true" },
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /target "big": output dest=disk: .*disk is not writable \(read-only file system\)/,
    );
    expect(r.stderr).not.toMatch(/Unhandled|\n\s+at /);
    expect(readdirSync(disk)).toEqual([]);
  });
});
