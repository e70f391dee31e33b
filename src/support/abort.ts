/**
 * Cancellation without races: an abort that happened before anyone listened is still
 * seen. Every place that reacts to an AbortSignal goes through these.
 */
import type { ErrorKind } from "../diagnostics/error-kind.js";

/** Runs `fn` once when `signal` aborts, or now if it already has; returns the detach. */
export function whenAborted(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) {
    fn();
    return () => {};
  }
  signal.addEventListener("abort", fn, { once: true });
  return () => signal.removeEventListener("abort", fn);
}

/** What the user reads when the run was cancelled, wherever it stopped (one message, exit 130). */
export const cancelledLine = "mbake: cancelled";

/** The run was cancelled: exit 130. */
export class CancelledError extends Error {
  override name = "CancelledError";
  readonly kind = "cancelled" satisfies ErrorKind;
  constructor(message = "cancelled") {
    super(message);
  }
}

/** Throws CancelledError if `signal` has aborted: call it after every await of a long job. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError();
}

/** Settles like `work`, or resolves undefined after `ms` if it has not settled by then. */
export function settledWithin<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([
    work,
    new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref()),
  ]);
}

/** Settles like `work`, or rejects with CancelledError as soon as `signal` aborts. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const detach = whenAborted(signal, () => reject(new CancelledError()));
    work.then(
      (v) => {
        detach();
        resolve(v);
      },
      (e: unknown) => {
        detach();
        reject(e);
      },
    );
  });
}
