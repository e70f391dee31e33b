/**
 * The layering of src/, written once: folders top to bottom, and within a layer left
 * to right. A folder may import only itself and folders after it (below it, or to its
 * right in its own layer), so imports point down and no two folders import each other.
 * README.md's ARCHITECTURE section says the same in words.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const layers: readonly (readonly string[])[] = [
  // The command line and the terminal UI it chooses as a renderer.
  ["cli", "ui"],
  // Driving builds, scheduling jobs, reading bake projects.
  ["build", "scheduler", "bake"],
  // Planning, evaluating, talking to registries and BuildKit, parsing, the target graph.
  ["plan", "eval", "buildkit", "registry", "hcl", "graph"],
  // Progress events and renderers' model, small shared helpers, diagnostics and error kinds.
  ["progress", "support", "diagnostics"],
];

const src = new URL("../../src/", import.meta.url).pathname;
const order = layers.flat();

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** The src/ folder each relative import (static, dynamic, re-export) of a file lands in. */
function importedFolders(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [
    ...text.matchAll(/\bfrom\s+"(\.[^"]+)"/g),
    ...text.matchAll(/\bimport\(\s*"(\.[^"]+)"\s*\)/g),
  ].map((m) => m[1]!);
  return specifiers.map((s) => relative(src, resolve(dirname(file), s)).split("/")[0]!);
}

describe("module layering", () => {
  it("names every folder of src/ exactly once", () => {
    const folders = readdirSync(src).filter((name) => statSync(join(src, name)).isDirectory());
    expect([...order].sort()).toEqual(folders.sort());
    expect(new Set(order).size).toBe(order.length);
  });

  for (const [rank, folder] of order.entries()) {
    const allowed = order.slice(rank);
    it(`src/${folder} imports only ${allowed.join(", ")}`, () => {
      const files = sourceFiles(join(src, folder));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const outside = importedFolders(file).filter((f) => !allowed.includes(f));
        expect({ file: relative(src, file), outside }).toEqual({
          file: relative(src, file),
          outside: [],
        });
      }
    });
  }
});
