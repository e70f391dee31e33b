/**
 * How a job ended, and the two records of it: the event the run reports and the
 * result it returns. Both come from one `JobEnd` so they always agree.
 */
import type { Job } from "../plan/plan.js";
import type { JobOutcome, JobRef, RunEvent } from "../progress/events.js";
import type { JobResult } from "./contract.js";

export type JobEnd =
  | {
      readonly state: "done";
      readonly endpoint: string;
      readonly outcome: JobOutcome;
      readonly startedAt: number;
    }
  | {
      readonly state: "failed";
      readonly error: string;
      /** Absent when no endpoint could take the job. */
      readonly endpoint?: string;
      readonly failedStep?: string;
      /** Absent when the job never started. */
      readonly startedAt?: number;
    }
  | { readonly state: "skipped"; readonly reason: string }
  | { readonly state: "cancelled"; readonly endpoint?: string };

export function jobRef(job: Job): JobRef {
  return { target: job.target, platforms: job.platforms };
}

/** The event that reports `end` at `time`. */
export function endEvent(job: Job, end: JobEnd, time: number): RunEvent {
  const ref = jobRef(job);
  switch (end.state) {
    case "done":
      return { type: "job-done", time, job: ref, endpoint: end.endpoint, result: end.outcome };
    case "failed":
      return {
        type: "job-failed",
        time,
        job: ref,
        ...(end.endpoint !== undefined ? { endpoint: end.endpoint } : {}),
        error: end.error,
        ...(end.failedStep ? { failedStep: end.failedStep } : {}),
      };
    case "skipped":
      return { type: "job-skipped", time, job: ref, reason: end.reason };
    case "cancelled":
      return { type: "job-cancelled", time, job: ref };
  }
}

/** The result that records `end`, finished at `time` after `retries` moves. */
export function endResult(job: Job, end: JobEnd, retries: number, time: number): JobResult {
  switch (end.state) {
    case "done":
      return {
        job,
        state: "done",
        endpoint: end.endpoint,
        outcome: end.outcome,
        startedAt: end.startedAt,
        finishedAt: time,
        retries,
      };
    case "failed":
      return {
        job,
        state: "failed",
        ...(end.endpoint !== undefined ? { endpoint: end.endpoint } : {}),
        error: end.error,
        ...(end.startedAt !== undefined ? { startedAt: end.startedAt, finishedAt: time } : {}),
        retries,
      };
    case "skipped":
      return { job, state: "skipped", error: end.reason, retries };
    case "cancelled":
      return {
        job,
        state: "cancelled",
        ...(end.endpoint !== undefined ? { endpoint: end.endpoint } : {}),
        retries,
      };
  }
}
