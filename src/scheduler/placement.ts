/**
 * Where a job runs: a pure choice, among the endpoints it may run on now, of the one
 * where it would finish first. Each endpoint is seen as a few lanes (its capacity:
 * the CPUs its worker reports when known, else its max-parallel) holding the expected
 * remaining time of the jobs already queued or running there; the job joins the lane
 * that frees first and takes its expected duration on that endpoint, shorter where
 * its cache is warm. Warmth is a saving of time, not a rule; emulation is one: an
 * endpoint that builds the job's platforms natively is always chosen over one that
 * would emulate them.
 */
import type { JobExpectation } from "../plan/history.js";

/** When nothing is known about a job's duration: every endpoint counts it the same. */
export const unknownDurationMs = 60_000;

/** One endpoint a job may run on, as placement sees it. */
export interface EndpointLoad {
  readonly name: string;
  /** The endpoint builds the job's platforms natively (no emulation). */
  readonly native: boolean;
  /** Jobs it runs at once (its max-parallel, at least 1). */
  readonly slots: number;
  /** CPUs its worker reports, when it does: more jobs than CPUs at once only share them. */
  readonly cpus?: number;
  /** Expected remaining time (ms) of each job queued or running there, in queue order. */
  readonly work: readonly number[];
  /** Expected duration (ms) of the job to place, if it ran there. */
  readonly duration: number;
}

/** How many jobs the endpoint gets through at full speed at once. */
function lanes(l: EndpointLoad): number {
  const slots = Math.max(1, Math.floor(l.slots));
  return l.cpus !== undefined && l.cpus >= 1 ? Math.min(slots, Math.floor(l.cpus)) : slots;
}

/**
 * When (ms from now) the job would finish on this endpoint. Its work and then the job
 * run in queue order, up to max-parallel at once; running jobs share the CPUs (when
 * known), each at full speed while there are no more jobs than CPUs.
 */
export function expectedFinish(l: EndpointLoad): number {
  const slots = Math.max(1, Math.floor(l.slots));
  const cpus = lanes(l);
  const queue = [...l.work, l.duration].map((w) => Math.max(0, w));
  const last = queue.length - 1;
  const running: { left: number; index: number }[] = [];
  let next = 0;
  let time = 0;
  for (;;) {
    while (running.length < slots && next < queue.length)
      running.push({ left: queue[next]!, index: next++ });
    const rate = Math.min(1, cpus / running.length);
    const step = Math.min(...running.map((r) => r.left)) / rate;
    time += step;
    for (let i = running.length - 1; i >= 0; i--) {
      const r = running[i]!;
      r.left -= step * rate;
      if (r.left <= 1e-9) {
        if (r.index === last) return time;
        running.splice(i, 1);
      }
    }
  }
}

/** Work waiting per lane: how busy the endpoint is. */
function busyness(l: EndpointLoad): number {
  return l.work.reduce((a, w) => a + Math.max(0, w), 0) / lanes(l);
}

/** Finish times this close (relative) count as a tie. */
const tieTolerance = 0.02;

/**
 * The endpoint where the job would finish first. Only native endpoints are considered
 * while any is left. On a tie the least busy endpoint wins (spreading work keeps every
 * endpoint in use), then the first in `loads`, which is in preference order.
 * Undefined when `loads` is empty.
 */
export function pickEndpoint(loads: readonly EndpointLoad[]): string | undefined {
  const native = loads.filter((l) => l.native);
  const pool = native.length > 0 ? native : loads;
  let best: { load: EndpointLoad; finish: number; busy: number } | undefined;
  for (const load of pool) {
    const finish = expectedFinish(load);
    const busy = busyness(load);
    if (!best) {
      best = { load, finish, busy };
      continue;
    }
    const scale = Math.max(finish, best.finish, 1);
    const tie = Math.abs(finish - best.finish) <= tieTolerance * scale;
    if ((tie && busy < best.busy) || (!tie && finish < best.finish)) best = { load, finish, busy };
  }
  return best?.load.name;
}

/** The job's expected duration on `endpoint`. */
export function durationOn(expected: JobExpectation | undefined, endpoint: string): number {
  if (!expected) return unknownDurationMs;
  return expected.warmOn.includes(endpoint) ? expected.warmMs : expected.coldMs;
}

/**
 * The jobs each endpoint holds (queued or running) with their expected durations,
 * so placement can tell how long each endpoint is busy. A running job that overran
 * its expectation still counts a tenth of it.
 */
export class EndpointWorkload {
  private readonly jobs = new Map<
    string,
    { endpoint: string; expectedMs: number; startedAt?: number }
  >();

  placed(id: string, endpoint: string, expectedMs: number): void {
    this.jobs.set(id, { endpoint, expectedMs });
  }

  started(id: string, now: number): void {
    const j = this.jobs.get(id);
    if (j) j.startedAt = now;
  }

  ended(id: string): void {
    this.jobs.delete(id);
  }

  /** Expected remaining time of each job on `endpoint`: running ones first, then in queue order. */
  work(endpoint: string, now: number): number[] {
    const running: number[] = [];
    const queued: number[] = [];
    for (const j of this.jobs.values()) {
      if (j.endpoint !== endpoint) continue;
      if (j.startedAt === undefined) queued.push(j.expectedMs);
      else running.push(Math.max(j.expectedMs / 10, j.expectedMs - (now - j.startedAt)));
    }
    return [...running, ...queued];
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
