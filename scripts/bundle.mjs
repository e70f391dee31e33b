// Part of `npm run build`, after tsc: writes all of mbake's command line, with its
// dependencies, as one CommonJS script, dist/bin/mbake.cjs, which dist/cli/main.js runs
// with a V8 code cache (src/cli/code-cache.ts). One script, compiled once per build and
// machine, starts much sooner than some hundred ES modules compiled on every run.
// The live view (dist/ui/tui.js, with ink and react; loaded only for it) stays outside:
// ink is an ES module with top-level await, which a CommonJS script can only import();
// the script then imports dist/ui/tui.js through Node's loader.
// The script is minified (names of functions and classes kept) and pure ASCII: Node reads
// it as Latin-1 with no UTF-8 decoding, and V8 keeps it as a one-byte string, which halves
// the time to read it and check it against the code cache. @grpc/proto-loader (and the
// whole of protobufjs with it) stays out: grpc-js loads it only for channelz and ORCA,
// which mbake never uses; mbake's own messages are generated code (npm run gen:proto).
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist/bin");
rmSync(out, { recursive: true, force: true });
await build({
  input: join(root, "dist/cli/entry.js"),
  platform: "node",
  external: (id) =>
    /^(ink|react|react-dom|@grpc\/proto-loader)(\/|$)/.test(id) || /(^|\/)ui\/tui\.js$/.test(id),
  logLevel: "warn",
  output: {
    file: join(out, "mbake.cjs"),
    format: "cjs",
    codeSplitting: false,
    // The live view, relative to dist/bin/.
    paths: (id) => (/(^|\/)ui\/tui\.js$/.test(id) ? "../ui/tui.js" : id),
    sourcemap: false,
    charset: "ascii",
    minify: { compress: true, mangle: { keepNames: true } },
    keepNames: true,
  },
});

// Node 20 runs no import() in a script compiled with vm (as the launcher does): the
// launcher hands the script its own import, as __mbakeImport.
const file = join(out, "mbake.cjs");
const text = readFileSync(file, "utf8");
const dynamic = text.match(/\bimport\(/g) ?? [];
const replaced = text.replace(
  /\bimport\((["'`])\.\.\/ui\/tui\.js\1\)/g,
  '__mbakeImport("../ui/tui.js")',
);
if (dynamic.length !== 1 || replaced === text) {
  console.error(`bundle: expected one import() (of ../ui/tui.js), found ${dynamic.length}`);
  process.exit(1);
}
// The launcher reads the script as Latin-1: a character outside ASCII would be misread.
const outside = replaced.search(/[^\x00-\x7f]/);
if (outside >= 0) {
  console.error(
    `bundle: non-ASCII text at offset ${outside}: ${replaced.slice(outside - 40, outside + 10)}`,
  );
  process.exit(1);
}
writeFileSync(file, replaced);

// The `mbake` command itself: a shell launcher that starts Node on dist/cli/main.js
// (src/cli/launcher.sh says why it is not main.js).
const launcher = join(out, "mbake");
copyFileSync(join(root, "src/cli/launcher.sh"), launcher);
chmodSync(launcher, 0o755);
