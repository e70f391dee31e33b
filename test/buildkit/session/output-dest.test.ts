import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  checkOutputDest,
  OutputDestError,
  stageLocalDest,
  stageTarDest,
} from "../../../src/buildkit/session/output-dest.js";
import { treeSnapshot as snapshot } from "../../support/tree-snapshot.js";

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-dest-"));
  writeFileSync(join(dir, "docker-bake.hcl"), 'target "x" {}\n');
  writeFileSync(join(dir, "Dockerfile"), "FROM scratch\n");
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "src", "main.go"), "package main\n");
  writeFileSync(join(dir, "bin.dat"), Buffer.from([0, 1, 2, 255]));
  return dir;
}

/** Simulates the daemon: writes the output's files into the staging folder. */
function receive(staging: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(staging, rel, ".."), { recursive: true });
    writeFileSync(join(staging, rel), content);
  }
}

function expectKept(before: Map<string, string>, after: Map<string, string>, replaced: string[]) {
  for (const [k, v] of before) {
    if (replaced.includes(k)) continue;
    expect(after.get(k), `${k} is still there, byte for byte`).toBe(v);
  }
}

describe("a local output is written into its folder and removes nothing else", () => {
  it("dest=. (the project folder) keeps every file of the project", () => {
    const dir = project();
    const before = snapshot(dir);
    const staged = stageLocalDest(dir);
    receive(staged.stagingPath(), { app: "binary", "lib/x.so": "so" });
    staged.commit();
    const after = snapshot(dir);
    expectKept(before, after, []);
    expect(after.get("app")).toBe("binary");
    expect(after.get("lib/x.so")).toBe("so");
    expect([...after.keys()].filter((k) => k.includes("mbake"))).toEqual([]);
  });

  it("dest=./out with files in it: exported files replace namesakes, others stay", () => {
    const dir = project();
    mkdirSync(join(dir, "out", "old"), { recursive: true });
    writeFileSync(join(dir, "out", "keep.txt"), "mine");
    writeFileSync(join(dir, "out", "old", "notes"), "notes");
    writeFileSync(join(dir, "out", "app"), "previous build");
    const before = snapshot(dir);
    const staged = stageLocalDest(join(dir, "out"));
    receive(staged.stagingPath(), { app: "new build", "old/new": "n" });
    staged.commit();
    const after = snapshot(dir);
    expectKept(before, after, ["out/app"]);
    expect(after.get("out/app")).toBe("new build");
    expect(after.get("out/old/new")).toBe("n");
  });

  it("dest a symlink to a folder writes through it and keeps the link", () => {
    const dir = project();
    mkdirSync(join(dir, "real"));
    writeFileSync(join(dir, "real", "keep"), "k");
    symlinkSync("real", join(dir, "link"));
    const before = snapshot(dir);
    const staged = stageLocalDest(join(dir, "link"));
    receive(staged.stagingPath(), { built: "b" });
    staged.commit();
    const after = snapshot(dir);
    expectKept(before, after, []);
    expect(after.get("link")).toBe("-> real");
    expect(after.get("real/built")).toBe("b");
  });

  it("never follows a symlink inside the destination out of it", () => {
    const dir = project();
    const outside = mkdtempSync(join(tmpdir(), "mbake-outside-"));
    mkdirSync(join(dir, "out"));
    symlinkSync(outside, join(dir, "out", "etc"));
    const staged = stageLocalDest(join(dir, "out"));
    receive(staged.stagingPath(), { "etc/passwd": "pwned", other: "o" });
    expect(() => staged.commit()).toThrowError(
      /etc is a symlink that does not lead to a folder inside/,
    );
    expect(readdirSync(outside)).toEqual([]);
    // Nothing was moved: the conflict is found before any write.
    expect(existsSync(join(dir, "out", "other"))).toBe(false);
    staged.discard();
    expect(readdirSync(join(dir, "out"))).toEqual(["etc"]);
  });

  it("refuses to replace a folder by a file, changing nothing", () => {
    const dir = project();
    const before = snapshot(dir);
    const staged = stageLocalDest(dir);
    receive(staged.stagingPath(), { a: "1", src: "a file named like the src folder" });
    expect(() => staged.commit()).toThrowError(OutputDestError);
    staged.discard();
    expect(snapshot(dir)).toEqual(before);
  });

  it("discard removes the staged files and only the folders mbake made", () => {
    const dir = project();
    const before = snapshot(dir);
    const staged = stageLocalDest(join(dir, "new", "deep"));
    receive(staged.stagingPath(), { f: "x" });
    staged.discard();
    expect(snapshot(dir)).toEqual(before);
    const kept = stageLocalDest(dir);
    receive(kept.stagingPath(), { f: "x" });
    kept.discard();
    expect(snapshot(dir)).toEqual(before);
  });

  it("refuses dest=/ before anything is written", () => {
    expect(() => checkOutputDest("local", "/")).toThrowError(/root of the file system/);
    expect(() => stageLocalDest("/").stagingPath()).toThrowError(/root of the file system/);
  });

  it("refuses a local dest that is a file, and a tar dest that is a folder", () => {
    const dir = project();
    expect(() => checkOutputDest("local", join(dir, "Dockerfile"))).toThrowError(/not a folder/);
    expect(() => checkOutputDest("tar", join(dir, "src"))).toThrowError(/is a folder/);
    expect(() => checkOutputDest("tar", join(dir, "Dockerfile", "x.tar"))).toThrowError(
      /is not a folder/,
    );
  });
});

describe("a tar output replaces only its own file", () => {
  it("writes the file beside the others and leaves no temporary file", () => {
    const dir = project();
    const before = snapshot(dir);
    const staged = stageTarDest(join(dir, "img.tar"));
    writeFileSync(staged.stagingPath(), "tar bytes");
    staged.commit();
    const after = snapshot(dir);
    expectKept(before, after, []);
    expect(after.get("img.tar")).toBe("tar bytes");
    expect(after.size).toBe(before.size + 1);
  });

  it("discard leaves the folder as it was", () => {
    const dir = project();
    const before = snapshot(dir);
    const staged = stageTarDest(join(dir, "sub", "img.tar"));
    writeFileSync(staged.stagingPath(), "partial");
    staged.discard();
    expect(snapshot(dir)).toEqual(before);
  });
});
