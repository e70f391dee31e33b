/**
 * Where a job runs: a pure choice among the endpoints it may run on now, from how
 * many jobs each already has queued or running and how many it runs at once.
 */

/** One endpoint a job may run on, as placement sees it. */
export interface EndpointLoad {
  readonly name: string;
  /** The endpoint builds the job's platforms natively (no emulation). */
  readonly native: boolean;
  /** Jobs queued or running there now. */
  readonly queued: number;
  /** Jobs it runs at once (at least 1). */
  readonly slots: number;
}

/**
 * Among endpoints that build the job natively: the best-ranked with a free slot,
 * else the one where the wait is shortest (waiting for a native endpoint beats
 * emulating elsewhere). Only when no native endpoint is left: the same choice among
 * all. `loads` is in preference order, which also breaks ties. Undefined when empty.
 */
export function pickEndpoint(loads: readonly EndpointLoad[]): string | undefined {
  const native = loads.filter((l) => l.native);
  const pool = native.length > 0 ? native : loads;
  const idle = pool.find((l) => l.queued < l.slots);
  if (idle) return idle.name;
  // All busy: queue where the fewest jobs wait per slot, the first in preference order on ties.
  let best: EndpointLoad | undefined;
  for (const l of pool) if (!best || l.queued / l.slots < best.queued / best.slots) best = l;
  return best?.name;
}
