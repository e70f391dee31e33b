/** Imports point down: graph <- plan <- scheduler, and the scheduler never reaches BuildKit. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const src = new URL("../../src/", import.meta.url).pathname;

const allowed: Record<string, readonly string[]> = {
  graph: ["graph", "diagnostics", "support"],
  plan: ["plan", "graph", "diagnostics", "support"],
  scheduler: ["scheduler", "plan", "progress", "graph", "diagnostics", "support"],
};

/** The src/ folders a module's relative imports reach. */
function importedAreas(folder: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const file of readdirSync(join(src, folder))) {
    const text = readFileSync(join(src, folder, file), "utf8");
    const areas = [...text.matchAll(/from\s+"(\.[^"]+)"/g)].map((m) => {
      const path = m[1]!;
      return path.startsWith("../") ? path.split("/")[1]! : folder;
    });
    out.set(file, areas);
  }
  return out;
}

describe("module layering", () => {
  for (const [folder, ok] of Object.entries(allowed)) {
    it(`src/${folder} imports only ${ok.join(", ")}`, () => {
      const files = importedAreas(folder);
      expect(files.size).toBeGreaterThan(0);
      for (const [file, areas] of files)
        expect({ file, outside: areas.filter((a) => !ok.includes(a)) }).toEqual({
          file,
          outside: [],
        });
    });
  }
});
