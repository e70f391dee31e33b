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
 * When (ms from now) the job would finish on this endpoint: its work is laid on the
 * lanes in queue order, each job on the lane that frees first, and so is the job.
 */
export function expectedFinish(l: EndpointLoad): number {
  const free = new Array<number>(lanes(l)).fill(0);
  const earliest = () => free.indexOf(Math.min(...free));
  for (const w of l.work) free[earliest()]! += Math.max(0, w);
  return free[earliest()]! + Math.max(0, l.duration);
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
