import { describe, expect, it } from "vitest";
import { buildGraph } from "../../src/graph/graph.js";
import { type EndpointInfo, type PlanTarget, planJobs } from "../../src/plan/plan.js";
import {
  type EndpointLoad,
  EndpointWorkload,
  pickEndpoint,
  projectedEnd,
  timeAfter,
  timeToEnd,
} from "../../src/scheduler/placement.js";
import { runPlan } from "../../src/scheduler/scheduler.js";
import { FakeEndpoint, tick } from "./fake-endpoint.js";

const load = (name: string, extra: Partial<EndpointLoad>): EndpointLoad => ({
  name,
  native: true,
  slots: 4,
  cpus: 1,
  work: [],
  duration: 10,
  ...extra,
});

describe("placement along the critical path", () => {
  it("counts each job's finish plus the time its dependants need after it", () => {
    const a = load("a", { work: [10], tails: [100], duration: 10, tail: 0 });
    // Alone: the long chain ends at 110; sharing the CPU with the job, it ends at 120.
    expect(projectedEnd(a, false)).toBe(110);
    expect(projectedEnd(a, true)).toBe(120);
  });

  it("keeps a job off the endpoint where it would slow a job on the critical path", () => {
    const a = load("a", { work: [10], tails: [100] });
    const b = load("b", { work: [10, 10], tails: [0, 0] });
    // The job finishes sooner on a (20 against 30), but there it delays the chain.
    expect(pickEndpoint([a, b])).toBe("b");
    // Without a chain behind a's job, the job's own finish decides.
    expect(pickEndpoint([load("a", { work: [10] }), b])).toBe("a");
  });

  it("shares an endpoint's spare CPUs with the critical path when they are enough", () => {
    const a = load("a", { cpus: 2, work: [10], tails: [100] });
    const b = load("b", { cpus: 2, work: [10, 10] });
    expect(pickEndpoint([a, b])).toBe("a");
  });

  it("counts jobs waiting for room on an endpoint after its queue, not as builds it holds", () => {
    const w = new EndpointWorkload();
    w.placed("x", "a", 10_000, 5000);
    w.waiting("y", "a", 4000, 0);
    w.placed("z", "a", 7000, 0);
    w.started("x", 0);
    expect(w.load("a", 1000)).toEqual({ work: [9000, 7000, 4000], tails: [5000, 0, 0] });
    expect(w.count("a")).toBe(2);
  });

  it("knows each job's tail: the longest way to the end among the jobs waiting on it", () => {
    const expected = (ms: number) => ({ coldMs: ms, warmMs: ms, warmOn: [] });
    const jobs = [
      { id: "root", after: [], expected: expected(5) },
      { id: "c1", after: ["root"], expected: expected(10) },
      { id: "c2", after: ["c1"], expected: expected(10) },
      { id: "f1", after: ["root"], expected: expected(6) },
    ];
    const after = timeAfter(jobs, timeToEnd(jobs));
    expect(Object.fromEntries(after)).toEqual({ root: 20, c1: 10, c2: 0, f1: 0 });
  });
});

const endpoint = (name: string, maxParallel: number): EndpointInfo => ({
  name,
  nativePlatforms: ["linux/amd64"],
  platforms: ["linux/amd64"],
  maxParallel,
  multiPlatformImages: false,
});

/** A plan of targets with dependencies and known durations (ms, cold and warm), warm on `a`. */
function plannedRun(
  shape: Record<string, { after: string[]; ms: number; warmMs?: number }>,
  maxParallel: number,
) {
  const names = Object.keys(shape);
  const graph = buildGraph(
    Object.fromEntries(
      names.map((n) => [
        n,
        { name: n, contexts: Object.fromEntries(shape[n]!.after.map((d) => [d, `target:${d}`])) },
      ]),
    ),
  );
  const targets: Record<string, PlanTarget> = Object.fromEntries(
    names.map((n) => [n, { name: n, platforms: [], exportsImage: false, pushes: false }]),
  );
  const warm = names.filter((n) => shape[n]!.warmMs !== undefined);
  return planJobs(graph, targets, [endpoint("a", maxParallel), endpoint("b", maxParallel)], {
    warmth: Object.fromEntries(warm.map((n) => [n, "a"])),
    durations: Object.fromEntries(
      names.map((n) => [
        n,
        [
          { ms: shape[n]!.ms, warm: false },
          ...(shape[n]!.warmMs !== undefined ? [{ ms: shape[n]!.warmMs!, warm: true }] : []),
        ],
      ]),
    ),
  });
}

describe("placement in a run along the critical path", () => {
  it("leaves the chain's next job alone on its CPU and sends the fan-out elsewhere", async () => {
    const plan = plannedRun(
      {
        root: { after: [], ms: 5000 },
        c1: { after: ["root"], ms: 10_000 },
        c2: { after: ["c1"], ms: 10_000 },
        c3: { after: ["c2"], ms: 10_000 },
        f1: { after: ["root"], ms: 6000 },
        f2: { after: ["root"], ms: 6000 },
        f3: { after: ["root"], ms: 6000 },
      },
      4,
    );
    const a = new FakeEndpoint("a", 4);
    const b = new FakeEndpoint("b", 4);
    a.cpus = 1;
    b.cpus = 1;
    const run = runPlan(plan, [a, b], {
      signal: new AbortController().signal,
      emit: () => {},
      now: () => 0,
    });
    await tick();
    expect(a.started).toEqual(["root"]);
    a.succeed("root");
    await tick();
    // c1 first (the longest way to the end); the 3 fan-out jobs (18 s on b's one CPU)
    // end before the chain's 30 s, and on a they would slow it.
    expect(a.started).toEqual(["root", "c1"]);
    expect([...b.started].sort()).toEqual(["f1", "f2", "f3"]);
    for (const id of ["f1", "f2", "f3"]) b.succeed(id);
    a.succeed("c1");
    await tick();
    a.succeed("c2");
    await tick();
    a.succeed("c3");
    expect((await run).outcome).toBe("success");
    expect(a.started).toEqual(["root", "c1", "c2", "c3"]);
  });

  it("does not queue a job on a busy endpoint early: it goes where room frees first", async () => {
    // long runs on a (expected 99 s there), short on b (10 s). job, ready at once,
    // would finish first on b (after short) but b is busy: it waits unplaced. long
    // ends early, short overruns: job goes to a, where it is warm.
    const plan = plannedRun(
      {
        long: { after: [], ms: 100_000, warmMs: 99_000 },
        short: { after: [], ms: 10_000 },
        job: { after: [], ms: 20_000, warmMs: 5000 },
      },
      1,
    );
    const a = new FakeEndpoint("a", 1);
    const b = new FakeEndpoint("b", 1);
    let now = 0;
    const run = runPlan(plan, [a, b], {
      signal: new AbortController().signal,
      emit: () => {},
      now: () => now,
    });
    await tick();
    expect(a.started).toEqual(["long"]);
    expect(b.started).toEqual(["short"]);
    now = 1000;
    a.succeed("long");
    await tick();
    expect(a.started).toEqual(["long", "job"]);
    a.succeed("job");
    b.succeed("short");
    expect((await run).outcome).toBe("success");
    expect(b.started).toEqual(["short"]);
  });

  it("sends a job to a slow idle endpoint once enough jobs wait for the fast busy one", async () => {
    // 12 jobs, 1 s each where they are warm (a, one at a time), 10 s on b: the first
    // 9 wait their turn on a; the 10th would end at 10 s on either, and the idle b
    // takes it; the last 2 end sooner on a (11 s) than after it on b (20 s).
    const names = Array.from({ length: 12 }, (_, i) => `t${String(i + 1).padStart(2, "0")}`);
    const plan = plannedRun(
      Object.fromEntries(names.map((n) => [n, { after: [], ms: 10_000, warmMs: 1000 }])),
      1,
    );
    const a = new FakeEndpoint("a", 1);
    const b = new FakeEndpoint("b", 1);
    const run = runPlan(plan, [a, b], {
      signal: new AbortController().signal,
      emit: () => {},
      now: () => 0,
    });
    await tick();
    expect(a.started).toEqual(["t01"]);
    expect(b.started).toEqual(["t10"]);
    while (a.pending.size + b.pending.size > 0) {
      for (const e of [a, b]) for (const id of [...e.pending.keys()]) e.succeed(id);
      await tick();
    }
    expect((await run).outcome).toBe("success");
    expect(a.started.length + b.started.length).toBe(12);
  });
});
