/** A down endpoint probed again during the run: back in placement, never back, or the run stopped. */
import { describe, expect, it } from "vitest";
import { buildGraph } from "../../src/graph/graph.js";
import { type EndpointInfo, type PlanTarget, planJobs } from "../../src/plan/plan.js";
import type { RunEvent } from "../../src/progress/events.js";
import {
  EndpointUnavailableError,
  type RunResult,
  runPlan,
} from "../../src/scheduler/scheduler.js";
import { FakeEndpoint } from "./fake-endpoint.js";

/** A fake endpoint that can be probed: it answers while `reachable` is true. */
class ProbedEndpoint extends FakeEndpoint {
  reachable = false;
  /** When set, a probe waits until its signal aborts (a daemon that never answers). */
  hangs = false;
  readonly probes: number[] = [];
  probeAborted = false;

  probe(signal: AbortSignal): Promise<void> {
    this.probes.push(Date.now());
    if (this.hangs)
      return new Promise((_, reject) =>
        signal.addEventListener(
          "abort",
          () => {
            this.probeAborted = true;
            reject(new Error("stopped"));
          },
          { once: true },
        ),
      );
    return this.reachable ? Promise.resolve() : Promise.reject(new Error("connection refused"));
  }
}

const info = (name: string): EndpointInfo => ({
  name,
  nativePlatforms: ["linux/amd64"],
  platforms: ["linux/amd64"],
  maxParallel: 1,
  multiPlatformImages: false,
});

function plan(count: number, endpoints = ["a", "b"]) {
  const names = Array.from({ length: count }, (_, i) => `t${i}`);
  const graph = buildGraph(Object.fromEntries(names.map((n) => [n, { name: n }])));
  const targets: Record<string, PlanTarget> = Object.fromEntries(
    names.map((n) => [n, { name: n, platforms: [], exportsImage: false, pushes: false }]),
  );
  return planJobs(graph, targets, endpoints.map(info));
}

const fast = { firstDelayMs: 5, maxDelayMs: 20 };

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Lets every build succeed as it starts, until the run ends. */
async function succeedAll(run: Promise<RunResult>, endpoints: FakeEndpoint[]) {
  let over = false;
  void run.finally(() => {
    over = true;
  });
  while (!over) {
    for (const e of endpoints) for (const id of [...e.pending.keys()]) e.succeed(id);
    await new Promise((r) => setTimeout(r, 2));
  }
  return run;
}

describe("scheduler: a down endpoint that comes back", () => {
  it("probes it until it answers, then gives it queued jobs once it answers, saying so once", async () => {
    const a = new ProbedEndpoint("a", 1);
    const b = new ProbedEndpoint("b", 1);
    const events: RunEvent[] = [];
    const run = runPlan(plan(6), [a, b], {
      signal: new AbortController().signal,
      emit: (e) => events.push(e),
      reprobe: fast,
    });
    await a.untilStarted(1);
    const first = a.started[0]!;
    a.fail(first, new EndpointUnavailableError("connection refused"));
    await until(() => a.probes.length >= 3, "three failed probes");
    a.reachable = true;
    await a.untilStarted(2);
    const result = await succeedAll(run, [a, b]);

    expect(result.outcome).toBe("success");
    expect(result.jobs.every((j) => j.state === "done")).toBe(true);
    const states = events.filter((e) => e.type === "endpoint-state");
    expect(states.map((e) => e.type === "endpoint-state" && `${e.endpoint} ${e.state}`)).toEqual([
      "a down",
      "a up",
    ]);
    // After it came back, a built jobs again (the one that failed there went to b or a).
    const backAt = events.indexOf(states[1]!);
    const doneOnA = events.slice(backAt).filter((e) => e.type === "job-done" && e.endpoint === "a");
    expect(doneOnA.length).toBeGreaterThan(0);
    expect(a.started.length).toBeGreaterThan(1);
    expect(b.probes).toEqual([]);
  });

  it("ends the run when it never comes back, and probes no more after the end", async () => {
    const a = new ProbedEndpoint("a", 1);
    const b = new ProbedEndpoint("b", 1);
    const run = runPlan(plan(4), [a, b], {
      signal: new AbortController().signal,
      emit: () => {},
      reprobe: fast,
    });
    await a.untilStarted(1);
    a.fail(a.started[0]!, new EndpointUnavailableError("connection refused"));
    await until(() => a.probes.length >= 2, "two failed probes");
    const result = await succeedAll(run, [a, b]);
    expect(result.outcome).toBe("success");
    expect(result.jobs.every((j) => j.state === "done" && j.endpoint === "b")).toBe(true);
    const probes = a.probes.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(a.probes.length).toBe(probes);
  });

  it("stops a probe under way when the run is aborted, and reports the run cancelled", async () => {
    const a = new ProbedEndpoint("a", 1);
    const b = new ProbedEndpoint("b", 1);
    a.hangs = true;
    const abort = new AbortController();
    const run = runPlan(plan(4), [a, b], {
      signal: abort.signal,
      emit: () => {},
      reprobe: fast,
      cancelGraceMs: 100,
    });
    await a.untilStarted(1);
    a.fail(a.started[0]!, new EndpointUnavailableError("connection refused"));
    await until(() => a.probes.length === 1, "a probe");
    abort.abort();
    const result = await run;
    expect(result.outcome).toBe("cancelled");
    expect(a.probeAborted).toBe(true);
    expect(a.probes.length).toBe(1);
  });

  it("does not probe an endpoint that has no work left it could take", async () => {
    const a = new ProbedEndpoint("a", 1);
    const b = new ProbedEndpoint("b", 1);
    const run = runPlan(plan(2), [a, b], {
      signal: new AbortController().signal,
      emit: () => {},
      reprobe: { firstDelayMs: 30, maxDelayMs: 30 },
    });
    await a.untilStarted(1);
    await b.untilStarted(1);
    b.succeed(b.started[0]!);
    a.fail(a.started[0]!, new EndpointUnavailableError("connection refused"));
    // The failed job starts on b at once: nothing is left for a.
    await b.untilStarted(2);
    await new Promise((r) => setTimeout(r, 80));
    expect(a.probes).toEqual([]);
    b.succeed(b.started[1]!);
    expect((await run).outcome).toBe("success");
  });
});

describe("scheduler: no endpoint up (a lone daemon restarting)", () => {
  it("waits for the endpoint to come back and builds everything there, saying so once", async () => {
    const a = new ProbedEndpoint("a", 1);
    const events: RunEvent[] = [];
    const run = runPlan(plan(3, ["a"]), [a], {
      signal: new AbortController().signal,
      emit: (e) => events.push(e),
      reprobe: fast,
      downWaitMs: 5000,
    });
    await a.untilStarted(1);
    a.fail(a.started[0]!, new EndpointUnavailableError("connection refused"));
    await until(() => a.probes.length >= 2, "two failed probes");
    a.reachable = true;
    const result = await succeedAll(run, [a]);
    expect(result.outcome).toBe("success");
    expect(result.jobs.map((j) => `${j.job.target} ${j.state} ${j.endpoint}`).sort()).toEqual([
      "t0 done a",
      "t1 done a",
      "t2 done a",
    ]);
    const waits = events
      .filter((e) => e.type === "warning")
      .map((e) => e.type === "warning" && e.message);
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatch(
      /^no endpoint that is up can build t\d: waiting up to 5 s for a to come back$/,
    );
  });

  it("fails the waiting jobs, naming the endpoint, once it stayed down too long", async () => {
    const a = new ProbedEndpoint("a", 1);
    const run = runPlan(plan(2, ["a"]), [a], {
      signal: new AbortController().signal,
      emit: () => {},
      reprobe: fast,
      downWaitMs: 60,
    });
    await a.untilStarted(1);
    a.fail(a.started[0]!, new EndpointUnavailableError("connection refused"));
    const result = await run;
    expect(result.outcome).toBe("failed");
    for (const j of result.jobs) {
      expect(j.state).toBe("failed");
      expect(j.error).toMatch(
        /no endpoint left to build t\d \(a down\); waited 0 s for a to come back/,
      );
    }
    const probes = a.probes.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(a.probes.length).toBe(probes);
  });

  it("a Ctrl-C while jobs wait ends the run cancelled at once", async () => {
    const a = new ProbedEndpoint("a", 1);
    const abort = new AbortController();
    const run = runPlan(plan(2, ["a"]), [a], {
      signal: abort.signal,
      emit: () => {},
      reprobe: fast,
      downWaitMs: 60_000,
      cancelGraceMs: 100,
    });
    await a.untilStarted(1);
    a.fail(a.started[0]!, new EndpointUnavailableError("connection refused"));
    await until(() => a.probes.length >= 1, "a probe");
    const at = Date.now();
    abort.abort();
    const result = await run;
    expect(result.outcome).toBe("cancelled");
    expect(Date.now() - at).toBeLessThan(1000);
    expect(result.jobs.every((j) => j.state === "cancelled")).toBe(true);
  });
});
