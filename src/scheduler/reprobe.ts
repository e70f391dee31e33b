/**
 * When a down endpoint is asked again whether it is back: a pure record of each down
 * endpoint's probing (no timers, no I/O; plan-run.ts drives it). The first probe comes
 * `firstDelayMs` after the endpoint went down, each failed probe doubles the wait, up to
 * `maxDelayMs`; one probe at a time per endpoint; an endpoint that answers is up again
 * and its count starts over if it goes down later.
 */

export interface ReprobeTiming {
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

export const defaultReprobeTiming: ReprobeTiming = { firstDelayMs: 1000, maxDelayMs: 15_000 };

/** The wait before the probe that follows `failures` failed probes (1 s, 2 s, 4 s ... capped). */
export function reprobeDelayMs(failures: number, timing = defaultReprobeTiming): number {
  const n = Math.max(0, Math.floor(failures));
  // 2^n overflows to Infinity for large n; the cap holds either way.
  return Math.min(timing.maxDelayMs, timing.firstDelayMs * 2 ** Math.min(n, 30));
}

export type EndpointHealth =
  | { readonly state: "up" }
  | { readonly state: "down"; readonly failures: number; readonly probeAt: number }
  | { readonly state: "probing"; readonly failures: number };

export const up: EndpointHealth = { state: "up" };

/** The endpoint went away at `now` (a build found it gone). Already down: unchanged. */
export function wentDown(h: EndpointHealth, now: number, timing = defaultReprobeTiming) {
  if (h.state !== "up") return h;
  return { state: "down", failures: 0, probeAt: now + reprobeDelayMs(0, timing) } as const;
}

/** Whether a probe is due at `now`. */
export function probeDue(h: EndpointHealth, now: number): boolean {
  return h.state === "down" && now >= h.probeAt;
}

/** A probe started. Only a down endpoint is probed; anything else is unchanged. */
export function probeStarted(h: EndpointHealth): EndpointHealth {
  return h.state === "down" ? { state: "probing", failures: h.failures } : h;
}

/** The probe got no answer at `now`: down again, the next probe a doubled wait away. */
export function probeFailed(
  h: EndpointHealth,
  now: number,
  timing = defaultReprobeTiming,
): EndpointHealth {
  if (h.state !== "probing") return h;
  const failures = h.failures + 1;
  return { state: "down", failures, probeAt: now + reprobeDelayMs(failures, timing) };
}

/** The probe got an answer: the endpoint is up. */
export function probeAnswered(h: EndpointHealth): EndpointHealth {
  return h.state === "probing" ? up : h;
}
