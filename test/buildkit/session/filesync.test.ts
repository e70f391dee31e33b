import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { followPaths, listEntries } from "../../../src/buildkit/session/filesync.js";

describe("FileSync followpaths", () => {
  it("follows symlinked followpaths to their targets inside the folder", () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-follow-"));
    mkdirSync(join(dir, "config"));
    writeFileSync(join(dir, "config", "ignore"), "*.log\n");
    symlinkSync("config/ignore", join(dir, ".dockerignore"));
    symlinkSync("/etc/passwd", join(dir, "outside"));
    writeFileSync(join(dir, "big.bin"), "x".repeat(1000));
    expect(followPaths(dir, [".dockerignore", "missing"]).sort()).toEqual(
      [".dockerignore", "config/ignore", "missing"].sort(),
    );
    const sent = listEntries({ kind: "fs", path: dir }, followPaths(dir, [".dockerignore"]), []);
    expect(sent.map((e) => e.stat.path)).toEqual([".dockerignore", "config", "config/ignore"]);
    // An absolute link target is taken inside the folder, never outside it.
    expect(followPaths(dir, ["outside"])).toEqual(["outside", "etc/passwd"]);
  });
});

describe("files made in memory (the Dockerfile)", () => {
  it("carry an mtime that changes with their content, so the daemon never keeps a stale one", () => {
    const mtime = (text: string) =>
      listEntries(
        { kind: "memory", files: { Dockerfile: { data: Buffer.from(text) } } },
        [],
        [],
      )[0]!.stat.modTime;
    expect(mtime("RUN echo aa\n")).not.toBe(mtime("RUN echo bb\n"));
    expect(mtime("RUN echo aa\n")).toBe(mtime("RUN echo aa\n"));
    expect(BigInt(String(mtime("x")))).toBeGreaterThan(0n);
  });
});
