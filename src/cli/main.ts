#!/usr/bin/env node
/**
 * The `mbake` executable. Starting Node and compiling mbake's JavaScript was most of a
 * short run's time, so `npm run build` also writes all of mbake (but the live view's
 * ink and react) as one script, dist/bin/mbake.cjs (scripts/bundle.mjs), and this
 * launcher runs it with a V8 code cache: the first run saves the compiled code in the
 * user's cache folder (code-cache.ts), later runs skip the compiling. Without the bundle
 * (a build that did not make one), entry.ts runs as plain modules.
 */
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runScript } from "./code-cache.js";

// The shell launcher started Node without NODE_EXTRA_CA_CERTS (launcher.sh): mbake adds
// those CAs itself (support/deferred-ca.ts), and the programs it starts get the variable back.
const deferredCas = process.env.MBAKE_EXTRA_CA_CERTS;
if (deferredCas && process.env.NODE_EXTRA_CA_CERTS === undefined)
  process.env.NODE_EXTRA_CA_CERTS = deferredCas;

const bundle = fileURLToPath(new URL("../bin/mbake.cjs", import.meta.url));
if (existsSync(bundle))
  runScript(
    bundle,
    process.env,
    (specifier) => import(new URL(specifier, pathToFileURL(bundle)).href),
  );
else await import("./entry.js");
