import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readRunMemory, saveRunMemory, statePath } from "../../src/build/state.js";
import type { JobResult, RunResult } from "../../src/scheduler/scheduler.js";

function result(jobs: Partial<JobResult>[]): RunResult {
  return {
    outcome: "success",
    jobs: jobs.map((j) => ({
      job: { id: j.job?.id ?? "x", target: "x", platforms: [], preferred: [], after: [] },
      state: "done",
      retries: 0,
      ...j,
    })) as JobResult[],
    joins: [],
  } as unknown as RunResult;
}

describe("the state file", () => {
  it("remembers where each target and each part of a split target built, keeping older entries", () => {
    const cwd = mkdtempSync(join(tmpdir(), "mbake-state-"));
    expect(readRunMemory(cwd)).toEqual({ lastEndpoint: {}, durations: {} });
    saveRunMemory(
      cwd,
      { lastEndpoint: { old: "engine-b" }, durations: {} },
      result([
        {
          job: { id: "app", target: "app", platforms: [], preferred: [], after: [] },
          endpoint: "engine-a",
          startedAt: 1000,
          finishedAt: 4000,
        },
        {
          job: {
            id: "multi@linux/arm64",
            target: "multi",
            platforms: ["linux/arm64"],
            preferred: [],
            after: [],
            part: { of: "multi", index: 1, count: 2 },
          },
          endpoint: "engine-b",
        },
        {
          job: { id: "broken", target: "broken", platforms: [], preferred: [], after: [] },
          state: "failed",
          endpoint: "engine-a",
        },
      ]),
    );
    expect(readRunMemory(cwd)).toEqual({
      lastEndpoint: { old: "engine-b", app: "engine-a", "multi@linux/arm64": "engine-b" },
      durations: { app: [{ ms: 3000, warm: false }] },
    });
    expect(JSON.parse(readFileSync(statePath(cwd), "utf8")).version).toBe(2);
  });

  it("never fails the run: an unwritable state folder and a damaged file are shrugged off", () => {
    const cwd = mkdtempSync(join(tmpdir(), "mbake-state-"));
    writeFileSync(join(cwd, ".mbake"), "a file where the folder should be");
    expect(() => saveRunMemory(cwd, { lastEndpoint: {}, durations: {} }, result([]))).not.toThrow();
    const other = mkdtempSync(join(tmpdir(), "mbake-state-"));
    mkdirSync(join(other, ".mbake"));
    writeFileSync(statePath(other), "{not json");
    expect(readRunMemory(other)).toEqual({ lastEndpoint: {}, durations: {} });
  });
});
