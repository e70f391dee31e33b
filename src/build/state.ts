/**
 * The state file, .mbake/state.json in the working folder: which endpoint built each
 * target last (its cache is warm there) and how long its recent builds took, so the
 * next run places each job where it would finish first.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseRunState, type RunMemory, serializeRunState } from "../plan/warmth.js";
import type { RunResult } from "../scheduler/scheduler.js";
import { writeAtomically } from "./files.js";

export function statePath(cwd: string): string {
  return join(cwd, ".mbake", "state.json");
}

/** What the last runs left; nothing when there is no state file yet. */
export function readRunMemory(cwd: string): RunMemory {
  const path = statePath(cwd);
  return parseRunState(existsSync(path) ? readFileSync(path, "utf8") : undefined);
}

/** Records where each job that finished was built, and how long it took. Never fails the run. */
export function saveRunMemory(cwd: string, before: RunMemory, result: RunResult): void {
  try {
    writeAtomically(statePath(cwd), serializeRunState(before, result.jobs));
  } catch {
    // A read-only folder or a full disk costs the next run its warm start, nothing more.
  }
}
