import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { initialState, type RunState, reduce } from "../../src/progress/model.js";
import { RunView } from "../../src/ui/run-view.js";
import { loadRecordedRun } from "../progress/recorded.js";

function stateAfter(count: number): RunState {
  return loadRecordedRun().slice(0, count).reduce(reduce, initialState());
}

function frame(state: RunState, width: number, final = false): string {
  const last = Math.max(...state.jobs.map((j) => j.finishedAt ?? j.startedAt ?? 0));
  const { lastFrame, unmount } = render(
    <RunView state={state} width={width} now={last} color={false} mask={(t) => t} final={final} />,
  );
  const text = lastFrame() ?? "";
  unmount();
  return text;
}

describe("the live view", () => {
  const events = loadRecordedRun();

  it("shows a running target with its active step while the build runs", () => {
    const at = events.findIndex(
      (e) =>
        e.type === "job-status" &&
        e.status.vertexes.some((v) => v.name.includes("sleep 3") && v.started && !v.completed),
    );
    expect(at).toBeGreaterThan(0);
    const text = frame(stateAfter(at + 1), 80);
    expect(text).toMatch(/▶ moved linux\/amd64 @(flaky|engine-b)\s+running/);
    expect(text).toMatch(/RUN echo slow-\S+ && sleep 3/);
    expect(text).toMatch(/\d+ done, \d+ running, \d+ queued, \d+ failed/);
  });

  it("folds finished targets, keeps the failure with its log, and prints the summary at the end", () => {
    const text = frame(stateAfter(events.length), 80, true);
    expect(text).toMatch(/✔ logs @engine-b\s+done\s+\S+\s+\d+\/\d+ cached/);
    expect(text).toMatch(/✘ failing @engine-b\s+failed/);
    expect(text).toMatch(/failed at: \[2\/2\] RUN echo about-to-fail/);
    expect(text).toMatch(/> about-to-fail-/);
    expect(text).toMatch(/TARGET\s+ENDPOINT\s+PLATFORMS\s+TIME\s+CACHED\s+RESULT/);
  });

  it("never draws a line wider than the terminal", () => {
    for (const width of [40, 80]) {
      const text = frame(stateAfter(events.length), width, true);
      for (const line of text.split("\n")) expect(line.length).toBeLessThanOrEqual(width);
    }
  });
});

describe("the final frame's build warnings", () => {
  it("lists each warning of the builds once, after the summary, with its file and line", () => {
    const job = { target: "app", platforms: [] };
    const warning = {
      vertex: "sha256:v",
      level: 1,
      short: "FromAsCasing: 'as' and 'FROM' keywords' casing do not match",
      detail: [],
      url: "",
      file: "Dockerfile",
      range: [{ startLine: 1, endLine: 1 }],
    };
    const state = [
      { type: "run-started", time: 0, targets: ["app"], endpoints: ["e"] },
      { type: "job-started", time: 0, job, endpoint: "e", attempt: 1 },
      {
        type: "job-status",
        time: 1,
        job,
        endpoint: "e",
        status: { vertexes: [], statuses: [], logs: [], warnings: [warning] },
      },
      { type: "job-done", time: 2, job, endpoint: "e", result: { exporterResponse: {} } },
    ].reduce((s, e) => reduce(s, e as never), initialState());
    const text = frame(state, 100, true);
    expect(text).toMatch(
      /TARGET\s+ENDPOINT[\s\S]*\n1 warning found:\n - Dockerfile:1: FromAsCasing: 'as' and 'FROM' keywords' casing do not match \(app\)/,
    );
  });
});
