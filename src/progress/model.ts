/**
 * The progress model: a pure reducer from run events to the state renderers draw.
 * State objects are replaced, never mutated, along the path that changed, so a
 * renderer can compare references; unchanged targets keep their objects.
 */
import type { JobOutcome, RunEvent } from "./events.js";
import type { SolveStatus } from "./status.js";

export type JobState = "queued" | "running" | "done" | "failed" | "cancelled" | "skipped";

export interface StepState {
  readonly digest: string;
  readonly name: string;
  readonly started?: number;
  readonly completed?: number;
  readonly cached: boolean;
  readonly error?: string;
  /** The last lines of its log. */
  readonly logs: readonly string[];
  readonly progress?: { readonly current: number; readonly total: number };
}

/** A warning of the build itself (a Dockerfile check, a deprecated form), as the frontend gave it. */
export interface BuildWarning {
  /** "InvalidDefaultArgInFrom: Default value for ARG ... results in ...". */
  readonly short: string;
  readonly file?: string;
  readonly line?: number;
  readonly url?: string;
}

/** Build warnings kept per job: a frontend that repeats itself cannot grow the state without bound. */
export const MAX_BUILD_WARNINGS = 100;

export interface JobView {
  readonly key: string;
  readonly target: string;
  readonly platforms: readonly string[];
  readonly state: JobState;
  readonly endpoint?: string;
  readonly attempt: number;
  readonly retries: number;
  readonly queuedAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly steps: readonly StepState[];
  readonly error?: string;
  readonly failedStep?: string;
  readonly outcome?: JobOutcome;
  readonly reason?: string;
  /** The build's own warnings, each once (the latest attempt's). */
  readonly buildWarnings?: readonly BuildWarning[];
}

export interface RunState {
  readonly jobs: readonly JobView[];
  readonly endpoints: Readonly<Record<string, "up" | "down">>;
  readonly warnings: readonly string[];
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly outcome?: "success" | "failed" | "cancelled";
}

export const MAX_LOG_LINES = 50;

export function initialState(): RunState {
  return { jobs: [], endpoints: {}, warnings: [] };
}

export function jobKey(job: { target: string; platforms: readonly string[] }): string {
  return job.platforms.length > 0 ? `${job.target}@${job.platforms.join(",")}` : job.target;
}

function appendLogs(previous: readonly string[], text: string): string[] {
  const lines = [...previous];
  const parts = text.split("\n");
  if (lines.length > 0 && parts.length > 0 && !text.startsWith("\n")) {
    // Continue the last line when the previous chunk did not end with a newline.
    const last = lines[lines.length - 1]!;
    if (last.endsWith("\u0000")) lines[lines.length - 1] = last.slice(0, -1) + parts.shift()!;
  }
  for (const p of parts) lines.push(p);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  else if (lines.length > 0) lines[lines.length - 1] += "\u0000";
  return lines.slice(-MAX_LOG_LINES);
}

export function cleanLogLine(line: string): string {
  return line.replace(/\u0000$/, "").replace(/\r/g, "");
}

function applyStatus(steps: readonly StepState[], status: SolveStatus): StepState[] {
  const byDigest = new Map(steps.map((s) => [s.digest, s]));
  const order = steps.map((s) => s.digest);
  const upsert = (digest: string, change: (s: StepState) => StepState) => {
    const current = byDigest.get(digest) ?? { digest, name: "", cached: false, logs: [] };
    if (!byDigest.has(digest)) order.push(digest);
    byDigest.set(digest, change(current));
  };
  for (const v of status.vertexes) {
    upsert(v.digest, (s) => ({
      ...s,
      name: v.name || s.name,
      cached: v.cached || s.cached,
      ...(v.started ? { started: v.started.getTime() } : {}),
      ...(v.completed ? { completed: v.completed.getTime() } : {}),
      ...(v.error ? { error: v.error } : {}),
    }));
  }
  for (const st of status.statuses) {
    upsert(st.vertex, (s) => ({ ...s, progress: { current: st.current, total: st.total } }));
  }
  for (const l of status.logs) {
    upsert(l.vertex, (s) => ({
      ...s,
      logs: appendLogs(s.logs, Buffer.from(l.data).toString("utf8")),
    }));
  }
  return order.map((d) => byDigest.get(d)!);
}

/** The job's build warnings with those of `status` added, each once, at most MAX_BUILD_WARNINGS. */
function addBuildWarnings(
  known: readonly BuildWarning[] | undefined,
  status: SolveStatus,
): readonly BuildWarning[] | undefined {
  if (status.warnings.length === 0) return known;
  const list = [...(known ?? [])];
  const same = (a: BuildWarning, b: BuildWarning) =>
    a.short === b.short && a.file === b.file && a.line === b.line;
  for (const w of status.warnings) {
    const line = w.range?.find((r) => r.startLine > 0)?.startLine;
    const warning: BuildWarning = {
      short: w.short,
      ...(w.file ? { file: w.file } : {}),
      ...(line !== undefined ? { line } : {}),
      ...(w.url ? { url: w.url } : {}),
    };
    if (list.length < MAX_BUILD_WARNINGS && !list.some((k) => same(k, warning))) list.push(warning);
  }
  return list;
}

function updateJob(
  state: RunState,
  job: { target: string; platforms: readonly string[] },
  time: number,
  change: (j: JobView) => JobView,
): RunState {
  const key = jobKey(job);
  let found = false;
  const jobs = state.jobs.map((j) => {
    if (j.key !== key) return j;
    found = true;
    return change(j);
  });
  if (!found) {
    jobs.push(
      change({
        key,
        target: job.target,
        platforms: job.platforms,
        state: "queued",
        attempt: 0,
        retries: 0,
        queuedAt: time,
        steps: [],
      }),
    );
  }
  return { ...state, jobs };
}

export function reduce(state: RunState, e: RunEvent): RunState {
  switch (e.type) {
    case "run-started":
      return {
        ...state,
        startedAt: e.time,
        endpoints: Object.fromEntries(e.endpoints.map((n) => [n, "up" as const])),
      };
    case "job-queued":
      return updateJob(state, e.job, e.time, (j) => ({ ...j, state: "queued" }));
    case "job-started":
      return updateJob(state, e.job, e.time, (j) => ({
        ...j,
        state: "running",
        endpoint: e.endpoint,
        attempt: e.attempt,
        startedAt: e.time,
        steps: [],
        buildWarnings: [],
      }));
    case "job-status":
      return updateJob(state, e.job, e.time, (j) => {
        const buildWarnings = addBuildWarnings(j.buildWarnings, e.status);
        return {
          ...j,
          steps: applyStatus(j.steps, e.status),
          ...(buildWarnings ? { buildWarnings } : {}),
        };
      });
    case "job-retry":
      return updateJob(state, e.job, e.time, (j) => ({
        ...j,
        state: "queued",
        retries: j.retries + 1,
        reason: e.reason,
      }));
    case "job-done":
      return updateJob(state, e.job, e.time, (j) => ({
        ...j,
        state: "done",
        endpoint: e.endpoint,
        finishedAt: e.time,
        outcome: e.result,
      }));
    case "job-failed":
      return updateJob(state, e.job, e.time, (j) => ({
        ...j,
        state: "failed",
        finishedAt: e.time,
        error: e.error,
        ...(e.endpoint ? { endpoint: e.endpoint } : {}),
        ...(e.failedStep ? { failedStep: e.failedStep } : {}),
      }));
    case "job-skipped":
      return updateJob(state, e.job, e.time, (j) => ({
        ...j,
        state: "skipped",
        reason: e.reason,
        finishedAt: e.time,
      }));
    case "job-cancelled":
      return updateJob(state, e.job, e.time, (j) =>
        j.state === "done" || j.state === "failed"
          ? j
          : { ...j, state: "cancelled", finishedAt: e.time },
      );
    case "endpoint-state":
      return { ...state, endpoints: { ...state.endpoints, [e.endpoint]: e.state } };
    case "warning":
      return {
        ...state,
        warnings: [...state.warnings, e.target ? `${e.target}: ${e.message}` : e.message],
      };
    case "run-finished":
      return { ...state, finishedAt: e.time, outcome: e.outcome };
  }
}

export interface Counts {
  readonly done: number;
  readonly running: number;
  readonly queued: number;
  readonly failed: number;
  readonly skipped: number;
  readonly cancelled: number;
}

export function counts(state: RunState): Counts {
  const c = { done: 0, running: 0, queued: 0, failed: 0, skipped: 0, cancelled: 0 };
  for (const j of state.jobs) c[j.state === "done" ? "done" : j.state]++;
  return c;
}

export function cachedSteps(j: JobView): { cached: number; total: number } {
  const real = j.steps.filter((s) => s.name && !s.name.startsWith("[internal]"));
  return { cached: real.filter((s) => s.cached).length, total: real.length };
}

export function formatDuration(raw: number): string {
  // Daemon and local clocks differ a little: never show a negative time.
  const ms = Math.max(0, raw);
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${Math.floor((ms % 60_000) / 1000)}s`;
}

/** The step a failure happened in: the one the error names, else the last step with an error. */
export function failingStep(job: JobView | undefined, failedStep?: string): StepState | undefined {
  if (!job) return undefined;
  const named = failedStep ? job.steps.find((s) => s.name === failedStep) : undefined;
  return named ?? [...job.steps].reverse().find((s) => s.error);
}
