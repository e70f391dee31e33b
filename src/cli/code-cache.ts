/**
 * Runs a CommonJS script with a V8 code cache, kept in the user's own cache folder
 * ($XDG_CACHE_HOME/mbake or ~/.cache/mbake, made private to the user). The cache file is
 * named after the script's identity (size, change time, inode) and Node's version, so a
 * rebuilt mbake or another Node never reads a stale one (V8 also rejects one that does
 * not fit). A folder that others could write is not used: compiled code is trusted code.
 * When there is no usable cache, the script is compiled as usual and, when the process
 * exits, its compiled code (with the functions this run used) is saved for the next run.
 * A cache saved by a run that never reached a daemon (--print, --list) lacks the code of
 * builds, which every build would then compile again: the first run that builds saves
 * one that has it (named *.built.bin), and that one is used from then on.
 * MBAKE_CODE_CACHE=0 turns this off.
 */
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { Script } from "node:vm";
import { workStartedMark } from "../support/work-started.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The user's private cache folder for mbake, made when missing; undefined when not safe. */
export function codeCacheDir(env: Env): string | undefined {
  const base = env.XDG_CACHE_HOME?.startsWith("/") ? env.XDG_CACHE_HOME : join(homedir(), ".cache");
  const dir = join(base, "mbake", "code-cache");
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const s = statSync(dir);
    const uid = process.getuid?.();
    // Owned by this user and writable by nobody else.
    if (!s.isDirectory() || (uid !== undefined && s.uid !== uid) || (s.mode & 0o022) !== 0)
      return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

/**
 * The cache file's name for this script file and this Node. A cache saved by a run that
 * built (`built`: it reached a daemon) holds the compiled code of builds as well; one saved
 * by a --print or --list run does not, and a later build replaces it.
 */
export function codeCacheName(script: Stats, built = false): string {
  const id = [
    process.version,
    process.arch,
    script.size,
    Math.round(script.mtimeMs),
    Math.round(script.ctimeMs),
    script.ino,
  ].join("-");
  return `mbake-${id.replace(/[^A-Za-z0-9.-]/g, "_")}${built ? ".built" : ""}.bin`;
}

function readCache(path: string): Buffer | undefined {
  try {
    const s = statSync(path);
    const uid = process.getuid?.();
    if (!s.isFile() || (uid !== undefined && s.uid !== uid)) return undefined;
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Removes `replaced` (the cache a build run's cache replaces) and cache files of other builds
 * of mbake made over a day ago (each build leaves one).
 */
function pruneOld(dir: string, keep: string, replaced: string): void {
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of readdirSync(dir)) {
    if (name === keep || !name.startsWith("mbake-")) continue;
    const path = join(dir, name);
    try {
      if (name === replaced || statSync(path).mtimeMs < dayAgo) unlinkSync(path);
    } catch {
      // gone already, or not ours to remove
    }
  }
}

/**
 * Runs the CommonJS script at `path` (as Node would), through the code cache. The script
 * gets `importModule` as __mbakeImport: Node 20 runs no import() in a vm-compiled script.
 */
export function runScript(
  path: string,
  env: Env,
  importModule: (specifier: string) => Promise<unknown>,
): void {
  // The bundle is pure ASCII (scripts/bundle.mjs checks): Latin-1 reads it with no decoding.
  const source = readFileSync(path, "latin1");
  const stats = statSync(path);
  const dir = env.MBAKE_CODE_CACHE === "0" ? undefined : codeCacheDir(env);
  const builtPath = dir ? join(dir, codeCacheName(stats, true)) : undefined;
  const lightPath = dir ? join(dir, codeCacheName(stats)) : undefined;
  const builtData = builtPath ? readCache(builtPath) : undefined;
  const cachedData = builtData ?? (lightPath ? readCache(lightPath) : undefined);
  const script = new Script(
    `(function (exports, require, module, __filename, __dirname, __mbakeImport) {${source}\n})`,
    { filename: path, ...(cachedData ? { cachedData } : {}) },
  );
  const usable = cachedData !== undefined && !script.cachedDataRejected;
  if (builtPath && lightPath && !(usable && builtData)) {
    process.once("exit", () => {
      const built = (globalThis as Record<symbol, unknown>)[workStartedMark] === true;
      // A usable cache is replaced only by one that also holds the code of builds.
      if (usable && !built) return;
      const cachePath = built ? builtPath : lightPath;
      try {
        const temp = `${cachePath}.tmp-${process.pid}`;
        writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
        renameSync(temp, cachePath);
        pruneOld(dirname(cachePath), basename(cachePath), basename(lightPath));
      } catch {
        // No cache this time: the next run compiles again.
      }
    });
  }
  const module = { exports: {} };
  const fn = script.runInThisContext() as (
    exports: unknown,
    require: NodeRequire,
    module: unknown,
    filename: string,
    dirname: string,
    mbakeImport: (specifier: string) => Promise<unknown>,
  ) => void;
  fn(module.exports, createRequire(path), module, path, dirname(path), importModule);
}
