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
    expect((await run).outcome).toBe("success");
    expect(joins).toEqual(["img:a+b"]);
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
