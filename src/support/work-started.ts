/**
 * Whether this process has begun work outside itself (a connection to a daemon, a
 * process started). Until then a Ctrl-C can end the process at once: there is nothing
 * to stop or clean up, and waiting for modules to finish loading would only delay it.
 */
let started = false;

export function markWorkStarted(): void {
  started = true;
}

export function workStarted(): boolean {
  return started;
}
