import { describe, expect, it } from "vitest";
import {
  cachedSteps,
  cleanLogLine,
  counts,
  initialState,
  type RunState,
  reduce,
} from "../../src/progress/model.js";
import { loadRecordedRun } from "./recorded.js";

function replay(): RunState {
  return loadRecordedRun().reduce(reduce, initialState());
}

describe("the progress model, fed with a recorded run", () => {
  const state = replay();
  const job = (target: string) => state.jobs.find((j) => j.target === target)!;

  it("ends with every target in its final state and the run's outcome", () => {
    expect(state.jobs.map((j) => [j.target, j.state]).sort()).toEqual([
      ["cached", "done"],
      ["failing", "failed"],
      ["logs", "done"],
      ["moved", "done"],
    ]);
    expect(state.outcome).toBe("failed");
    expect(counts(state)).toMatchObject({ done: 3, failed: 1, running: 0, queued: 0 });
  });

  it("keeps the failing step and its log", () => {
    const failing = job("failing");
    expect(failing.failedStep).toMatch(/RUN echo about-to-fail-\S+ && exit 3/);
    expect(failing.error).toMatch(/exit code: 3|non-zero code: 3/);
    const step = failing.steps.find((s) => s.error);
    expect(step?.logs.map(cleanLogLine).join("\n")).toMatch(/about-to-fail-/);
  });

  it("records the retry and the endpoint that went down", () => {
    const moved = job("moved");
    expect(moved.retries).toBeGreaterThanOrEqual(1);
    expect(moved.endpoint).toBe("engine-b");
    expect(state.endpoints.flaky).toBe("down");
  });

  it("counts cached steps and keeps log lines in order", () => {
    expect(cachedSteps(job("cached")).cached).toBeGreaterThanOrEqual(1);
    const logs = job("logs").steps.flatMap((s) => s.logs.map(cleanLogLine));
    const lines = logs.filter((l) => /^line-\d-/.test(l)).map((l) => l.slice(0, 6));
    expect(lines).toEqual(["line-1", "line-2", "line-3"]);
  });

  it("leaves unchanged jobs untouched (same objects) when another job changes", () => {
    const events = loadRecordedRun();
    let s = initialState();
    for (const e of events.slice(0, 20)) s = reduce(s, e);
    const before = s.jobs;
    const next = reduce(s, { type: "warning", time: 0, message: "x" });
    expect(next.jobs).toBe(before);
    const statusFor = events.slice(20).find((e) => e.type === "job-status");
    if (statusFor?.type === "job-status") {
      const after = reduce(s, statusFor);
      const changed = after.jobs.filter((j, i) => j !== s.jobs[i]);
      expect(changed).toHaveLength(1);
    }
  });
});
