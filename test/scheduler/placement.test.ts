import { describe, expect, it } from "vitest";
import { buildGraph } from "../../src/graph/graph.js";
import { type EndpointInfo, type PlanTarget, planJobs } from "../../src/plan/plan.js";
import {
  assumedCpus,
  durationOn,
  type EndpointLoad,
  EndpointWorkload,
  expectedFinish,
  pickEndpoint,
  unknownDurationMs,
} from "../../src/scheduler/placement.js";
import { runPlan } from "../../src/scheduler/scheduler.js";
import { FakeEndpoint, tick } from "./fake-endpoint.js";

const load = (
  name: string,
  work: number[],
  duration: number,
  slots = 1,
  extra: Partial<EndpointLoad> = {},
): EndpointLoad => ({ name, native: true, slots, work, duration, ...extra });

describe("placement by expected finish time", () => {
  it("runs the endpoint's work in queue order, max-parallel at once, then the job", () => {
    expect(expectedFinish(load("a", [], 10, 2))).toBe(10);
    expect(expectedFinish(load("a", [30, 5], 10, 2))).toBe(15);
    expect(expectedFinish(load("a", [30, 5, 5], 10, 2))).toBe(20);
  });

  it("shares the CPUs the worker reports among the jobs running at once", () => {
    // 3 jobs on 1 CPU: each at a third of full speed until the 5 s one is done at 15 s,
    // then the job's last 5 s at half speed.
    expect(expectedFinish(load("a", [30, 5], 10, 8, { cpus: 1 }))).toBe(25);
    expect(expectedFinish(load("a", [30], 10, 8, { cpus: 2 }))).toBe(10);
  });

  it("goes to the cold endpoint when the warm one is busy longer than the warmth saves", () => {
    expect(pickEndpoint([load("warm", [20], 8), load("cold", [], 10)])).toBe("cold");
    expect(pickEndpoint([load("warm", [1], 8), load("cold", [], 10)])).toBe("warm");
  });

  it("spreads equal jobs: on a tie the least busy endpoint wins, then preference order", () => {
    expect(pickEndpoint([load("a", [5], 10, 2), load("b", [], 10, 2)])).toBe("b");
    expect(pickEndpoint([load("a", [], 10, 2), load("b", [], 10, 2)])).toBe("a");
  });

  it("prefers a native endpoint, even a busy one, over an idle emulating one", () => {
    expect(
      pickEndpoint([
        load("emulating", [], 10, 4, { native: false }),
        load("native", [100, 100, 100], 10),
      ]),
    ).toBe("native");
    expect(
      pickEndpoint([
        load("x", [50], 10, 1, { native: false }),
        load("y", [], 10, 1, { native: false }),
      ]),
    ).toBe("y");
  });

  it("has no answer when no endpoint may take the job", () => {
    expect(pickEndpoint([])).toBeUndefined();
  });

  it("counts a job's warm or cold duration by endpoint, and a fixed one when unknown", () => {
    const expected = { coldMs: 10_000, warmMs: 4000, warmOn: ["a"] };
    expect(durationOn(expected, "a")).toBe(4000);
    expect(durationOn(expected, "b")).toBe(10_000);
    expect(durationOn(undefined, "a")).toBe(unknownDurationMs);
  });

  it("tracks each endpoint's work: running jobs by what is left, queued ones whole", () => {
    const w = new EndpointWorkload();
    w.placed("x", "a", 10_000);
    w.placed("y", "a", 4000);
    w.placed("z", "b", 7000);
    w.started("x", 1000);
    expect(w.work("a", 4000)).toEqual([7000, 4000]);
    // Overran its expectation: still a tenth of it.
    expect(w.work("a", 50_000)).toEqual([1000, 4000]);
    w.ended("x");
    expect(w.work("a", 50_000)).toEqual([4000]);
    expect(w.work("b", 0)).toEqual([7000]);
  });
});

describe("placement in a run: 6 equal independent targets on 2 endpoints", () => {
  const endpoint = (name: string, maxParallel: number): EndpointInfo => ({
    name,
    nativePlatforms: ["linux/amd64"],
    platforms: ["linux/amd64"],
    maxParallel,
    multiPlatformImages: false,
  });
  const names = ["t1", "t2", "t3", "t4", "t5", "t6"];

  /** Plans the 6 targets as a second run would: all built on `a` before, with these durations. */
  function secondRunPlan(maxParallel: number, coldMs: number, warmMs: number) {
    const graph = buildGraph(Object.fromEntries(names.map((n) => [n, { name: n }])));
    const targets: Record<string, PlanTarget> = Object.fromEntries(
      names.map((n) => [n, { name: n, platforms: [], exportsImage: false, pushes: false }]),
    );
    return planJobs(graph, targets, [endpoint("a", maxParallel), endpoint("b", maxParallel)], {
      warmth: Object.fromEntries(names.map((n) => [n, "a"])),
      durations: Object.fromEntries(
        names.map((n) => [
          n,
          [
            { ms: coldMs, warm: false },
            { ms: warmMs, warm: true },
          ],
        ]),
      ),
    });
  }

  async function placements(
    plan: ReturnType<typeof secondRunPlan>,
    a: FakeEndpoint,
    b: FakeEndpoint,
  ) {
    const run = runPlan(plan, [a, b], { signal: new AbortController().signal, emit: () => {} });
    await tick();
    const placed = { a: [...a.started], b: [...b.started] };
    // Let everything finish (queued jobs start as slots free).
    while (a.pending.size + b.pending.size > 0) {
      for (const e of [a, b]) for (const id of [...e.pending.keys()]) e.succeed(id);
      await tick();
    }
    expect((await run).outcome).toBe("success");
    return { placed, final: { a: a.started.length, b: b.started.length } };
  }

  it("uses both endpoints when the warm one can only take part of the work at once", async () => {
    const plan = secondRunPlan(8, 10_000, 8000);
    expect(plan.jobs.every((j) => j.preferred[0] === "a")).toBe(true);
    const a = new FakeEndpoint("a", 8);
    const b = new FakeEndpoint("b", 8);
    a.cpus = 2;
    b.cpus = 2;
    const { final } = await placements(plan, a, b);
    // 2 CPUs each, shared by the jobs running at once: 3 warm jobs on a end at 12 s,
    // 3 cold ones on b at 15 s (4 and 2: 16 s; all 6 on a: 24 s).
    expect(final).toEqual({ a: 3, b: 3 });
  });

  it("without CPU counts, fills the warm endpoint's max-parallel and sends the rest to the other", async () => {
    const plan = secondRunPlan(2, 10_000, 8000);
    const { placed, final } = await placements(
      plan,
      new FakeEndpoint("a", 2),
      new FakeEndpoint("b", 2),
    );
    expect(placed.a).toHaveLength(2);
    expect(placed.b).toHaveLength(2);
    expect(final.a + final.b).toBe(6);
    expect(final.b).toBeGreaterThanOrEqual(2);
  });

  it("endpoints that say no CPU count (buildkitds, max-parallel 32): the warm one does not get all the work", async () => {
    // The second run: 6 equal targets, warm on a; a used to take all 6 at once.
    const plan = secondRunPlan(32, 10_000, 8000);
    const { final } = await placements(plan, new FakeEndpoint("a", 32), new FakeEndpoint("b", 32));
    expect(final.a + final.b).toBe(6);
    expect(final.b).toBeGreaterThanOrEqual(2);
    expect(final.a).toBeGreaterThanOrEqual(3);
  });

  it("counts an endpoint without a CPU count as many as the others say they have, else 1", () => {
    expect(assumedCpus([])).toBe(1);
    expect(assumedCpus([undefined, undefined])).toBe(1);
    expect(assumedCpus([4, undefined])).toBe(4);
    expect(assumedCpus([2, 8, undefined])).toBe(5);
    expect(assumedCpus([2, 3, 16])).toBe(3);
  });

  it("keeps every job on the warm endpoint when warmth saves more than waiting costs", async () => {
    // Cached on a: 0.3 s each there, 30 s anywhere else.
    const plan = secondRunPlan(2, 30_000, 300);
    const { final } = await placements(plan, new FakeEndpoint("a", 2), new FakeEndpoint("b", 2));
    expect(final).toEqual({ a: 6, b: 0 });
  });
});
