/**
 * Runs a plan: every job whose dependencies are done starts at once, up to each
 * endpoint's limit (a p-queue per endpoint) and the run's limit. A daemon that goes
 * away sends its jobs elsewhere; a failed target skips its dependents; --fail-fast
 * and cancellation stop everything.
 */
import PQueue from "p-queue";
import type { Job, Plan } from "../plan/plan.js";
import type { JobOutcome, JobRef, RunEvent } from "../progress/events.js";
import type { SolveStatus } from "../progress/status.js";
import { whenAborted } from "../support/abort.js";

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
  build(
    job: ScheduledJob,
    ctx: { readonly signal: AbortSignal; readonly onStatus: (s: SolveStatus) => void },
  ): Promise<EndpointBuildResult>;
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
  /** Joins the per-platform images of a split target (pushes one index). */
  readonly join?: (target: string, parts: readonly JobResult[]) => Promise<JobOutcome>;
  readonly now?: () => number;
  /**
   * After cancellation (the caller's signal or --fail-fast), how long to wait for
   * running builds to notice their aborted signal before reporting them cancelled
   * anyway and returning (default 2000 ms). A build that ignores its signal is
   * abandoned, not awaited; its later result is dropped.
   */
  readonly cancelGraceMs?: number;
}

/** The pullable reference of a joined index: its name pinned to its digest when known. */
function joinedImage(outcome: JobOutcome): string | undefined {
  const name = outcome.exporterResponse["image.name"]?.split(",")[0]?.trim();
  const digest = outcome.digest ?? outcome.exporterResponse["containerimage.digest"];
  if (!name) return undefined;
  return digest ? `${name.replace(/@.*$/, "").replace(/:[^:/]+$/, "")}@${digest}` : name;
}

/** Lets promise callbacks that are already due run first. */
function tick(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** Waits for `work`, but no longer than `ms`; the timer never keeps the process alive. */
function within(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref?.();
    void work.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function runPlan(
  plan: Plan,
  endpoints: readonly BuildEndpoint[],
  options: RunOptions,
): Promise<RunResult> {
  const now = options.now ?? Date.now;
  /** Reports stop once run-finished went out (builds that ignored cancellation may end later). */
  const emit = (e: RunEvent) => {
    if (!over) options.emit(e);
  };
  const byName = new Map(endpoints.map((e) => [e.name, e]));
  const queues = new Map(
    endpoints.map((e) => [e.name, new PQueue({ concurrency: Math.max(1, e.maxParallel) })]),
  );
  const global = new PQueue({ concurrency: options.maxParallel ?? Number.POSITIVE_INFINITY });
  const down = new Set<string>();
  const results = new Map<string, JobResult>();
  const outputs = new Map<string, DependencyOutput>();
  const jobsById = new Map(plan.jobs.map((j) => [j.id, j]));
  const dependents = new Map<string, Job[]>();
  for (const j of plan.jobs)
    for (const a of j.after) dependents.set(a, [...(dependents.get(a) ?? []), j]);
  const runController = new AbortController();
  const onAbort = () => runController.abort();
  // An abort that came before the run began (Ctrl-C while connecting) counts too.
  const detachAbort = whenAborted(options.signal, onAbort);
  const running = new Map<string, Promise<void>>();
  /** Builds under way on a daemon right now. */
  const inFlight = new Set<Promise<unknown>>();
  let failed = false;
  let settleAll: () => void = () => {};
  const allSettled = new Promise<void>((r) => {
    settleAll = r;
  });
  const ref = (j: Job): JobRef => ({ target: j.target, platforms: j.platforms });
  let over = false;
  const finish = (r: JobResult) => {
    if (results.has(r.job.id)) return;
    results.set(r.job.id, r);
    if (results.size === plan.jobs.length) settleAll();
  };

  const skipDependents = (job: Job, reason: string) => {
    for (const d of dependents.get(job.id) ?? []) {
      if (results.has(d.id)) continue;
      emit({ type: "job-skipped", time: now(), job: ref(d), reason });
      finish({ job: d, state: "skipped", error: reason, retries: 0 });
      skipDependents(d, reason);
    }
  };

  const dependencyOutputs = (job: Job): Record<string, DependencyOutput> => {
    const out: Record<string, DependencyOutput> = {};
    for (const a of job.after) {
      const o = outputs.get(a);
      if (o) out[o.target] = o;
    }
    return out;
  };

  /** Endpoints this job may run on now: up, able, and where its dependencies are usable. */
  const candidates = (job: Job): string[] => {
    const deps = Object.values(dependencyOutputs(job));
    return job.preferred.filter(
      (e) =>
        !down.has(e) &&
        deps.every((d) => d.pushedImage || d.endpoint === e || (!d.localImage && !d.pushedImage)),
    );
  };

  /**
   * Where the job runs now. Among endpoints that build it natively: the best-ranked
   * with a free slot, else the best-ranked (waiting for a native endpoint beats
   * emulating elsewhere). Only when no native endpoint is left: the best-ranked
   * endpoint with a free slot, else the best-ranked.
   */
  const pick = (job: Job): string | undefined => {
    const c = candidates(job);
    const free = (n: string) => {
      const q = queues.get(n)!;
      return q.size + q.pending < Math.max(1, byName.get(n)!.maxParallel);
    };
    const native = c.filter((n) => job.native?.includes(n));
    const pool = native.length > 0 ? native : c;
    const idle = pool.find(free);
    if (idle) return idle;
    // All busy: queue where the wait is shortest (fewest jobs per slot), in preference order on ties.
    const load = (n: string) => {
      const q = queues.get(n)!;
      return (q.size + q.pending) / Math.max(1, byName.get(n)!.maxParallel);
    };
    return pool.reduce((best, n) => (load(n) < load(best) ? n : best), pool[0]!);
  };

  /** Attempt and retry counts of jobs waiting for a dependency to be built again. */
  const carried = new Map<string, { attempt: number; retries: number }>();

  /**
   * When dependencies of `job` left their image only on an endpoint that went down,
   * builds them again elsewhere (the job starts once they are done). False when
   * nothing was lost or a lost dependency is out of retries.
   */
  const rebuildLostDependencies = (job: Job, attempt: number, retries: number): boolean => {
    const lost = job.after.filter((id) => {
      const o = outputs.get(id);
      return o?.localImage !== undefined && !o.pushedImage && down.has(o.endpoint);
    });
    if (lost.length === 0) return false;
    const maxRetries = options.maxRetries ?? 2;
    if (lost.some((id) => (results.get(id)?.retries ?? 0) >= maxRetries)) return false;
    if (!job.preferred.some((e) => !down.has(e))) return false;
    carried.set(job.id, { attempt, retries });
    for (const id of lost) {
      const previous = results.get(id)!;
      const dependency = jobsById.get(id)!;
      results.delete(id);
      outputs.delete(id);
      emit({
        type: "job-retry",
        time: now(),
        job: ref(dependency),
        fromEndpoint: previous.endpoint ?? "",
        reason: `its image was on ${previous.endpoint}, which went down, and ${job.target} needs it`,
        attempt: previous.retries + 2,
      });
      start(dependency, previous.retries + 2, previous.retries + 1);
    }
    return true;
  };

  /** Split targets whose joined index is pushed. */
  const joinedOk = new Set<string>();

  /** A finished dependency its dependents can use (a split target's parts: once joined). */
  const usable = (id: string): boolean => {
    if (results.get(id)?.state !== "done") return false;
    const part = jobsById.get(id)?.part;
    return !part || !options.join || joinedOk.has(part.of);
  };

  const startReadyDependents = (job: Job) => {
    for (const d of dependents.get(job.id) ?? []) {
      if (results.has(d.id) || (running.has(d.id) && !carried.has(d.id))) continue;
      if (!d.after.every(usable)) continue;
      const c = carried.get(d.id);
      carried.delete(d.id);
      start(d, c?.attempt ?? 1, c?.retries ?? 0);
    }
  };

  const start = (job: Job, attempt: number, retries: number) => {
    if (runController.signal.aborted) {
      emit({ type: "job-cancelled", time: now(), job: ref(job) });
      finish({ job, state: "cancelled", retries });
      return;
    }
    if (rebuildLostDependencies(job, attempt, retries)) return;
    if (!job.after.every(usable)) {
      // A dependency is being built again; this job starts when it is done.
      carried.set(job.id, { attempt, retries });
      return;
    }
    const endpointName = pick(job);
    if (!endpointName) {
      const reason =
        job.preferred.length === 0
          ? `no endpoint can build ${job.target} for ${job.platforms.join(", ") || "its platform"}`
          : `no endpoint left to build ${job.target} (${[...down].join(", ")} down)`;
      emit({ type: "job-failed", time: now(), job: ref(job), error: reason });
      failed = true;
      finish({ job, state: "failed", error: reason, retries });
      skipDependents(job, `dependency ${job.target} failed`);
      if (options.failFast) runController.abort();
      return;
    }
    const endpoint = byName.get(endpointName)!;
    const task = async () => {
      if (results.has(job.id)) return;
      if (runController.signal.aborted) {
        emit({ type: "job-cancelled", time: now(), job: ref(job) });
        finish({ job, state: "cancelled", retries });
        return;
      }
      if (down.has(endpointName)) {
        // The daemon went away while this job waited for it: place it again (not a retry).
        start(job, attempt, retries);
        return;
      }
      const startedAt = now();
      emit({
        type: "job-started",
        time: startedAt,
        job: ref(job),
        endpoint: endpointName,
        attempt,
      });
      try {
        const building = endpoint.build(
          { job, attempt, dependencies: dependencyOutputs(job) },
          {
            signal: runController.signal,
            onStatus: (status) =>
              emit({
                type: "job-status",
                time: now(),
                job: ref(job),
                endpoint: endpointName,
                status,
              }),
          },
        );
        inFlight.add(building);
        const result = await building.finally(() => inFlight.delete(building));
        if (results.has(job.id)) return;
        const { handover, ...outcome } = result;
        outputs.set(job.id, { target: job.target, endpoint: endpointName, ...(handover ?? {}) });
        emit({
          type: "job-done",
          time: now(),
          job: ref(job),
          endpoint: endpointName,
          result: outcome,
        });
        finish({
          job,
          state: "done",
          endpoint: endpointName,
          outcome,
          startedAt,
          finishedAt: now(),
          retries,
        });
        startReadyDependents(job);
        maybeJoin(job);
      } catch (err) {
        if (results.has(job.id)) return;
        const message = err instanceof Error ? err.message : String(err);
        if (runController.signal.aborted) {
          emit({ type: "job-cancelled", time: now(), job: ref(job) });
          finish({ job, state: "cancelled", endpoint: endpointName, retries });
          return;
        }
        if (err instanceof EndpointUnavailableError && !down.has(endpointName)) {
          down.add(endpointName);
          emit({
            type: "endpoint-state",
            time: now(),
            endpoint: endpointName,
            state: "down",
            reason: message,
          });
        }
        if (err instanceof EndpointUnavailableError && retries < (options.maxRetries ?? 2)) {
          emit({
            type: "job-retry",
            time: now(),
            job: ref(job),
            fromEndpoint: endpointName,
            reason: message,
            attempt: attempt + 1,
          });
          start(job, attempt + 1, retries + 1);
          return;
        }
        failed = true;
        const step = err instanceof JobFailedError ? err.failedStep : undefined;
        emit({
          type: "job-failed",
          time: now(),
          job: ref(job),
          endpoint: endpointName,
          error: message,
          ...(step ? { failedStep: step } : {}),
        });
        finish({
          job,
          state: "failed",
          endpoint: endpointName,
          error: message,
          startedAt,
          finishedAt: now(),
          retries,
        });
        skipDependents(job, `dependency ${job.target} failed`);
        if (options.failFast) runController.abort();
      }
    };
    const p = queues
      .get(endpointName)!
      .add(() => global.add(task))
      .then(
        () => undefined,
        () => undefined,
      );
    running.set(job.id, p);
  };

  const joined = new Set<string>();
  const joinResults: JobResult[] = [];
  const joinsDone: JoinResult[] = [];
  const maybeJoin = (job: Job) => {
    if (!job.part) return;
    const join = plan.joins.find((j) => j.target === job.part!.of);
    if (!join || joined.has(join.target)) return;
    const parts = join.jobs.map((id) => results.get(id));
    if (!parts.every((p) => p?.state === "done")) return;
    joined.add(join.target);
    if (!options.join) return;
    const platforms = parts.flatMap((x) => x!.job.platforms);
    const p = options.join(join.target, parts as JobResult[]).then(
      (outcome) => {
        joinsDone.push({ target: join.target, platforms, state: "done", outcome });
        emit({
          type: "job-done",
          time: now(),
          job: { target: join.target, platforms },
          endpoint: "registry",
          result: outcome,
        });
        // Dependents use the joined index, which every endpoint can pull.
        joinedOk.add(join.target);
        const image = joinedImage(outcome);
        for (const id of join.jobs)
          outputs.set(id, {
            target: join.target,
            endpoint: "registry",
            ...(image ? { pushedImage: image } : {}),
          });
        startReadyDependents(jobsById.get(join.jobs[0]!)!);
      },
      (err: Error) => {
        failed = true;
        joinsDone.push({ target: join.target, platforms, state: "failed", error: err.message });
        emit({
          type: "job-failed",
          time: now(),
          job: { target: join.target, platforms: [] },
          error: `joining the platform images failed: ${err.message}`,
        });
        skipDependents(
          jobsById.get(join.jobs[0]!)!,
          `joining the platform images of ${join.target} failed`,
        );
        joinResults.push({
          job: jobsById.get(join.jobs[0]!)!,
          state: "failed",
          error: err.message,
          retries: 0,
        });
      },
    );
    running.set(`join:${join.target}`, p);
  };

  emit({
    type: "run-started",
    time: now(),
    targets: [...new Set(plan.jobs.map((j) => j.target))],
    endpoints: endpoints.map((e) => e.name),
  });
  if (plan.jobs.length === 0) settleAll();
  for (const job of plan.jobs) {
    emit({ type: "job-queued", time: now(), job: ref(job), waitingFor: job.after });
  }
  for (const job of plan.jobs) if (job.after.length === 0) start(job, 1, 0);

  const cancelled = new Promise<void>((resolve) =>
    runController.signal.addEventListener("abort", () => resolve(), { once: true }),
  );
  await Promise.race([allSettled, cancelled]);
  if (runController.signal.aborted) {
    // Nothing new starts; running builds have their signal aborted and get a grace
    // period to stop; whatever has not finished by then is reported cancelled.
    for (const q of [...queues.values(), global]) q.clear();
    if (results.size < plan.jobs.length)
      await within(
        Promise.allSettled([...inFlight]).then(() => tick()),
        options.cancelGraceMs ?? 2000,
      );
    for (const job of plan.jobs) {
      if (!results.has(job.id)) {
        emit({ type: "job-cancelled", time: now(), job: ref(job) });
        finish({ job, state: "cancelled", retries: 0 });
      }
    }
  } else {
    await Promise.all(
      [...running.entries()].filter(([k]) => k.startsWith("join:")).map(([, p]) => p),
    );
  }
  detachAbort();
  const outcome = options.signal.aborted
    ? "cancelled"
    : failed || [...results.values()].some((r) => r.state !== "done")
      ? "failed"
      : "success";
  emit({ type: "run-finished", time: now(), outcome });
  over = true;
  return {
    outcome,
    jobs: [...plan.jobs.map((j) => results.get(j.id)!), ...joinResults],
    joins: joinsDone,
  };
}
