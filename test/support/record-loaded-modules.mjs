// Loaded with `node --import` (through NODE_OPTIONS) by tests that check what a command
// loads: at exit, writes the files of every CommonJS module the process loaded, one a
// line, to the file named by MBAKE_TEST_LOADED_MODULES. gRPC and protobufjs are CommonJS,
// so they are listed whether mbake imported them or something it loaded required them.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const out = process.env.MBAKE_TEST_LOADED_MODULES;
if (out) {
  const require = createRequire(import.meta.url);
  process.on("exit", () => writeFileSync(out, Object.keys(require.cache).join("\n")));
}
