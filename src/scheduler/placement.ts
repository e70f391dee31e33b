/**
 * Where a job runs: a pure choice, among the endpoints it may run on now, of the one
 * where the run would end first. Each endpoint is seen as a few lanes (its capacity: its
 * CPUs, reported, set or assumed, at most its max-parallel) holding the expected
 * remaining time of the jobs already queued or running there; the job joins them and
 * takes its expected duration on that endpoint, shorter where its cache is warm.
 * Every job also carries the time its dependants need after it (its tail): a job that
 * slows a job on the critical path there delays the whole run, and placement counts
 * that (as HEFT's upward rank does), then the job's own finish time. Warmth is a
 * saving of time, not a rule; emulation is one: an endpoint that builds the job's
 * platforms natively is always chosen over one that would emulate them.
 */
import { type JobExpectation, median } from "../plan/history.js";

/** When nothing is known about a job's duration: every endpoint counts it the same. */
export const unknownDurationMs = 60_000;

/** One endpoint a job may run on, as placement sees it. */
export interface EndpointLoad {
  readonly name: string;
  /** The endpoint builds the job's platforms natively (no emulation). */
  readonly native: boolean;
  /** Jobs it runs at once (its max-parallel, at least 1). */
  readonly slots: number;
  /**
   * CPUs it builds on (reported, set with cpus=, or assumed: see assumedCpus): more jobs
   * than CPUs at once only share them. Undefined: only max-parallel bounds it.
   */
  readonly cpus?: number;
  /** Expected remaining time (ms) of each job queued or running there, in queue order. */
  readonly work: readonly number[];
  /** Expected duration (ms) of the job to place, if it ran there. */
  readonly duration: number;
  /** Time (ms) the dependants of each job of `work` need after it ends, in the same order. */
  readonly tails?: readonly number[];
  /** Time (ms) the job's own dependants need after it ends. */
  readonly tail?: number;
}

/**
 * The CPUs placement counts for an endpoint that does not say how many it has (a
 * buildkitd elsewhere reports none, and none was set with cpus=): as many as the
 * endpoints that do say have (their median), else 1. Counting its max-parallel instead
 * (32 by default) took it for a machine that runs every job at once at full speed, and
 * piled all the work on the endpoint whose cache is warm while the other stayed idle. An
 * endpoint counted short of its CPUs only loses some of the time its warm cache saves.
 */
export function assumedCpus(known: readonly (number | undefined)[]): number {
  const middle = median(known.filter((c): c is number => c !== undefined && c >= 1));
  return middle === undefined ? 1 : Math.max(1, Math.round(middle));
}

/** How many jobs the endpoint gets through at full speed at once. */
function lanes(l: EndpointLoad): number {
  const slots = Math.max(1, Math.floor(l.slots));
  return l.cpus !== undefined && l.cpus >= 1 ? Math.min(slots, Math.floor(l.cpus)) : slots;
}

/**
 * When (ms from now) each job of `queue` would finish on this endpoint: they run in
 * queue order, up to max-parallel at once; running jobs share the CPUs (when known),
 * each at full speed while there are no more jobs than CPUs.
 */
function finishTimes(l: EndpointLoad, queue: readonly number[]): number[] {
  const slots = Math.max(1, Math.floor(l.slots));
  const cpus = lanes(l);
  const left = queue.map((w) => Math.max(0, w));
  const finish: number[] = new Array<number>(left.length).fill(0);
  const running: number[] = [];
  let next = 0;
  let time = 0;
  while (running.length > 0 || next < left.length) {
    while (running.length < slots && next < left.length) running.push(next++);
    const rate = Math.min(1, cpus / running.length);
    const step = Math.min(...running.map((i) => left[i]!)) / rate;
    time += step;
    for (let k = running.length - 1; k >= 0; k--) {
      const i = running[k]!;
      left[i]! -= step * rate;
      if (left[i]! <= 1e-9) {
        finish[i] = time;
        running.splice(k, 1);
      }
    }
  }
  return finish;
}

/** When (ms from now) the job would finish on this endpoint, after the work already there. */
export function expectedFinish(l: EndpointLoad): number {
  return finishTimes(l, [...l.work, l.duration]).at(-1)!;
}

/**
 * When (ms from now) the last chain through this endpoint would end: each job's finish
 * there plus the time its dependants need after it; with the job placed there or not.
 */
export function projectedEnd(l: EndpointLoad, withJob: boolean): number {
  const queue = withJob ? [...l.work, l.duration] : [...l.work];
  const tails = withJob ? [...(l.tails ?? []), l.tail ?? 0] : [...(l.tails ?? [])];
  const finish = finishTimes(l, queue);
  return Math.max(0, ...finish.map((f, i) => f + (tails[i] ?? 0)));
}

/** Work waiting per lane: how busy the endpoint is. */
function busyness(l: EndpointLoad): number {
  return l.work.reduce((a, w) => a + Math.max(0, w), 0) / lanes(l);
}

/** Times this close (relative) count as a tie. */
const tieTolerance = 0.02;

/** A candidate endpoint with what placing the job there means. */
interface Option {
  readonly load: EndpointLoad;
  /** When the run's last chain through any endpoint would end, the job placed here. */
  readonly runEnd: number;
  /** When the job itself would finish here. */
  readonly finish: number;
  readonly busy: number;
}

/** Negative when `a` is better than `b`; ties (within the tolerance) go on to the next rule. */
function compare(a: Option, b: Option): number {
  for (const key of ["runEnd", "finish"] as const) {
    const scale = Math.max(a[key], b[key], 1);
    if (Math.abs(a[key] - b[key]) > tieTolerance * scale) return a[key] - b[key];
  }
  return a.busy - b.busy;
}

/**
 * The endpoint where the job lets the run end first: the job's finish there plus its
 * dependants' tail, and the jobs already there that it would slow down, against the
 * other endpoints' own chains. Then the endpoint where the job itself finishes first,
 * then the least busy (spreading work keeps every endpoint in use), then the first in
 * `loads`, which is in preference order. Only native endpoints are considered while
 * any is left. Undefined when `loads` is empty.
 */
export function pickEndpoint(loads: readonly EndpointLoad[]): string | undefined {
  const native = loads.filter((l) => l.native);
  const pool = native.length > 0 ? native : loads;
  const without = pool.map((l) => projectedEnd(l, false));
  let best: Option | undefined;
  pool.forEach((load, i) => {
    const others = Math.max(0, ...without.filter((_, k) => k !== i));
    const option: Option = {
      load,
      runEnd: Math.max(others, projectedEnd(load, true)),
      finish: expectedFinish(load),
      busy: busyness(load),
    };
    if (!best || compare(option, best) < 0) best = option;
  });
  return best?.load.name;
}

/** The job's expected duration on `endpoint`. */
export function durationOn(expected: JobExpectation | undefined, endpoint: string): number {
  if (!expected) return unknownDurationMs;
  return expected.warmOn.includes(endpoint) ? expected.warmMs : expected.coldMs;
}

/**
 * The jobs each endpoint holds (queued or running) with their expected durations and
 * tails, so placement can tell how long each endpoint is busy. A running job that
 * overran its expectation still counts a tenth of it.
 */
export class EndpointWorkload {
  private readonly jobs = new Map<
    string,
    { endpoint: string; expectedMs: number; tailMs: number; startedAt?: number; held?: true }
  >();

  placed(id: string, endpoint: string, expectedMs: number, tailMs = 0): void {
    this.jobs.set(id, { endpoint, expectedMs, tailMs });
  }

  /**
   * A job not given to `endpoint` yet but waiting for room there: it counts as queued
   * after the jobs placed there (placement sees the endpoint busier), not as a build
   * the endpoint holds (see `count`).
   */
  waiting(id: string, endpoint: string, expectedMs: number, tailMs = 0): void {
    this.jobs.set(id, { endpoint, expectedMs, tailMs, held: true });
  }

  started(id: string, now: number): void {
    const j = this.jobs.get(id);
    if (j) j.startedAt = now;
  }

  ended(id: string): void {
    this.jobs.delete(id);
  }

  /** Jobs queued or running on `endpoint` (not those waiting for room there). */
  count(endpoint: string): number {
    let n = 0;
    for (const j of this.jobs.values()) if (j.endpoint === endpoint && !j.held) n++;
    return n;
  }

  /**
   * Expected remaining time of each job on `endpoint`: running ones first, then in
   * queue order, then those waiting for room there.
   */
  work(endpoint: string, now: number): number[] {
    return this.load(endpoint, now).work;
  }

  /** The endpoint's work (as `work`) and, in the same order, each job's tail. */
  load(endpoint: string, now: number): { work: number[]; tails: number[] } {
    const running: [number, number][] = [];
    const queued: [number, number][] = [];
    const held: [number, number][] = [];
    for (const j of this.jobs.values()) {
      if (j.endpoint !== endpoint) continue;
      if (j.held) held.push([j.expectedMs, j.tailMs]);
      else if (j.startedAt === undefined) queued.push([j.expectedMs, j.tailMs]);
      else
        running.push([Math.max(j.expectedMs / 10, j.expectedMs - (now - j.startedAt)), j.tailMs]);
    }
    const all = [...running, ...queued, ...held];
    return { work: all.map((x) => x[0]), tails: all.map((x) => x[1]) };
  }
}

/**
 * For each job, the expected time from its start to the end of the longest chain of
 * jobs waiting on it, its own duration included (each at its shortest expected
 * duration). Jobs with the longest way to go are placed and run first.
 */
export function timeToEnd(
  jobs: readonly {
    readonly id: string;
    readonly after: readonly string[];
    readonly expected?: JobExpectation;
  }[],
): Map<string, number> {
  const own = (j: (typeof jobs)[number]) =>
    j.expected
      ? Math.min(
          j.expected.coldMs,
          j.expected.warmOn.length > 0 ? j.expected.warmMs : j.expected.coldMs,
        )
      : unknownDurationMs;
  const dependents = new Map<string, string[]>();
  for (const j of jobs)
    for (const a of j.after) dependents.set(a, [...(dependents.get(a) ?? []), j.id]);
  const result = new Map<string, number>();
  // Jobs come in dependency order (a job after its dependencies): walk them backwards.
  for (let i = jobs.length - 1; i >= 0; i--) {
    const j = jobs[i]!;
    const next = Math.max(0, ...(dependents.get(j.id) ?? []).map((d) => result.get(d) ?? 0));
    result.set(j.id, own(j) + next);
  }
  return result;
}

/**
 * For each job, the time its dependants need after it ends: the longest time to the
 * end (see timeToEnd) among the jobs waiting on it; 0 for a job nothing waits on.
 */
export function timeAfter(
  jobs: readonly { readonly id: string; readonly after: readonly string[] }[],
  toEnd: ReadonlyMap<string, number>,
): Map<string, number> {
  const result = new Map<string, number>(jobs.map((j) => [j.id, 0]));
  for (const j of jobs)
    for (const a of j.after) result.set(a, Math.max(result.get(a) ?? 0, toEnd.get(j.id) ?? 0));
  return result;
}
