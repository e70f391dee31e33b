/**
 * The state file, .mbake/state.json in the working folder: which endpoint built each
 * target last (its cache is warm there), so the next plan sends the target back.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseWarmth, serializeWarmth } from "../plan/warmth.js";
import type { RunResult } from "../scheduler/scheduler.js";
import { writeAtomically } from "./files.js";

/** Endpoint names by target (or part job id). */
export type Warmth = Readonly<Record<string, string>>;

export function statePath(cwd: string): string {
  return join(cwd, ".mbake", "state.json");
}

/** What the last runs left; nothing when there is no state file yet. */
export function readWarmth(cwd: string): Warmth {
  const path = statePath(cwd);
  return parseWarmth(existsSync(path) ? readFileSync(path, "utf8") : undefined);
}

/** Records where each job that finished was built. Never fails the run: the file only makes later runs faster. */
export function saveWarmth(cwd: string, before: Warmth, result: RunResult): void {
  const built: Record<string, string> = {};
  for (const j of result.jobs)
    if (j.state === "done" && j.endpoint) built[j.job.part ? j.job.id : j.job.target] = j.endpoint;
  try {
    writeAtomically(statePath(cwd), serializeWarmth(before, built));
  } catch {
    // A read-only folder or a full disk costs the next run its warm start, nothing more.
  }
}
