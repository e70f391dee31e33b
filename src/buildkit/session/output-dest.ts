/**
 * Where a `local` or `tar` output lands, and how it gets there without touching
 * anything else. As buildx does, a local output is written INTO its folder: files the
 * build exports replace files of the same name, and every other file stays where it
 * was. To leave no half output on failure or Ctrl-C, mbake receives into a staging
 * folder it creates inside the destination, and moves each exported file into place
 * only after the build succeeded. Nothing mbake did not create is ever removed, and no
 * write follows a symlink out of the destination.
 */

import { randomBytes } from "node:crypto";
import {
  accessSync,
  chmodSync,
  constants,
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmdirSync,
  rmSync,
  type Stats,
  statSync,
  unlinkSync,
  utimesSync,
} from "node:fs";
import { basename, dirname, join, parse, relative, resolve, sep } from "node:path";
import { InputError } from "../../diagnostics/error-kind.js";

export class OutputDestError extends InputError {
  override name = "OutputDestError";
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function isFilesystemRoot(path: string): boolean {
  return parse(path).root === path;
}

/**
 * Checks a destination before any build starts: a local output needs a folder (or a
 * path where one can be made), a tar output a file path that is not a folder. The root
 * of the file system is refused: no build should write its files over `/`.
 */
export function checkOutputDest(kind: "local" | "tar", dest: string): void {
  if (dest === "-") {
    if (kind === "local")
      throw new OutputDestError(
        `output type=local cannot write to "-" (stdout); give a folder in dest=`,
      );
    return;
  }
  if (dest === "") throw new OutputDestError(`output type=${kind} needs dest=`);
  const target = resolve(dest);
  const real = statOrUndefined(target) ? realpathSync(target) : target;
  if (isFilesystemRoot(target) || isFilesystemRoot(real))
    throw new OutputDestError(
      `output type=${kind} dest=${dest} is the root of the file system; give a folder of its own`,
    );
  const st = statOrUndefined(target);
  if (kind === "local" && st && !st.isDirectory())
    throw new OutputDestError(`output type=local dest=${dest} exists and is not a folder`);
  if (kind === "tar" && st?.isDirectory())
    throw new OutputDestError(`output type=tar dest=${dest} is a folder; give a file name`);
  // Find the nearest existing ancestor: it must be a folder we could create under.
  let up = kind === "tar" ? dirname(target) : target;
  while (!statOrUndefined(up)) {
    const parent = dirname(up);
    if (parent === up) break;
    up = parent;
  }
  const anc = statOrUndefined(up);
  if (anc && !anc.isDirectory())
    throw new OutputDestError(`output dest=${dest}: ${up} is not a folder`);
  try {
    accessSync(up, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new OutputDestError(
      `output dest=${dest}: ${up} is not writable (${code === "EROFS" ? "read-only file system" : code === "EACCES" ? "permission denied" : (err as Error).message})`,
    );
  }
}

/** Makes `dir` and any missing parents; returns the folders it made, outermost first. */
function makeFolders(dir: string): string[] {
  const missing: string[] = [];
  let p = dir;
  while (!lstatOrUndefined(p)) {
    missing.unshift(p);
    const parent = dirname(p);
    if (parent === p) break;
    p = parent;
  }
  for (const m of missing) mkdirSync(m);
  return missing;
}

/** Removes folders mbake made (innermost first) while they are empty. */
function removeMadeFolders(made: readonly string[]): void {
  for (const m of [...made].reverse()) {
    try {
      rmdirSync(m);
    } catch {
      return; // not empty (someone else wrote there) or already gone: leave it
    }
  }
}

/** Renames, or copies then unlinks when the two sides are on different file systems. */
function moveFile(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
    copyFileSync(from, to);
    unlinkSync(from);
  }
}

export interface StagedDest {
  /** Where the daemon's files are received (created on first use). */
  stagingPath(): string;
  /** Moves the received output into place; only paths the output names are written. */
  commit(): void;
  /** Removes what was received, and folders mbake made for it. */
  discard(): void;
}

/** A local output folder: staged in a hidden folder inside the destination. */
export function stageLocalDest(dest: string): StagedDest {
  const target = resolve(dest);
  const stagingName = `.mbake-out-${randomBytes(6).toString("hex")}`;
  let made: string[] = [];
  let staging = "";

  const stagingPath = () => {
    if (staging) return staging;
    checkOutputDest("local", dest);
    made = makeFolders(target);
    staging = join(target, stagingName);
    mkdirSync(staging);
    return staging;
  };

  /**
   * Where `rel` goes inside the destination, checked: every existing component between
   * the destination and it must be a folder (a symlink is followed only when it stays
   * inside the destination), and a folder is never replaced by a file.
   */
  const placeOf = (realTarget: string, rel: string, entry: Stats): string => {
    const parts = rel.split(sep);
    let at = target;
    for (let i = 0; i < parts.length; i++) {
      at = join(at, parts[i] as string);
      const last = i === parts.length - 1;
      const st = lstatOrUndefined(at);
      if (!st) return join(at, ...parts.slice(i + 1));
      if (st.isSymbolicLink() && (!last || entry.isDirectory())) {
        const real = statOrUndefined(at) ? realpathSync(at) : "";
        const inside = real === realTarget || real.startsWith(realTarget + sep);
        if (!real || !inside || !statSync(at).isDirectory())
          throw new OutputDestError(
            `output dest=${dest}: ${relative(target, at) || "."} is a symlink that does not lead to a folder inside the destination; the output writes ${rel} through it, so it was not written (remove the link or choose another dest)`,
          );
        continue;
      }
      if (last) {
        if (st.isDirectory() && !entry.isDirectory())
          throw new OutputDestError(
            `output dest=${dest}: the build exports a file ${rel} where a folder of that name exists; mbake does not delete folders it did not make (move it away or choose another dest)`,
          );
        return at;
      }
      if (!st.isDirectory())
        throw new OutputDestError(
          `output dest=${dest}: the build exports ${rel}, but ${relative(target, at)} is a file, not a folder (move it away or choose another dest)`,
        );
    }
    return at;
  };

  /** Every entry of the staging folder, parents before children. */
  const entries = (): { rel: string; st: Stats }[] => {
    const out: { rel: string; st: Stats }[] = [];
    const walk = (rel: string) => {
      for (const name of readdirSync(join(staging, rel)).sort()) {
        const r = rel ? join(rel, name) : name;
        const st = lstatSync(join(staging, r));
        out.push({ rel: r, st });
        if (st.isDirectory()) walk(r);
      }
    };
    walk("");
    return out;
  };

  return {
    stagingPath,
    commit() {
      if (!staging) return;
      const realTarget = realpathSync(target);
      const all = entries();
      // First check every path, so a conflict changes nothing at all.
      const places = all.map((e) => placeOf(realTarget, e.rel, e.st));
      const newDirs: { from: Stats; to: string }[] = [];
      all.forEach((e, i) => {
        const to = places[i] as string;
        const existing = lstatOrUndefined(to);
        if (e.st.isDirectory()) {
          if (!existing) {
            mkdirSync(to);
            newDirs.push({ from: e.st, to });
          }
          return;
        }
        moveFile(join(staging, e.rel), to);
      });
      // Folders mbake made get the exported mode and time (after their files were moved in).
      for (const d of newDirs.reverse()) {
        try {
          chmodSync(d.to, d.from.mode & 0o7777);
          utimesSync(d.to, d.from.atime, d.from.mtime);
        } catch {
          // best effort, as for mtimes
        }
      }
      rmSync(staging, { recursive: true, force: true });
      staging = "";
    },
    discard() {
      if (staging) rmSync(staging, { recursive: true, force: true });
      staging = "";
      removeMadeFolders(made);
      made = [];
    },
  };
}

/** A tar output file: received into a hidden sibling file and renamed over dest. */
export function stageTarDest(dest: string): StagedDest {
  const target = resolve(dest);
  const temp = join(
    dirname(target),
    `.${basename(target)}.mbake-tmp-${randomBytes(4).toString("hex")}`,
  );
  let made: string[] = [];
  let used = false;
  return {
    stagingPath() {
      if (!used) {
        checkOutputDest("tar", dest);
        made = makeFolders(dirname(target));
        used = true;
      }
      return temp;
    },
    commit() {
      if (!used) return;
      if (statOrUndefined(target)?.isDirectory())
        throw new OutputDestError(`output type=tar dest=${dest} is a folder; give a file name`);
      moveFile(temp, target);
      used = false;
    },
    discard() {
      if (!used) return;
      rmSync(temp, { force: true });
      removeMadeFolders(made);
      made = [];
      used = false;
    },
  };
}
