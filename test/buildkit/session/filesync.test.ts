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

describe("include patterns", () => {
  it("send a directory kept only to reach included files once something inside it is included, never an empty one", () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-include-"));
    for (const d of ["src/app", "src/empty/deeper", "docs"])
      mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, "src", "app", "main.go"), "package main\n");
    writeFileSync(join(dir, "src", "app", "notes.md"), "notes\n");
    writeFileSync(join(dir, "src", "empty", "deeper", "x.md"), "x\n");
    writeFileSync(join(dir, "docs", "y.md"), "y\n");
    writeFileSync(join(dir, "top.go"), "package top\n");
    const sent = listEntries({ kind: "fs", path: dir }, ["**/*.go"], []).map((e) => e.stat.path);
    expect(sent).toEqual(["src", "src/app", "src/app/main.go", "top.go"]);
  });
});

describe("include patterns with excluded directories walked for exceptions", () => {
  it("a directory that holds nothing to send takes nothing else out of the listing", () => {
    // `kept/` is excluded but walked (an exception could bring something inside back);
    // nothing inside is sent, and the file listed before it stays listed.
    const dir = mkdtempSync(join(tmpdir(), "mbake-include-excluded-"));
    mkdirSync(join(dir, "e", "f"), { recursive: true });
    mkdirSync(join(dir, "kept"));
    writeFileSync(join(dir, "e", "f", "a.txt"), "a\n");
    writeFileSync(join(dir, "e", "f", "b.txt"), "b\n");
    writeFileSync(join(dir, "kept", "c.txt"), "c\n");
    const sent = listEntries({ kind: "fs", path: dir }, ["e", "kept/c*.md"], ["*", "!e/f"]);
    expect(sent.map((e) => e.stat.path)).toEqual(["e/f", "e/f/a.txt", "e/f/b.txt"]);
  });
});
