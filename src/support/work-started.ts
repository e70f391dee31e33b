/**
 * Whether this process has begun work outside itself (a connection to a daemon, a
 * process started). Until then a Ctrl-C can end the process at once: there is nothing
 * to stop or clean up, and waiting for modules to finish loading would only delay it.
 */
let started = false;
const listeners: (() => void)[] = [];

/**
 * Read by the launcher's code cache (cli/code-cache.ts), which runs outside the bundle: a
 * run that got this far compiled the code of builds too, and its cache is worth keeping.
 */
export const workStartedMark = Symbol.for("mbake.workStarted");

export function markWorkStarted(): void {
  if (started) return;
  started = true;
  (globalThis as Record<symbol, unknown>)[workStartedMark] = true;
  for (const listener of listeners.splice(0)) listener();
}

/** Calls `listener` once, when work starts (at once if it has). */
export function onWorkStarted(listener: () => void): void {
  if (started) listener();
  else listeners.push(listener);
}
