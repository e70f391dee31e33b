import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listEntries } from "../../src/buildkit/session/filesync.js";
import { IgnoreMatcher } from "../../src/buildkit/session/ignore.js";

describe(".dockerignore patterns", () => {
  const cases: [string[], string, boolean][] = [
    [["*.log"], "a.log", true],
    [["*.log"], "dir/a.log", false],
    [["**/*.log"], "dir/deep/a.log", true],
    [["dist"], "dist/app.js", true],
    [["/dist"], "dist", true],
    [["node_modules", "!node_modules/keep"], "node_modules/keep", false],
    [["node_modules", "!node_modules/keep"], "node_modules/other", true],
    [["*", "!src"], "src/main.ts", false],
    [["a?c"], "abc", true],
    [["[a-c].txt"], "b.txt", true],
    [["# comment", ""], "# comment", false],
    [["./build/../out"], "out/x", true],
  ];
  for (const [patterns, path, excluded] of cases) {
    it(`${JSON.stringify(patterns)} ${excluded ? "excludes" : "keeps"} ${path}`, () => {
      expect(new IgnoreMatcher(patterns).matches(path)).toBe(excluded);
    });
  }
});

describe("the entries FileSync sends", () => {
  it("walks depth first with sorted names, applies excludes and includes, keeps symlinks as links", () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-walk-"));
    mkdirSync(join(dir, "a"));
    writeFileSync(join(dir, "a", "x.txt"), "x");
    writeFileSync(join(dir, "a.txt"), "a");
    writeFileSync(join(dir, "skip.log"), "s");
    symlinkSync("a.txt", join(dir, "link"));
    const all = listEntries({ kind: "fs", path: dir }, [], ["*.log"]).map((e) => e.stat.path);
    expect(all).toEqual(["a", "a/x.txt", "a.txt", "link"]);
    const link = listEntries({ kind: "fs", path: dir }, [], []).find(
      (e) => e.stat.path === "link",
    )!;
    expect(link.stat.linkname).toBe("a.txt");
    const onlyX = listEntries({ kind: "fs", path: dir }, ["a/x.txt"], []).map((e) => e.stat.path);
    expect(onlyX).toEqual(["a", "a/x.txt"]);
  });
});
