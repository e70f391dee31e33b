// Part of `npm run build`, after tsc: writes all of mbake's command line, with its
// dependencies, as one CommonJS script, dist/bin/mbake.cjs, which dist/cli/main.js runs
// with a V8 code cache (src/cli/code-cache.ts). One script, compiled once per build and
// machine, starts much sooner than some hundred ES modules compiled on every run.
// The live view (dist/ui/tui.js, with ink and react; loaded only for it) stays outside:
// ink is an ES module with top-level await, which a CommonJS script can only import();
// the script then imports dist/ui/tui.js through Node's loader.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist/bin");
rmSync(out, { recursive: true, force: true });
await build({
  input: join(root, "dist/cli/entry.js"),
  platform: "node",
  external: (id) => /^(ink|react|react-dom)(\/|$)/.test(id) || /(^|\/)ui\/tui\.js$/.test(id),
  logLevel: "warn",
  output: {
    file: join(out, "mbake.cjs"),
    format: "cjs",
    codeSplitting: false,
    // The live view, relative to dist/bin/.
    paths: (id) => (/(^|\/)ui\/tui\.js$/.test(id) ? "../ui/tui.js" : id),
    sourcemap: false,
  },
});

// Node 20 runs no import() in a script compiled with vm (as the launcher does): the
// launcher hands the script its own import, as __mbakeImport.
const file = join(out, "mbake.cjs");
const text = readFileSync(file, "utf8");
const dynamic = text.match(/\bimport\(/g) ?? [];
const replaced = text.replaceAll('import("../ui/tui.js")', '__mbakeImport("../ui/tui.js")');
if (dynamic.length !== 1 || replaced === text) {
  console.error(`bundle: expected one import() (of ../ui/tui.js), found ${dynamic.length}`);
  process.exit(1);
}
writeFileSync(file, replaced);
