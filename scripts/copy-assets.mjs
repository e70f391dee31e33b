// Copies non-TypeScript assets that the compiled program reads at run time
// (the BuildKit .proto files) from src/ into dist/, keeping their paths.
import { cpSync, existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");
const dist = join(root, "dist");

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".proto")) {
      const target = join(dist, relative(src, path));
      cpSync(path, target);
    }
  }
}
if (existsSync(src)) walk(src);
