import { describe, expect, it } from "vitest";
import { buildGraph } from "../../src/graph/graph.js";
import { durationKey, expectedDurations } from "../../src/plan/history.js";
import { type EndpointInfo, planJobs } from "../../src/plan/plan.js";

describe("expected durations", () => {
  it("keys a job by its target and platforms, in any order", () => {
    expect(durationKey("app", [])).toBe("app");
    expect(durationKey("app", ["linux/arm64", "linux/amd64"])).toBe("app@linux/amd64,linux/arm64");
  });

  it("takes the median of cold and of warm samples", () => {
    expect(
      expectedDurations([
        { ms: 10, warm: false },
        { ms: 30, warm: false },
        { ms: 1000, warm: false },
        { ms: 4, warm: true },
      ]),
    ).toEqual({ coldMs: 30, warmMs: 4 });
  });

  it("guesses the kind it has no sample of from the other, and knows nothing without samples", () => {
    expect(expectedDurations([{ ms: 100, warm: false }])).toEqual({ coldMs: 100, warmMs: 75 });
    expect(expectedDurations([{ ms: 75, warm: true }])).toEqual({ coldMs: 100, warmMs: 75 });
    expect(expectedDurations([])).toBeUndefined();
    expect(expectedDurations(undefined)).toBeUndefined();
  });
});

describe("the plan's expectations", () => {
  const e = (name: string): EndpointInfo => ({
    name,
    nativePlatforms: ["linux/amd64"],
    platforms: ["linux/amd64"],
    maxParallel: 2,
    multiPlatformImages: false,
  });

  it("gives each job its durations and the endpoint where it is warm", () => {
    const graph = buildGraph({ app: { name: "app" }, new: { name: "new" } });
    const plan = planJobs(
      graph,
      {
        app: { name: "app", platforms: ["linux/amd64"], exportsImage: false, pushes: false },
        new: { name: "new", platforms: [], exportsImage: false, pushes: false },
      },
      [e("a"), e("b")],
      {
        warmth: { app: "b" },
        durations: {
          "app@linux/amd64": [
            { ms: 8000, warm: false },
            { ms: 2000, warm: true },
          ],
        },
      },
    );
    expect(plan.jobs.find((j) => j.id === "app")!.expected).toEqual({
      coldMs: 8000,
      warmMs: 2000,
      warmOn: ["b"],
    });
    expect(plan.jobs.find((j) => j.id === "new")!.expected).toBeUndefined();
  });
});
