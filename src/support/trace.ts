/**
 * MBAKE_TRACE=1: how long each phase of a run took, one line per phase on stderr
 * ("mbake trace: connect engine-a 41 ms"), so where the time goes before and around
 * the work shows without a profiler. Off unless enabled; then every call is a no-op.
 */
import { performance } from "node:perf_hooks";

let sink: ((line: string) => void) | undefined;

/** Turns tracing on when MBAKE_TRACE is set to anything but "" or "0". */
export function enableTrace(
  env: Readonly<Record<string, string | undefined>>,
  write: (line: string) => void,
): void {
  const v = env.MBAKE_TRACE;
  sink = v && v !== "0" ? write : undefined;
}

/** Milliseconds since the process started (the clock every phase is measured on). */
export function traceClock(): number {
  return performance.now();
}

/** Reports that `phase` took from `startMs` until `endMs` (traceClock() readings; now by default). */
export function tracePhase(phase: string, startMs: number, endMs = performance.now()): void {
  if (!sink) return;
  sink(`mbake trace: ${phase} ${Math.round(endMs - startMs)} ms\n`);
}

/** Runs `work` and reports how long it took, whether it succeeded or failed. */
export async function traced<T>(phase: string, work: () => Promise<T>): Promise<T> {
  if (!sink) return work();
  const start = performance.now();
  try {
    return await work();
  } finally {
    tracePhase(phase, start);
  }
}
