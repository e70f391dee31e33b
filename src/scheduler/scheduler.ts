/**
 * The scheduler's front: `runPlan` runs a plan on build endpoints and returns what
 * happened to every job. The run itself is a `PlanRun` (plan-run.ts); what callers
 * pass and get back is declared in contract.ts and re-exported here.
 */
import type { Plan } from "../plan/plan.js";
import type { BuildEndpoint, RunOptions, RunResult } from "./contract.js";
import { PlanRun } from "./plan-run.js";

export type {
  BuildEndpoint,
  DependencyOutput,
  EndpointBuildResult,
  JobResult,
  JoinResult,
  RunOptions,
  RunResult,
  ScheduledJob,
} from "./contract.js";
export { EndpointUnavailableError, JobFailedError } from "./contract.js";

/**
 * Every job whose dependencies are done starts at once, up to each endpoint's limit
 * and the run's limit. A daemon that goes away sends its jobs elsewhere; a failed
 * target skips its dependents; --fail-fast and cancellation stop everything.
 */
export function runPlan(
  plan: Plan,
  endpoints: readonly BuildEndpoint[],
  options: RunOptions,
): Promise<RunResult> {
  return new PlanRun(plan, endpoints, options).run();
}
