import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/progress/events.js";
import { initialState, type RunState, reduce } from "../../src/progress/model.js";
import { layoutRows } from "../../src/ui/layout.js";
import { RunView } from "../../src/ui/run-view.js";
import { loadRecordedRun } from "../progress/recorded.js";

const targets = ["api", "web", "worker", "cli", "docs", "tools"];
const platforms = ["linux/amd64", "linux/arm64"];
const jobs = targets.flatMap((target) => platforms.map((p) => ({ target, platforms: [p] })));

/** A status update: two running steps, each with many log lines. */
function busy(jobIndex: number, t: number): RunEvent {
  const job = jobs[jobIndex]!;
  const step = (n: number) => `sha256:${jobIndex}-${n}`;
  const text = Array.from({ length: 12 }, (_, i) => `line ${i} of step output ${"x".repeat(80)}`)
    .join("\n")
    .concat("\n");
  return {
    type: "job-status",
    time: t,
    job,
    endpoint: jobIndex % 2 === 0 ? "engine-a" : "engine-b",
    status: {
      vertexes: [1, 2].map((n) => ({
        digest: step(n),
        inputs: [],
        name: `[${n}/2] RUN make part-${n} for ${job.target}`,
        cached: false,
        started: new Date(t),
        error: "",
      })),
      statuses: [],
      logs: [1, 2].map((n) => ({
        vertex: step(n),
        stream: 1,
        data: new TextEncoder().encode(text),
      })),
      warnings: [],
    },
  };
}

/** 6 targets x 2 platforms: events of a run where they start, log a lot and finish in turn. */
function run(): RunEvent[] {
  const events: RunEvent[] = [
    { type: "run-started", time: 0, targets, endpoints: ["engine-a", "engine-b"] },
    ...jobs.map((job) => ({ type: "job-queued", time: 0, job, waitingFor: [] }) as RunEvent),
    { type: "warning", time: 1, message: "first warning" },
    { type: "warning", time: 1, message: "second warning" },
    { type: "warning", time: 1, message: "third warning" },
  ];
  let t = 10;
  jobs.forEach((job, i) => {
    const endpoint = i % 2 === 0 ? "engine-a" : "engine-b";
    events.push({ type: "job-started", time: t, job, endpoint, attempt: 1 });
    events.push(busy(i, t));
    t += 100;
    if (i >= 4) {
      const earlier = jobs[i - 4]!;
      events.push({
        type: "job-done",
        time: t,
        job: earlier,
        endpoint: (i - 4) % 2 === 0 ? "engine-a" : "engine-b",
        result: { exporterResponse: {} },
      });
    }
  });
  return events;
}

function frameOf(state: RunState, width: number, height: number): string {
  const { lastFrame, unmount } = render(
    <RunView
      state={state}
      width={width}
      height={height}
      now={100_000}
      color={false}
      mask={(t) => t}
    />,
  );
  const text = lastFrame() ?? "";
  unmount();
  return text;
}

describe("the live view in a 100x30 terminal with 12 jobs", () => {
  const events = run();

  it("never takes more rows than the terminal has, at any point of the run", () => {
    let state = initialState();
    for (const e of events) {
      state = reduce(state, e);
      const lines = frameOf(state, 99, 29).split("\n");
      expect(lines.length).toBeLessThanOrEqual(30);
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
    }
  });

  it("shows every running target, with its steps, and counts what does not fit", () => {
    const state = events.reduce(reduce, initialState());
    const running = state.jobs.filter((j) => j.state === "running");
    expect(running.length).toBeGreaterThanOrEqual(4);
    const text = frameOf(state, 99, 29);
    expect(text.split("\n").length).toBeLessThanOrEqual(30);
    for (const j of running)
      expect(text).toContain(`▶ ${j.target} ${j.platforms[0]} @${j.endpoint}  running`);
    expect(text).toMatch(/RUN make part-\d for /);
    expect(text).toMatch(/line 11 of step output/);
    expect(text).toMatch(/\d+ done, \d+ running, \d+ queued, \d+ failed/);
  });

  it("collapses finished targets to one line and counts hidden ones on a +N more line", () => {
    const state = events.reduce(reduce, initialState());
    const text = frameOf(state, 99, 10);
    expect(text.split("\n").length).toBeLessThanOrEqual(10);
    expect(text).toMatch(/✔ \d+ finished: api linux\/amd64, api linux\/arm64/);
    expect(text).toMatch(/! \+2 more warnings/);
    const tiny = frameOf(state, 99, 6);
    expect(tiny.split("\n").length).toBeLessThanOrEqual(6);
    expect(tiny).toMatch(/✔ 8 finished/);
    expect(tiny).toMatch(/\+2 more \(2 running\)/);
  });

  it("fits any height, down to a few rows, and draws everything when unbounded", () => {
    const state = events.reduce(reduce, initialState());
    for (const height of [1, 2, 3, 5, 8, 13, 29, 60])
      expect(
        layoutRows(state, { width: 99, now: 100_000, color: false, mask: (t) => t, height }).length,
      ).toBeLessThanOrEqual(height);
    const all = layoutRows(state, { width: 99, now: 100_000, color: false, mask: (t) => t });
    expect(all.length).toBeGreaterThan(29);
  });

  it("keeps the recorded run within small terminals too", () => {
    const recorded = loadRecordedRun();
    let state = initialState();
    for (const e of recorded) {
      state = reduce(state, e);
      expect(frameOf(state, 79, 12).split("\n").length).toBeLessThanOrEqual(12);
    }
  });
});
