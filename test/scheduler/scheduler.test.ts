import { describe, expect, it } from "vitest";
import { buildGraph } from "../../src/graph/graph.js";
import { type EndpointInfo, type PlanTarget, planJobs } from "../../src/plan/plan.js";
import type { RunEvent } from "../../src/progress/events.js";
import {
  EndpointUnavailableError,
  JobFailedError,
  runPlan,
} from "../../src/scheduler/scheduler.js";
import { FakeEndpoint, tick } from "./fake-endpoint.js";

const amd: EndpointInfo = {
  name: "a",
  nativePlatforms: ["linux/amd64"],
  platforms: ["linux/amd64", "linux/arm64"],
  maxParallel: 2,
  multiPlatformImages: false,
};
const arm: EndpointInfo = {
  name: "b",
  nativePlatforms: ["linux/arm64"],
  platforms: ["linux/amd64", "linux/arm64"],
  maxParallel: 2,
  multiPlatformImages: false,
};

function setup(
  targets: Record<
    string,
    { contexts?: Record<string, string>; platforms?: string[]; pushes?: boolean }
  >,
  endpoints = [amd, arm],
) {
  const graph = buildGraph(
    Object.fromEntries(
      Object.entries(targets).map(([n, t]) => [
        n,
        { name: n, ...(t.contexts ? { contexts: t.contexts } : {}) },
      ]),
    ),
  );
  const planTargets: Record<string, PlanTarget> = Object.fromEntries(
    Object.entries(targets).map(([n, t]) => [
      n,
      { name: n, platforms: t.platforms ?? [], exportsImage: !!t.pushes, pushes: !!t.pushes },
    ]),
  );
  return planJobs(graph, planTargets, endpoints);
}

describe("scheduler", () => {
  it("starts independent targets at once and a dependent only after its dependency", async () => {
    const plan = setup(
      { base: {}, lib: {}, app: { contexts: { base: "target:base", lib: "target:lib" } } },
      [amd],
    );
    const a = new FakeEndpoint("a", 3);
    const events: RunEvent[] = [];
    const run = runPlan(plan, [a], {
      signal: new AbortController().signal,
      emit: (e) => events.push(e),
    });
    await a.untilStarted(2);
    await tick();
    expect(a.started.sort()).toEqual(["base", "lib"]);
    a.succeed("base", { handover: { localImage: "mbake-local/base" } });
    await tick();
    expect(a.started).not.toContain("app");
    a.succeed("lib");
    await a.untilStarted(3);
    expect(a.pending.get("app")!.job.dependencies.base).toEqual({
      target: "base",
      endpoint: "a",
      localImage: "mbake-local/base",
    });
    a.succeed("app");
    const result = await run;
    expect(result.outcome).toBe("success");
    expect(events.at(-1)).toMatchObject({ type: "run-finished", outcome: "success" });
  });

  it("runs a group of 30 targets at once on one endpoint without a listener-leak warning", async () => {
    const names = Array.from({ length: 30 }, (_, i) => `t${i}`);
    const plan = setup(Object.fromEntries(names.map((n) => [n, {}])), [
      { ...amd, maxParallel: 32 },
    ]);
    const a = new FakeEndpoint("a", 32);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      const run = runPlan(plan, [a], { signal: new AbortController().signal, emit: () => {} });
      await a.untilStarted(30);
      for (const n of names) a.succeed(n);
      expect((await run).outcome).toBe("success");
      await tick();
      expect(warnings).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("respects each endpoint's limit", async () => {
    const plan = setup({ t1: {}, t2: {}, t3: {} }, [{ ...amd, maxParallel: 1 }]);
    const a = new FakeEndpoint("a", 1);
    const run = runPlan(plan, [a], { signal: new AbortController().signal, emit: () => {} });
    await a.untilStarted(1);
    await tick();
    expect(a.started).toHaveLength(1);
    a.succeed(a.started[0]!);
    await a.untilStarted(2);
    a.succeed(a.started[1]!);
    await a.untilStarted(3);
    a.succeed(a.started[2]!);
    expect((await run).outcome).toBe("success");
  });

  it("places a target on the endpoint that runs its platform natively", () => {
    const plan = setup({ x: { platforms: ["linux/arm64"] }, y: { platforms: ["linux/amd64"] } });
    expect(plan.jobs.find((j) => j.id === "x")!.preferred[0]).toBe("b");
    expect(plan.jobs.find((j) => j.id === "y")!.preferred[0]).toBe("a");
  });

  it("splits a pushed multi-platform image across endpoints and joins it", async () => {
    const plan = setup({ img: { platforms: ["linux/amd64", "linux/arm64"], pushes: true } });
    expect(plan.jobs.map((j) => [j.id, j.preferred[0]])).toEqual([
      ["img@linux/amd64", "a"],
      ["img@linux/arm64", "b"],
    ]);
    const a = new FakeEndpoint("a");
    const b = new FakeEndpoint("b");
    const joins: string[] = [];
    const run = runPlan(plan, [a, b], {
      signal: new AbortController().signal,
      emit: () => {},
      join: async (target, parts) => {
        joins.push(`${target}:${parts.map((p) => p.endpoint).join("+")}`);
        return { exporterResponse: {}, digest: "sha256:index" };
      },
    });
    await a.untilStarted(1);
    await b.untilStarted(1);
    a.succeed("img@linux/amd64");
    b.succeed("img@linux/arm64");
    const result = await run;
    expect(result.outcome).toBe("success");
    expect(joins).toEqual(["img:a+b"]);
    expect(result.joins).toEqual([
      {
        target: "img",
        platforms: ["linux/amd64", "linux/arm64"],
        state: "done",
        outcome: { exporterResponse: {}, digest: "sha256:index" },
      },
    ]);
  });

  it("moves a job to another endpoint when its daemon goes away", async () => {
    const plan = setup({ t: { platforms: ["linux/amd64"] } });
    const a = new FakeEndpoint("a");
    const b = new FakeEndpoint("b");
    const events: RunEvent[] = [];
    const run = runPlan(plan, [a, b], {
      signal: new AbortController().signal,
      emit: (e) => events.push(e),
    });
    await a.untilStarted(1);
    a.fail("t", new EndpointUnavailableError("connection refused"));
    await b.untilStarted(1);
    b.succeed("t");
    const result = await run;
    expect(result.outcome).toBe("success");
    expect(result.jobs[0]).toMatchObject({ state: "done", endpoint: "b", retries: 1 });
    expect(events.map((e) => e.type)).toContain("job-retry");
    expect(events).toContainEqual(
      expect.objectContaining({ type: "endpoint-state", endpoint: "a", state: "down" }),
    );
  });

  it("skips the dependents of a failed target and lets independent targets finish", async () => {
    const plan = setup({ base: {}, app: { contexts: { b: "target:base" } }, other: {} }, [amd]);
    const a = new FakeEndpoint("a", 4);
    const events: RunEvent[] = [];
    const run = runPlan(plan, [a], {
      signal: new AbortController().signal,
      emit: (e) => events.push(e),
    });
    await a.untilStarted(2);
    a.fail("base", new JobFailedError("exit code 1", "[2/2] RUN false"));
    await tick();
    a.succeed("other");
    const result = await run;
    expect(result.outcome).toBe("failed");
    expect(result.jobs.map((j) => [j.job.id, j.state])).toEqual([
      ["base", "failed"],
      ["app", "skipped"],
      ["other", "done"],
    ]);
    expect(events).toContainEqual(
      expect.objectContaining({ type: "job-failed", failedStep: "[2/2] RUN false" }),
    );
  });

  it("stops everything on the first failure with failFast", async () => {
    const plan = setup({ x: {}, y: {} }, [amd]);
    const a = new FakeEndpoint("a", 2);
    const run = runPlan(plan, [a], {
      signal: new AbortController().signal,
      emit: () => {},
      failFast: true,
    });
    await a.untilStarted(2);
    a.fail("x", new JobFailedError("boom"));
    const result = await run;
    expect(result.jobs.map((j) => j.state)).toEqual(["failed", "cancelled"]);
  });

  it("cancels running builds when the run is aborted", async () => {
    const plan = setup({ x: {}, y: { contexts: { x: "target:x" } } }, [amd]);
    const a = new FakeEndpoint("a");
    const controller = new AbortController();
    const run = runPlan(plan, [a], {
      signal: controller.signal,
      emit: () => {},
      cancelGraceMs: 100,
    });
    await a.untilStarted(1);
    controller.abort();
    const result = await run;
    expect(result.outcome).toBe("cancelled");
    expect(result.jobs.map((j) => j.state)).toEqual(["cancelled", "cancelled"]);
  });
});

describe("scheduler limits and placement at run time", () => {
  it("keeps to the run's limit across endpoints", async () => {
    const plan = setup({ x: {}, y: {}, z: {} });
    const a = new FakeEndpoint("a", 2);
    const b = new FakeEndpoint("b", 2);
    const run = runPlan(plan, [a, b], {
      signal: new AbortController().signal,
      emit: () => {},
      maxParallel: 1,
    });
    const running = () =>
      [a, b].flatMap((e) => [...e.pending.keys()].map((id) => [e, id] as const));
    for (let finished = 0; finished < 3; finished++) {
      await tick();
      expect(running()).toHaveLength(1);
      const [endpoint, id] = running()[0]!;
      endpoint.succeed(id);
    }
    expect((await run).outcome).toBe("success");
    expect([...a.started, ...b.started].sort()).toEqual(["x", "y", "z"]);
  });

  it("uses a free slot on the native endpoint before an idle emulating one", async () => {
    const plan = setup({ x: { platforms: ["linux/amd64"] }, y: { platforms: ["linux/amd64"] } });
    const a = new FakeEndpoint("a", 2);
    const b = new FakeEndpoint("b", 2);
    const run = runPlan(plan, [a, b], { signal: new AbortController().signal, emit: () => {} });
    await a.untilStarted(2);
    expect(b.started).toEqual([]);
    a.succeed("x");
    a.succeed("y");
    expect((await run).outcome).toBe("success");
  });

  it("hands a dependency over to a dependent on another endpoint when it was pushed", async () => {
    const plan = setup(
      {
        base: { platforms: ["linux/amd64"], pushes: true },
        app: { contexts: { base: "target:base" }, platforms: ["linux/arm64"] },
      },
      [amd, arm],
    );
    const a = new FakeEndpoint("a");
    const b = new FakeEndpoint("b");
    const run = runPlan(plan, [a, b], { signal: new AbortController().signal, emit: () => {} });
    await a.untilStarted(1);
    a.succeed("base", { handover: { pushedImage: "registry.test/base@sha256:1" } });
    await b.untilStarted(1);
    expect(b.pending.get("app")!.job.dependencies.base).toEqual({
      target: "base",
      endpoint: "a",
      pushedImage: "registry.test/base@sha256:1",
    });
    b.succeed("app");
    expect((await run).outcome).toBe("success");
  });

  it("runs a dependent where its dependency ended up when that was not the planned endpoint", async () => {
    const amd2: EndpointInfo = { ...amd, name: "b" };
    const targets = {
      a0: { name: "a0", platforms: ["linux/amd64"], exportsImage: false, pushes: false },
      base: { name: "base", platforms: ["linux/amd64"], exportsImage: false, pushes: false },
      app: { name: "app", platforms: ["linux/amd64"], exportsImage: false, pushes: false },
    };
    const graph = buildGraph({
      a0: { name: "a0" },
      base: { name: "base" },
      app: { name: "app", contexts: { base: "target:base" } },
    });
    // a0 is long (placed first, onto a); base then finishes sooner on b.
    const plan = planJobs(graph, targets, [amd, amd2], {
      warmth: { a0: "a", base: "a" },
      durations: {
        "a0@linux/amd64": [{ ms: 100_000, warm: false }],
        "base@linux/amd64": [{ ms: 1000, warm: false }],
        "app@linux/amd64": [{ ms: 1000, warm: false }],
      },
    });
    expect(plan.jobs.map((j) => [j.id, j.preferred])).toEqual([
      ["a0", ["a", "b"]],
      ["base", ["a", "b"]],
      ["app", ["a", "b"]],
    ]);
    const a = new FakeEndpoint("a", 1);
    const b = new FakeEndpoint("b", 1);
    const run = runPlan(plan, [a, b], { signal: new AbortController().signal, emit: () => {} });
    await a.untilStarted(1);
    await b.untilStarted(1);
    expect([a.started, b.started]).toEqual([["a0"], ["base"]]);
    b.succeed("base", { handover: { localImage: "mbake-local/base" } });
    await b.untilStarted(2);
    expect(b.started).toEqual(["base", "app"]);
    b.succeed("app");
    a.succeed("a0");
    expect((await run).outcome).toBe("success");
  });

  it("waits for a busy native endpoint rather than emulating on an idle one", async () => {
    const plan = setup({ x: { platforms: ["linux/amd64"] }, y: { platforms: ["linux/amd64"] } }, [
      { ...amd, maxParallel: 1 },
      { ...arm, maxParallel: 1 },
    ]);
    const a = new FakeEndpoint("a", 1);
    const b = new FakeEndpoint("b", 1);
    const run = runPlan(plan, [a, b], { signal: new AbortController().signal, emit: () => {} });
    await a.untilStarted(1);
    await tick();
    expect([a.started, b.started]).toEqual([["x"], []]);
    a.succeed("x");
    await a.untilStarted(2);
    a.succeed("y");
    expect((await run).outcome).toBe("success");
    expect(b.started).toEqual([]);
  });
});

describe("scheduler fail-over", () => {
  it("gives up after the allowed number of retries, marking each dead endpoint down", async () => {
    const three = [amd, arm, { ...amd, name: "c" }];
    const plan = setup({ t: { platforms: ["linux/amd64"] } }, three);
    const [a, b, c] = [new FakeEndpoint("a"), new FakeEndpoint("b"), new FakeEndpoint("c")];
    const events: RunEvent[] = [];
    const run = runPlan(plan, [a, b, c], {
      signal: new AbortController().signal,
      emit: (e) => events.push(e),
      maxRetries: 1,
    });
    await a.untilStarted(1);
    a.fail("t", new EndpointUnavailableError("connection reset"));
    await c.untilStarted(1);
    c.fail("t", new EndpointUnavailableError("connection refused"));
    const result = await run;
    expect(result.outcome).toBe("failed");
    expect(result.jobs[0]).toMatchObject({
      state: "failed",
      endpoint: "c",
      retries: 1,
      error: "connection refused",
    });
    expect(b.started).toEqual([]);
    expect(
      events.flatMap((e) => (e.type === "endpoint-state" ? [`${e.endpoint}:${e.state}`] : [])),
    ).toEqual(["a:down", "c:down"]);
    expect(events.filter((e) => e.type === "job-retry")).toHaveLength(1);
  });

  it("fails a job when no endpoint is left and skips its dependents, naming the dependency", async () => {
    const plan = setup(
      {
        base: {},
        app: { contexts: { base: "target:base" } },
        deploy: { contexts: { app: "target:app" } },
      },
      [amd],
    );
    const a = new FakeEndpoint("a");
    const events: RunEvent[] = [];
    const run = runPlan(plan, [a], {
      signal: new AbortController().signal,
      emit: (e) => events.push(e),
    });
    await a.untilStarted(1);
    a.fail("base", new EndpointUnavailableError("daemon stopped"));
    const result = await run;
    expect(result.jobs.map((j) => [j.job.id, j.state])).toEqual([
      ["base", "failed"],
      ["app", "skipped"],
      ["deploy", "skipped"],
    ]);
    expect(result.jobs[0]!.error).toBe("no endpoint left to build base (a down)");
    expect(
      events.flatMap((e) => (e.type === "job-skipped" ? [`${e.job.target}: ${e.reason}`] : [])),
    ).toEqual(["app: dependency base failed", "deploy: dependency base failed"]);
  });

  it("moves jobs waiting for a dead endpoint without counting a retry", async () => {
    const plan = setup(
      {
        x: { platforms: ["linux/amd64"] },
        y: { platforms: ["linux/amd64"] },
        z: { platforms: ["linux/amd64"] },
      },
      [
        { ...amd, maxParallel: 1 },
        { ...amd, name: "b", maxParallel: 1 },
      ],
    );
    const a = new FakeEndpoint("a", 1);
    const b = new FakeEndpoint("b", 1);
    const run = runPlan(plan, [a, b], { signal: new AbortController().signal, emit: () => {} });
    await a.untilStarted(1);
    await b.untilStarted(1);
    expect([a.started, b.started]).toEqual([["x"], ["y"]]);
    a.fail("x", new EndpointUnavailableError("gone"));
    b.succeed("y");
    await b.untilStarted(2);
    b.succeed(b.started[1]!);
    await b.untilStarted(3);
    b.succeed(b.started[2]!);
    const result = await run;
    expect(result.outcome).toBe("success");
    expect(result.jobs.map((j) => [j.job.id, j.endpoint, j.retries])).toEqual([
      ["x", "b", 1],
      ["y", "b", 0],
      ["z", "b", 0],
    ]);
    expect(a.started).toEqual(["x"]);
  });
});

describe("scheduler: lost hand-overs", () => {
  it("builds a dependency again when its image was only on an endpoint that went down", async () => {
    const plan = setup(
      {
        base: { platforms: ["linux/amd64"] },
        app: { contexts: { base: "target:base" }, platforms: ["linux/amd64"] },
      },
      [amd, { ...amd, name: "b" }],
    );
    const a = new FakeEndpoint("a");
    const b = new FakeEndpoint("b");
    const events: RunEvent[] = [];
    const run = runPlan(plan, [a, b], {
      signal: new AbortController().signal,
      emit: (e) => events.push(e),
    });
    await a.untilStarted(1);
    a.succeed("base", { handover: { localImage: "mbake-local/base" } });
    await a.untilStarted(2);
    a.fail("app", new EndpointUnavailableError("engine a stopped"));
    await b.untilStarted(1);
    expect(b.started).toEqual(["base"]);
    b.succeed("base", { handover: { localImage: "mbake-local/base" } });
    await b.untilStarted(2);
    expect(b.pending.get("app")!.job.dependencies.base!.endpoint).toBe("b");
    b.succeed("app");
    const result = await run;
    expect(result.outcome).toBe("success");
    expect(result.jobs.map((j) => [j.job.id, j.endpoint, j.retries])).toEqual([
      ["base", "b", 1],
      ["app", "b", 1],
    ]);
    expect(
      events.flatMap((e) => (e.type === "job-retry" ? [`${e.job.target}: ${e.reason}`] : [])),
    ).toEqual([
      "app: engine a stopped",
      "base: its image was on a, which went down, and app needs it",
    ]);
  });
});

describe("scheduler: split targets", () => {
  it("starts a dependent of a split target once the joined index is pushed, and hands over the index", async () => {
    const plan = setup({
      img: { platforms: ["linux/amd64", "linux/arm64"], pushes: true },
      app: { contexts: { img: "target:img" }, platforms: ["linux/amd64"] },
    });
    const a = new FakeEndpoint("a");
    const b = new FakeEndpoint("b");
    let releaseJoin: () => void = () => {};
    const joinPushed = new Promise<void>((r) => {
      releaseJoin = r;
    });
    const run = runPlan(plan, [a, b], {
      signal: new AbortController().signal,
      emit: () => {},
      join: async () => {
        await joinPushed;
        return {
          digest: "sha256:index",
          exporterResponse: {
            "image.name": "registry.test:5000/img:1,registry.test:5000/img:latest",
          },
        };
      },
    });
    await a.untilStarted(1);
    await b.untilStarted(1);
    a.succeed("img@linux/amd64");
    b.succeed("img@linux/arm64");
    await tick();
    expect([...a.started, ...b.started]).not.toContain("app");
    releaseJoin();
    await a.untilStarted(2);
    expect(a.pending.get("app")!.job.dependencies.img).toEqual({
      target: "img",
      endpoint: "registry",
      pushedImage: "registry.test:5000/img@sha256:index",
    });
    a.succeed("app");
    expect((await run).outcome).toBe("success");
  });

  it("skips the dependents of a split target whose join failed", async () => {
    const plan = setup({
      img: { platforms: ["linux/amd64", "linux/arm64"], pushes: true },
      app: { contexts: { img: "target:img" } },
    });
    const a = new FakeEndpoint("a");
    const b = new FakeEndpoint("b");
    const run = runPlan(plan, [a, b], {
      signal: new AbortController().signal,
      emit: () => {},
      join: async () => {
        throw new Error("HTTP 500");
      },
    });
    await a.untilStarted(1);
    await b.untilStarted(1);
    a.succeed("img@linux/amd64");
    b.succeed("img@linux/arm64");
    const result = await run;
    expect(result.outcome).toBe("failed");
    expect(result.jobs.find((j) => j.job.id === "app")).toMatchObject({
      state: "skipped",
      error: "joining the platform images of img failed",
    });
  });
});

describe("scheduler cancellation", () => {
  it("aborts a join under way, waits for it to stop and reports the run cancelled, not the join failed", async () => {
    const plan = setup({
      img: { platforms: ["linux/amd64", "linux/arm64"], pushes: true },
      app: { contexts: { img: "target:img" } },
    });
    const a = new FakeEndpoint("a");
    const b = new FakeEndpoint("b");
    const controller = new AbortController();
    const events: RunEvent[] = [];
    let joinStarted: () => void = () => {};
    const joining = new Promise<void>((r) => {
      joinStarted = r;
    });
    let joinStopped = false;
    const run = runPlan(plan, [a, b], {
      signal: controller.signal,
      emit: (e) => events.push(e),
      join: (_target, _parts, signal) =>
        new Promise((_, reject) => {
          joinStarted();
          signal.addEventListener("abort", () => {
            joinStopped = true;
            reject(new Error("request aborted"));
          });
        }),
    });
    await a.untilStarted(1);
    await b.untilStarted(1);
    a.succeed("img@linux/amd64");
    b.succeed("img@linux/arm64");
    await joining;
    controller.abort();
    const result = await run;
    expect(joinStopped).toBe(true);
    expect(result.outcome).toBe("cancelled");
    expect(result.joins).toEqual([]);
    expect(result.jobs.find((j) => j.job.id === "app")?.state).toBe("cancelled");
    expect(events.filter((e) => e.type === "job-failed")).toEqual([]);
    expect(a.started).not.toContain("app");
  });

  it("returns after the grace period when a build ignores cancellation, and reports nothing later", async () => {
    const plan = setup({ stuck: {} }, [amd]);
    const a = new FakeEndpoint("a");
    a.ignoresCancellation = true;
    const controller = new AbortController();
    const events: RunEvent[] = [];
    const run = runPlan(plan, [a], {
      signal: controller.signal,
      emit: (e) => events.push(e),
      cancelGraceMs: 20,
    });
    await a.untilStarted(1);
    controller.abort();
    const result = await run;
    expect(result.outcome).toBe("cancelled");
    expect(result.jobs[0]!.state).toBe("cancelled");
    a.succeed("stuck");
    await tick();
    expect(events.at(-1)).toMatchObject({ type: "run-finished", outcome: "cancelled" });
    expect(events.filter((e) => e.type === "job-cancelled")).toHaveLength(1);
  });

  it("reports a failed join of platform images as a failed run", async () => {
    const plan = setup({ img: { platforms: ["linux/amd64", "linux/arm64"], pushes: true } });
    const a = new FakeEndpoint("a");
    const b = new FakeEndpoint("b");
    const run = runPlan(plan, [a, b], {
      signal: new AbortController().signal,
      emit: () => {},
      join: async () => {
        throw new Error("HTTP 400 from the registry");
      },
    });
    await a.untilStarted(1);
    await b.untilStarted(1);
    a.succeed("img@linux/amd64");
    b.succeed("img@linux/arm64");
    const result = await run;
    expect(result.outcome).toBe("failed");
    expect(result.jobs.at(-1)).toMatchObject({
      state: "failed",
      error: "HTTP 400 from the registry",
    });
    expect(result.joins).toMatchObject([
      { target: "img", state: "failed", error: "HTTP 400 from the registry" },
    ]);
  });
});

describe("scheduler balance", () => {
  it("spreads queued jobs over endpoints that are all busy, by how many wait per slot", async () => {
    const one = { ...amd, maxParallel: 1 };
    const two = { ...amd, name: "b", maxParallel: 1 };
    const plan = setup(
      {
        t1: { platforms: ["linux/amd64"] },
        t2: { platforms: ["linux/amd64"] },
        t3: { platforms: ["linux/amd64"] },
        t4: { platforms: ["linux/amd64"] },
      },
      [one, two],
    );
    const a = new FakeEndpoint("a", 1);
    const b = new FakeEndpoint("b", 1);
    const run = runPlan(plan, [a, b], { signal: new AbortController().signal, emit: () => {} });
    await a.untilStarted(1);
    await b.untilStarted(1);
    a.succeed(a.started[0]!);
    b.succeed(b.started[0]!);
    await a.untilStarted(2);
    await b.untilStarted(2);
    a.succeed(a.started[1]!);
    b.succeed(b.started[1]!);
    expect((await run).outcome).toBe("success");
    expect([a.started.length, b.started.length]).toEqual([2, 2]);
  });
});

describe("scheduler: an abort starts no new work", () => {
  it("starts nothing when the signal is already aborted", async () => {
    const plan = setup({ x: {}, y: { contexts: { x: "target:x" } }, z: {} }, [amd]);
    const a = new FakeEndpoint("a");
    const controller = new AbortController();
    controller.abort();
    const events: RunEvent[] = [];
    const result = await runPlan(plan, [a], {
      signal: controller.signal,
      emit: (e) => events.push(e),
      cancelGraceMs: 100,
    });
    expect(a.started).toEqual([]);
    expect(result.outcome).toBe("cancelled");
    expect(result.jobs.map((j) => [j.job.id, j.state])).toEqual([
      ["x", "cancelled"],
      ["y", "cancelled"],
      ["z", "cancelled"],
    ]);
    expect(events.map((e) => e.type)).not.toContain("job-started");
  });

  it("starts no queued job once the run is aborted", async () => {
    const plan = setup({ x: {}, y: {}, z: {} }, [{ ...amd, maxParallel: 1 }]);
    const a = new FakeEndpoint("a", 1);
    const controller = new AbortController();
    const run = runPlan(plan, [a], { signal: controller.signal, emit: () => {} });
    await a.untilStarted(1);
    controller.abort();
    const result = await run;
    await tick();
    expect(a.started).toHaveLength(1);
    expect(result.jobs.map((j) => j.state)).toEqual(["cancelled", "cancelled", "cancelled"]);
  });

  it("does not start a dependent whose dependency finishes as the run is aborted", async () => {
    const plan = setup({ x: {}, y: { contexts: { x: "target:x" } } }, [amd]);
    const a = new FakeEndpoint("a");
    const controller = new AbortController();
    const run = runPlan(plan, [a], { signal: controller.signal, emit: () => {} });
    await a.untilStarted(1);
    a.succeed("x");
    controller.abort();
    const result = await run;
    await tick();
    expect(a.started).toEqual(["x"]);
    expect(result.outcome).toBe("cancelled");
    expect(result.jobs.map((j) => [j.job.id, j.state])).toEqual([
      ["x", "done"],
      ["y", "cancelled"],
    ]);
  });

  it("does not build a job when the abort comes as it starts", async () => {
    const plan = setup({ x: {}, y: {} }, [amd]);
    const a = new FakeEndpoint("a", 2);
    const controller = new AbortController();
    const result = await runPlan(plan, [a], {
      signal: controller.signal,
      emit: (e) => {
        if (e.type === "job-started") controller.abort();
      },
      cancelGraceMs: 100,
    });
    await tick();
    expect(a.started).toEqual([]);
    expect(result.jobs.map((j) => j.state)).toEqual(["cancelled", "cancelled"]);
  });

  it("does not join the platform images when the run is aborted as the last part finishes", async () => {
    const plan = setup({ img: { platforms: ["linux/amd64", "linux/arm64"], pushes: true } });
    const a = new FakeEndpoint("a");
    const b = new FakeEndpoint("b");
    const controller = new AbortController();
    const joins: string[] = [];
    const run = runPlan(plan, [a, b], {
      signal: controller.signal,
      emit: () => {},
      join: async (target) => {
        joins.push(target);
        return { exporterResponse: {}, digest: "sha256:index" };
      },
    });
    await a.untilStarted(1);
    await b.untilStarted(1);
    a.succeed("img@linux/amd64");
    await tick();
    b.succeed("img@linux/arm64");
    controller.abort();
    const result = await run;
    await tick();
    expect(joins).toEqual([]);
    expect(result.outcome).toBe("cancelled");
    expect(result.joins).toEqual([]);
  });

  it("does not start the dependents of a split target whose join ends after the abort", async () => {
    const plan = setup({
      img: { platforms: ["linux/amd64", "linux/arm64"], pushes: true },
      app: { contexts: { img: "target:img" }, platforms: ["linux/amd64"] },
    });
    const a = new FakeEndpoint("a");
    const b = new FakeEndpoint("b");
    const controller = new AbortController();
    let releaseJoin: () => void = () => {};
    const joinPushed = new Promise<void>((r) => {
      releaseJoin = r;
    });
    let joining = false;
    const run = runPlan(plan, [a, b], {
      signal: controller.signal,
      emit: () => {},
      cancelGraceMs: 50,
      join: async () => {
        joining = true;
        await joinPushed;
        return { exporterResponse: { "image.name": "registry.test:5000/img:1" } };
      },
    });
    await a.untilStarted(1);
    await b.untilStarted(1);
    a.succeed("img@linux/amd64");
    b.succeed("img@linux/arm64");
    await tick();
    expect(joining).toBe(true);
    controller.abort();
    releaseJoin();
    const result = await run;
    await tick();
    expect([...a.started, ...b.started]).not.toContain("app");
    expect(result.outcome).toBe("cancelled");
    expect(result.jobs.find((j) => j.job.id === "app")!.state).toBe("cancelled");
  });
});
