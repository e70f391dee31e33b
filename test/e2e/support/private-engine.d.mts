/** Types of private-engine.mjs (a Docker Engine 20.10 of one test's or bench's own). */
export interface PrivateEngine {
  readonly name: string;
  /** unix://DIR/docker.sock */
  readonly endpoint: string;
  readonly socketPath: string;
  readonly dir: string;
  /** SIGKILL the dockerd (its containerd follows it). */
  kill(): void;
  /** Starts it (again) and waits until it answers. */
  start(): Promise<void>;
  /** Kills it and everything it left, unmounts, removes its bridge and folders. */
  remove(): void;
  log(): string;
}

/**
 * modernFs: the unpacked modern Engine's root (.test-env/modern/fs), run with the containerd
 * image store. daemonConfig: more of daemon.json (registry-mirrors, debug, ...).
 */
export function startPrivateEngine(
  name: string,
  options?: { readonly modernFs?: string; readonly daemonConfig?: Record<string, unknown> },
): Promise<PrivateEngine>;
