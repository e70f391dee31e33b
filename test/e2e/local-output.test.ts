/**
 * A local output writes its files into the destination folder and leaves every other
 * file there, byte for byte (as buildx does), on a real Engine.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMbake } from "../cli/run-mbake.js";
import { treeSnapshot as snapshot } from "../support/tree-snapshot.js";
import { testEnv } from "./test-env.js";

const env = testEnv();
const engine = env.engines[0]!;

/** A small project whose build exports /out/app (and /out/share/doc). */
function project(output: string): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-localout-"));
  writeFileSync(
    join(dir, "Dockerfile"),
    `FROM ${env.baseImage} AS build\nCOPY src /src\nRUN mkdir -p /out/share && cat /src/main.txt > /out/app && echo doc > /out/share/doc\nFROM scratch\nCOPY --from=build /out/ /\n`,
  );
  writeFileSync(join(dir, "docker-bake.hcl"), `target "bin" {\n  output = ["${output}"]\n}\n`);
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "src", "main.txt"), "built from source\n");
  writeFileSync(join(dir, "notes.bin"), Buffer.from([0, 1, 2, 3, 254, 255]));
  return dir;
}

async function bake(dir: string) {
  return runMbake(["--progress=plain", "bin"], {
    cwd: dir,
    env: { MBAKE_ENDPOINTS: `${engine.name}=${engine.endpoint}`, CI: "true" },
  });
}

function expectKept(before: Map<string, string>, after: Map<string, string>) {
  for (const [k, v] of before) expect(after.get(k), `${k} is still there, byte for byte`).toBe(v);
}

describe("local output destinations keep the user's files", () => {
  it("dest=. writes into the project folder and deletes nothing", async () => {
    const dir = project("type=local,dest=.");
    const before = snapshot(dir);
    const r = await bake(dir);
    expect(r.code, r.stderr).toBe(0);
    const after = snapshot(dir);
    expectKept(before, after);
    expect(after.get("app")).toBe("built from source\n");
    expect(after.get("share/doc")).toBe("doc\n");
    expect([...after.keys()].filter((k) => k.includes("mbake-out"))).toEqual([]);
  });

  it("dest=./out with files in it keeps them; exported namesakes are replaced", async () => {
    const dir = project("type=local,dest=./out");
    mkdirSync(join(dir, "out", "share"), { recursive: true });
    writeFileSync(join(dir, "out", "README"), "do not delete me");
    writeFileSync(join(dir, "out", "share", "other"), "mine");
    writeFileSync(join(dir, "out", "app"), "old app");
    const before = snapshot(dir);
    before.delete("out/app");
    const r = await bake(dir);
    expect(r.code, r.stderr).toBe(0);
    const after = snapshot(dir);
    expectKept(before, after);
    expect(after.get("out/app")).toBe("built from source\n");
  });

  it("dest a symlink to a folder writes through the link", async () => {
    const dir = project("type=local,dest=./link");
    mkdirSync(join(dir, "real"));
    writeFileSync(join(dir, "real", "keep"), "k");
    symlinkSync("real", join(dir, "link"));
    const before = snapshot(dir);
    const r = await bake(dir);
    expect(r.code, r.stderr).toBe(0);
    const after = snapshot(dir);
    expectKept(before, after);
    expect(after.get("real/app")).toBe("built from source\n");
  });

  it("dest the context folder itself (an absolute path) keeps the sources", async () => {
    const dir = project("type=local,dest=.");
    writeFileSync(
      join(dir, "docker-bake.hcl"),
      `target "bin" {\n  context = "${dir}"\n  output = ["type=local,dest=${dir}"]\n}\n`,
    );
    const before = snapshot(dir);
    const r = await bake(dir);
    expect(r.code, r.stderr).toBe(0);
    const after = snapshot(dir);
    expectKept(before, after);
    expect(after.get("app")).toBe("built from source\n");
  });

  it("dest=/ is refused before anything is built", async () => {
    const dir = project("type=local,dest=/");
    const before = snapshot(dir);
    const r = await bake(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/root of the file system/);
    expect(snapshot(dir)).toEqual(before);
  });

  it("a failed build leaves the destination as it was", async () => {
    const dir = project("type=local,dest=./out");
    mkdirSync(join(dir, "out"));
    writeFileSync(join(dir, "out", "README"), "keep");
    writeFileSync(join(dir, "Dockerfile"), `FROM ${env.baseImage}\nRUN exit 3\n`);
    const before = snapshot(dir);
    const r = await bake(dir);
    expect(r.code).toBe(1);
    const after = snapshot(dir);
    for (const k of after.keys()) if (k.startsWith(".mbake/")) after.delete(k);
    expect(after).toEqual(before);
  });
});
