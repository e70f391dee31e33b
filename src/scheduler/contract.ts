/**
 * What the scheduler's callers see: the build endpoint it drives (and the errors
 * an endpoint throws), the options of a run and what a run returns.
 */
import type { Job } from "../plan/plan.js";
import type { JobOutcome, RunEvent } from "../progress/events.js";
import type { SolveStatus } from "../progress/status.js";
import type { ReprobeTiming } from "./reprobe.js";

/** A finished dependency, as its dependents can use it. */
export interface DependencyOutput {
  readonly target: string;
  readonly endpoint: string;
  /** An image reference usable on `endpoint` only (the Engine's image store). */
  readonly localImage?: string;
  /** An image reference any endpoint can pull (pushed to the run's registry). */
  readonly pushedImage?: string;
}

export interface ScheduledJob {
  readonly job: Job;
  readonly attempt: number;
  /** The dependencies' outputs, by target name. */
  readonly dependencies: Readonly<Record<string, DependencyOutput>>;
}

export interface EndpointBuildResult extends JobOutcome {
  readonly handover?: Omit<DependencyOutput, "target" | "endpoint">;
}

/** What the scheduler calls: one build on one daemon. The CLI adapts the BuildKit client to it. */
export interface BuildEndpoint {
  readonly name: string;
  readonly maxParallel: number;
  /** CPUs the daemon's worker reports, when it does (placement's idea of its capacity). */
  readonly cpus?: number;
  build(
    job: ScheduledJob,
    ctx: { readonly signal: AbortSignal; readonly onStatus: (s: SolveStatus) => void },
  ): Promise<EndpointBuildResult>;
  /**
   * Asks a daemon that went away whether it is back: the same bounded connect and
   * capabilities check as at start-up. Resolves once it answered (its capabilities read
   * again: it may be another version after a restart; `maxParallel` and `cpus` may change),
   * rejects when it did not; ends promptly when `signal` aborts. Absent: a down endpoint
   * stays down for the rest of the run.
   */
  probe?(signal: AbortSignal): Promise<void>;
}

/** Thrown by an endpoint whose daemon cannot be reached any more: the job may run elsewhere. */
export class EndpointUnavailableError extends Error {
  override name = "EndpointUnavailableError";
}

/** A build that failed, with the step that failed when known. */
export class JobFailedError extends Error {
  override name = "JobFailedError";
  constructor(
    message: string,
    readonly failedStep?: string,
  ) {
    super(message);
  }
}

export interface JobResult {
  readonly job: Job;
  readonly state: "done" | "failed" | "skipped" | "cancelled";
  readonly endpoint?: string;
  readonly outcome?: JobOutcome;
  readonly error?: string;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly retries: number;
}

/** The join of a split target's platform images into one index. */
export interface JoinResult {
  readonly target: string;
  readonly platforms: readonly string[];
  readonly state: "done" | "failed";
  /** The index as pushed: its digest is the target's containerimage.digest. */
  readonly outcome?: JobOutcome;
  readonly error?: string;
}

export interface RunResult {
  readonly outcome: "success" | "failed" | "cancelled";
  /** One per job; a failed join also appears here, as a failed result of its first part. */
  readonly jobs: readonly JobResult[];
  /** One per split target whose parts all finished. */
  readonly joins: readonly JoinResult[];
}

export interface RunOptions {
  readonly signal: AbortSignal;
  readonly emit: (e: RunEvent) => void;
  readonly failFast?: boolean;
  /** Total builds at once across endpoints. */
  readonly maxParallel?: number;
  /** How many times a job moves to another endpoint when its daemon goes away. */
  readonly maxRetries?: number;
  /**
   * Joins the per-platform images of a split target (pushes one index). `signal` aborts
   * when the run stops: the join must then end promptly and push nothing more.
   */
  readonly join?: (
    target: string,
    parts: readonly JobResult[],
    signal: AbortSignal,
  ) => Promise<JobOutcome>;
  readonly now?: () => number;
  /**
   * After cancellation (the caller's signal or --fail-fast), how long to wait for
   * running builds to notice their aborted signal before reporting them cancelled
   * anyway and returning (default 2000 ms). A build that ignores its signal is
   * abandoned, not awaited; its later result is dropped.
   */
  readonly cancelGraceMs?: number;
  /** How soon and how often a down endpoint is probed again (default 1 s doubling to 15 s). */
  readonly reprobe?: ReprobeTiming;
  /**
   * How long a job that no endpoint up can build waits for a down one to come back (a
   * daemon restarting) before it fails (default 30 s). Only endpoints that can be probed
   * are waited for.
   */
  readonly downWaitMs?: number;
}
