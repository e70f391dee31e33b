/**
 * One run of a plan: the run's state in fields, each step of scheduling a method.
 * Every job whose dependencies are done starts at once, up to each endpoint's limit
 * (a p-queue per endpoint) and the run's limit; a job whose best endpoint is full waits
 * unplaced and is placed again as work ends (late binding). A daemon that goes away sends its
 * jobs elsewhere; a failed target skips its dependents; --fail-fast and cancellation
 * stop everything, and once stopped nothing new starts (no build, no join).
 */
import { setMaxListeners } from "node:events";
import PQueue from "p-queue";
import type { Job, Plan } from "../plan/plan.js";
import type { JobOutcome, RunEvent } from "../progress/events.js";
import { whenAborted } from "../support/abort.js";
import {
  type BuildEndpoint,
  type DependencyOutput,
  type EndpointBuildResult,
  EndpointUnavailableError,
  JobFailedError,
  type JobResult,
  type JoinResult,
  type RunOptions,
  type RunResult,
} from "./contract.js";
import { endEvent, endResult, type JobEnd, jobRef } from "./job-end.js";
import { joinedImage } from "./joined-image.js";
import {
  assumedCpus,
  durationOn,
  EndpointWorkload,
  pickEndpoint,
  timeAfter,
  timeToEnd,
} from "./placement.js";
import {
  defaultReprobeTiming,
  type EndpointHealth,
  probeAnswered,
  probeFailed,
  probeStarted,
  up,
  wentDown,
} from "./reprobe.js";

type Join = Plan["joins"][number];

/** A job handed to an endpoint's queue: the ticket of its latest placement and its count. */
interface Placement {
  readonly ticket: number;
  readonly attempt: number;
  readonly retries: number;
}

/** Where a job waiting for a dependency to be built again resumes its count. */
interface Resume {
  readonly attempt: number;
  readonly retries: number;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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

/** Runs one plan once: `new PlanRun(plan, endpoints, options).run()`. */
export class PlanRun {
  private readonly now: () => number;
  private readonly endpoints: ReadonlyMap<string, BuildEndpoint>;
  /** One queue per endpoint, holding it to its own limit. */
  private readonly queues: ReadonlyMap<string, PQueue>;
  /** The run's limit across endpoints. */
  private readonly runLimit: PQueue;
  private readonly jobsById: ReadonlyMap<string, Job>;
  private readonly dependents = new Map<string, Job[]>();
  /** Aborted by the caller's signal or by --fail-fast: nothing new starts after that. */
  private readonly stop = new AbortController();
  private readonly down = new Set<string>();
  /** Down endpoints' probing (reprobe.ts); an endpoint missing here is up. */
  private readonly health = new Map<string, EndpointHealth>();
  /** The timer of each down endpoint's next probe. */
  private readonly probeTimers = new Map<string, NodeJS.Timeout>();
  /** When each down endpoint went down: jobs no endpoint up can build wait for it a while. */
  private readonly downSince = new Map<string, number>();
  /**
   * Per down endpoint that jobs wait for: the timer that ends their wait. Unlike the
   * probes' timers it keeps the process alive: the run is not over while they wait.
   */
  private readonly waitTimers = new Map<string, NodeJS.Timeout>();
  /** Aborted when the run stops or ends: a probe under way gives up. */
  private readonly probing = new AbortController();
  /** Each queued job's latest placement: an older queue entry of it does nothing when its turn comes. */
  private readonly placements = new Map<string, Placement>();
  private tickets = 0;
  /** Jobs whose build started (running on a daemon now). */
  private readonly startedJobs = new Set<string>();
  private readonly results = new Map<string, JobResult>();
  private readonly outputs = new Map<string, DependencyOutput>();
  /** Jobs handed to an endpoint's queue (waiting for a slot or building), to that endpoint. */
  private readonly runningJobs = new Map<string, string>();
  /** What each endpoint holds, with expected durations, for placement. */
  private readonly workload = new EndpointWorkload();
  /** Expected time from each job's start to the end of the run's longest chain through it. */
  private readonly toEnd: ReadonlyMap<string, number>;
  /** Expected time each job's dependants need after it ends. */
  private readonly toAfter: ReadonlyMap<string, number>;
  /**
   * Jobs ready to run but given to no endpoint yet: where they would finish first has
   * no room now. They are placed again as work ends (late binding), not queued early.
   */
  private readonly held = new Map<string, Resume & { readonly waitsFor: string }>();
  private dispatching = false;
  private dispatchQueued = false;
  /** Joins of split targets under way, by target. */
  private readonly runningJoins = new Map<string, Promise<void>>();
  /** Builds under way on a daemon right now. */
  private readonly builds = new Set<Promise<unknown>>();
  /** Jobs waiting for a dependency to be built again. */
  private readonly waiting = new Map<string, Resume>();
  /** Split targets whose join started (or would have, without a join step). */
  private readonly joinsStarted = new Set<string>();
  /** Split targets whose joined index is pushed. */
  private readonly joinsPushed = new Set<string>();
  private readonly joinResults: JoinResult[] = [];
  /** A failed join, reported as a failed result of its first part. */
  private readonly failedJoinParts: JobResult[] = [];
  private failed = false;
  /** Set once run-finished went out: builds that ignored cancellation may end later, unreported. */
  private over = false;
  private settle: () => void = () => {};
  /** Resolves when every job has a result. */
  private readonly settled = new Promise<void>((r) => {
    this.settle = r;
  });

  constructor(
    private readonly plan: Plan,
    endpoints: readonly BuildEndpoint[],
    private readonly options: RunOptions,
  ) {
    this.now = options.now ?? Date.now;
    // Every running build listens for the stop (dozens at once in a large group).
    setMaxListeners(0, this.stop.signal);
    this.endpoints = new Map(endpoints.map((e) => [e.name, e]));
    this.queues = new Map(
      endpoints.map((e) => [e.name, new PQueue({ concurrency: Math.max(1, e.maxParallel) })]),
    );
    this.runLimit = new PQueue({ concurrency: options.maxParallel ?? Number.POSITIVE_INFINITY });
    this.jobsById = new Map(plan.jobs.map((j) => [j.id, j]));
    this.toEnd = timeToEnd(plan.jobs);
    this.toAfter = timeAfter(plan.jobs, this.toEnd);
    for (const j of plan.jobs)
      for (const a of j.after) this.dependents.set(a, [...(this.dependents.get(a) ?? []), j]);
  }

  async run(): Promise<RunResult> {
    // Listen before any work starts; an abort that came before the run (Ctrl-C while
    // connecting) counts too.
    const stopped = new Promise<void>((resolve) => {
      whenAborted(this.stop.signal, () => {
        this.stopProbing();
        resolve();
      });
    });
    const detachAbort = whenAborted(this.options.signal, () => this.stop.abort());
    this.emit({
      type: "run-started",
      time: this.now(),
      targets: [...new Set(this.plan.jobs.map((j) => j.target))],
      endpoints: [...this.endpoints.keys()],
    });
    if (this.plan.jobs.length === 0) this.settle();
    for (const job of this.plan.jobs)
      this.emit({ type: "job-queued", time: this.now(), job: jobRef(job), waitingFor: job.after });
    for (const job of this.longestFirst(this.plan.jobs.filter((j) => j.after.length === 0)))
      this.start(job, 1, 0);
    await Promise.race([this.settled, stopped]);
    if (this.stopping) await this.cancelRemaining();
    else await Promise.all(this.runningJoins.values());
    detachAbort();
    return this.finish();
  }

  /** Jobs with the longest way to the end go first: they are placed first and queue ahead. */
  private longestFirst(jobs: readonly Job[]): Job[] {
    return [...jobs].sort((a, b) => (this.toEnd.get(b.id) ?? 0) - (this.toEnd.get(a.id) ?? 0));
  }

  private get stopping(): boolean {
    return this.stop.signal.aborted;
  }

  private emit(e: RunEvent): void {
    if (!this.over) this.options.emit(e);
  }

  /** The one place a job's end is recorded: its event and its result, together, once. */
  private end(job: Job, retries: number, end: JobEnd): void {
    if (this.results.has(job.id)) return;
    this.runningJobs.delete(job.id);
    this.placements.delete(job.id);
    this.startedJobs.delete(job.id);
    this.workload.ended(job.id);
    this.held.delete(job.id);
    const time = this.now();
    this.emit(endEvent(job, end, time));
    this.results.set(job.id, endResult(job, end, retries, time));
    if (this.results.size === this.plan.jobs.length) this.settle();
    this.dispatchSoon();
  }

  /** A failed job: its dependents are skipped, and with --fail-fast the run stops. */
  private fail(
    job: Job,
    retries: number,
    failure: Omit<Extract<JobEnd, { state: "failed" }>, "state">,
  ) {
    this.failed = true;
    this.end(job, retries, { state: "failed", ...failure });
    this.skipDependents(job, `dependency ${job.target} failed`);
    if (this.options.failFast) this.stop.abort();
  }

  private skipDependents(job: Job, reason: string): void {
    for (const d of this.dependents.get(job.id) ?? []) {
      if (this.results.has(d.id)) continue;
      this.end(d, 0, { state: "skipped", reason });
      this.skipDependents(d, reason);
    }
  }

  /** Places a job whose dependencies are usable, or records why it cannot run. */
  private start(job: Job, attempt: number, retries: number): void {
    this.runningJobs.delete(job.id);
    this.placements.delete(job.id);
    this.startedJobs.delete(job.id);
    this.workload.ended(job.id);
    if (this.stopping) {
      this.end(job, retries, { state: "cancelled" });
      return;
    }
    if (this.rebuildLostDependencies(job, attempt, retries)) return;
    if (!job.after.every((id) => this.usable(id))) {
      // A dependency is being built again; this job starts when it is done.
      this.waiting.set(job.id, { attempt, retries });
      return;
    }
    const endpoint = this.pick(job);
    const back = endpoint ? undefined : this.downToWaitFor(job);
    if (endpoint && !this.hasRoom(endpoint)) this.hold(job, endpoint, { attempt, retries });
    else if (endpoint) this.place(job, endpoint, attempt, retries);
    else if (back) this.waitForEndpoint(job, back, { attempt, retries });
    else this.fail(job, retries, { error: this.noEndpointReason(job) });
    // Work that a down endpoint could take again: make sure it is being probed.
    for (const e of this.down) this.scheduleProbe(e);
    this.dispatchSoon();
  }

  /** The endpoint can start the job now: fewer jobs are there than its max-parallel. */
  private hasRoom(endpoint: string): boolean {
    return this.workload.count(endpoint) < Math.max(1, this.endpoints.get(endpoint)!.maxParallel);
  }

  /**
   * Places the held jobs once the builds ending at the same moment have all ended, so
   * that they see every endpoint that has room, not only the first one to report.
   */
  private dispatchSoon(): void {
    if (this.dispatchQueued || this.held.size === 0) return;
    this.dispatchQueued = true;
    setImmediate(() => {
      this.dispatchQueued = false;
      this.dispatchHeld();
    });
  }

  /** Keeps the job unplaced, waiting for room on `endpoint`, where the jobs after it see it. */
  private hold(job: Job, endpoint: string, resume: Resume): void {
    this.held.set(job.id, { ...resume, waitsFor: endpoint });
    this.workload.waiting(
      job.id,
      endpoint,
      durationOn(job.expected, endpoint),
      this.toAfter.get(job.id) ?? 0,
    );
  }

  /**
   * Places again the held jobs, longest way to the end first, while endpoints have
   * room; each looks again where it would finish first, seeing only the held jobs
   * before it as waiting. Each free slot gets a few jobs looked at, so that a long
   * list of held jobs costs little per event; a job with no endpoint up is always
   * looked at (it waits for a down endpoint to come back, or fails).
   */
  private dispatchHeld(): void {
    if (this.dispatching || this.held.size === 0 || this.stopping) return;
    this.dispatching = true;
    let budget = 8 * this.freeSlots();
    const order = this.longestFirst(this.plan.jobs.filter((j) => this.held.has(j.id)));
    for (const job of order) this.workload.ended(job.id);
    try {
      for (const job of order) {
        const resume = this.held.get(job.id);
        if (!resume) continue;
        const up = job.preferred.filter((e) => !this.down.has(e));
        if (up.length > 0 && (budget <= 0 || !up.some((e) => this.hasRoom(e)))) {
          this.hold(job, resume.waitsFor, resume);
          continue;
        }
        if (up.length > 0) budget--;
        this.held.delete(job.id);
        this.start(job, resume.attempt, resume.retries);
      }
    } finally {
      this.dispatching = false;
    }
  }

  private get downWaitMs(): number {
    return this.options.downWaitMs ?? 30_000;
  }

  /**
   * The down endpoint a job that no endpoint up can build waits for: one of its own that
   * can be probed and went down less than downWaitMs ago (the latest to go down).
   */
  private downToWaitFor(job: Job): string | undefined {
    const now = this.now();
    let best: string | undefined;
    for (const e of job.preferred) {
      const since = this.downSince.get(e);
      if (since === undefined || now - since >= this.downWaitMs || !this.endpoints.get(e)!.probe)
        continue;
      if (best === undefined || since > this.downSince.get(best)!) best = e;
    }
    return best;
  }

  /**
   * Keeps the job unplaced until `endpoint` is back (it is placed then, see cameBack)
   * or has been down for downWaitMs (it is looked at again then, and fails when no
   * endpoint is left to wait for). Said once per endpoint and time it went down.
   */
  private waitForEndpoint(job: Job, endpoint: string, resume: Resume): void {
    this.held.set(job.id, { ...resume, waitsFor: endpoint });
    if (this.waitTimers.has(endpoint)) return;
    const left = this.downSince.get(endpoint)! + this.downWaitMs - this.now();
    this.emit({
      type: "warning",
      time: this.now(),
      message: `no endpoint that is up can build ${job.target}: waiting up to ${Math.ceil(left / 1000)} s for ${endpoint} to come back`,
    });
    this.waitTimers.set(
      endpoint,
      setTimeout(() => this.stopWaiting(endpoint), Math.max(0, left)),
    );
  }

  /** `endpoint` stayed down too long: the jobs waiting for it are looked at again (and fail). */
  private stopWaiting(endpoint: string): void {
    this.waitTimers.delete(endpoint);
    if (this.stopping || this.over) return;
    for (const job of this.longestFirst(this.plan.jobs)) {
      const resume = this.held.get(job.id);
      if (resume?.waitsFor !== endpoint || !this.down.has(endpoint)) continue;
      this.held.delete(job.id);
      this.start(job, resume.attempt, resume.retries);
    }
  }

  /** Builds the endpoints that are up could start now. */
  private freeSlots(): number {
    let free = 0;
    for (const [name, e] of this.endpoints)
      if (!this.down.has(name))
        free += Math.max(0, Math.max(1, e.maxParallel) - this.workload.count(name));
    return free;
  }

  private noEndpointReason(job: Job): string {
    if (job.preferred.length === 0)
      return `no endpoint can build ${job.target} for ${job.platforms.join(", ") || "its platform"}`;
    const waited = job.preferred.filter(
      (e) => this.downSince.has(e) && this.endpoints.get(e)!.probe,
    );
    return `no endpoint left to build ${job.target} (${[...this.down].join(", ")} down)${waited.length > 0 ? `; waited ${Math.round(this.downWaitMs / 1000)} s for ${waited.join(", ")} to come back` : ""}`;
  }

  /** Queues the job on `endpoint`; it builds once both the endpoint and the run have a slot. */
  private place(job: Job, endpoint: string, attempt: number, retries: number): void {
    const ticket = ++this.tickets;
    this.runningJobs.set(job.id, endpoint);
    this.placements.set(job.id, { ticket, attempt, retries });
    this.workload.placed(
      job.id,
      endpoint,
      durationOn(job.expected, endpoint),
      this.toAfter.get(job.id) ?? 0,
    );
    const priority = this.toEnd.get(job.id) ?? 0;
    this.queues
      .get(endpoint)!
      .add(
        () =>
          this.runLimit.add(
            async () => {
              if (this.placements.get(job.id)?.ticket === ticket)
                await this.runJob(job, endpoint, attempt, retries);
            },
            { priority },
          ),
        { priority },
      )
      .catch(() => undefined);
  }

  /** A job's turn on its endpoint: build it there unless the run stopped or the daemon left. */
  private async runJob(job: Job, endpoint: string, attempt: number, retries: number) {
    if (this.results.has(job.id)) return;
    if (this.stopping) {
      this.end(job, retries, { state: "cancelled" });
      return;
    }
    if (this.down.has(endpoint)) {
      // The daemon went away while this job waited for it: place it again (not a retry).
      this.start(job, attempt, retries);
      return;
    }
    const startedAt = this.now();
    this.startedJobs.add(job.id);
    this.workload.started(job.id, startedAt);
    this.emit({ type: "job-started", time: startedAt, job: jobRef(job), endpoint, attempt });
    if (this.stopping) {
      this.end(job, retries, { state: "cancelled", endpoint });
      return;
    }
    let result: EndpointBuildResult;
    try {
      result = await this.build(job, endpoint, attempt);
    } catch (err) {
      if (!this.results.has(job.id))
        this.buildFailed(job, endpoint, attempt, retries, startedAt, err);
      return;
    }
    if (!this.results.has(job.id)) this.buildDone(job, endpoint, retries, startedAt, result);
  }

  private async build(job: Job, endpoint: string, attempt: number): Promise<EndpointBuildResult> {
    const building = this.endpoints.get(endpoint)!.build(
      { job, attempt, dependencies: this.dependencyOutputs(job) },
      {
        signal: this.stop.signal,
        onStatus: (status) =>
          this.emit({ type: "job-status", time: this.now(), job: jobRef(job), endpoint, status }),
      },
    );
    this.builds.add(building);
    try {
      return await building;
    } finally {
      this.builds.delete(building);
    }
  }

  private buildDone(
    job: Job,
    endpoint: string,
    retries: number,
    startedAt: number,
    result: EndpointBuildResult,
  ): void {
    const { handover, ...outcome } = result;
    this.outputs.set(job.id, { target: job.target, endpoint, ...(handover ?? {}) });
    this.end(job, retries, { state: "done", endpoint, outcome, startedAt });
    if (this.stopping) return;
    this.startReadyDependents(job);
    this.maybeJoin(job);
  }

  /** A build that threw: cancelled, moved to another endpoint, or failed. */
  private buildFailed(
    job: Job,
    endpoint: string,
    attempt: number,
    retries: number,
    startedAt: number,
    err: unknown,
  ): void {
    const message = messageOf(err);
    if (this.stopping) {
      this.end(job, retries, { state: "cancelled", endpoint });
      return;
    }
    if (err instanceof EndpointUnavailableError) {
      this.markDown(endpoint, message);
      if (retries < this.maxRetries) {
        this.emit({
          type: "job-retry",
          time: this.now(),
          job: jobRef(job),
          fromEndpoint: endpoint,
          reason: message,
          attempt: attempt + 1,
        });
        this.start(job, attempt + 1, retries + 1);
        return;
      }
    }
    const failedStep = err instanceof JobFailedError ? err.failedStep : undefined;
    this.fail(job, retries, {
      endpoint,
      error: message,
      startedAt,
      ...(failedStep ? { failedStep } : {}),
    });
  }

  private get maxRetries(): number {
    return this.options.maxRetries ?? 2;
  }

  private markDown(endpoint: string, reason: string): void {
    if (this.down.has(endpoint)) return;
    this.down.add(endpoint);
    this.downSince.set(endpoint, this.now());
    this.health.set(endpoint, wentDown(up, this.now(), this.reprobeTiming));
    this.emit({ type: "endpoint-state", time: this.now(), endpoint, state: "down", reason });
    this.scheduleProbe(endpoint);
  }

  private get reprobeTiming() {
    return this.options.reprobe ?? defaultReprobeTiming;
  }

  /** Jobs not yet ended nor building that may run on `endpoint`: what it could take if back. */
  private hasWorkFor(endpoint: string): boolean {
    return this.plan.jobs.some(
      (j) =>
        !this.results.has(j.id) && !this.startedJobs.has(j.id) && j.preferred.includes(endpoint),
    );
  }

  /**
   * Sets the timer of a down endpoint's next probe, when it can be probed, none is set
   * or under way, the run goes on and it has work it could take.
   */
  private scheduleProbe(endpoint: string): void {
    const h = this.health.get(endpoint);
    if (h?.state !== "down" || this.probeTimers.has(endpoint)) return;
    if (!this.endpoints.get(endpoint)!.probe || this.stopping || this.over) return;
    if (!this.hasWorkFor(endpoint)) return;
    const timer = setTimeout(
      () => {
        this.probeTimers.delete(endpoint);
        void this.probe(endpoint);
      },
      Math.max(0, h.probeAt - this.now()),
    );
    // A probe never keeps the process alive: the run ends without waiting for one.
    timer.unref?.();
    this.probeTimers.set(endpoint, timer);
  }

  private async probe(endpoint: string): Promise<void> {
    if (this.stopping || this.over || this.health.get(endpoint)?.state !== "down") return;
    if (!this.hasWorkFor(endpoint)) return;
    this.health.set(endpoint, probeStarted(this.health.get(endpoint)!));
    let answered = true;
    try {
      await this.endpoints.get(endpoint)!.probe!(this.probing.signal);
    } catch {
      answered = false;
    }
    if (this.stopping || this.over) return;
    if (!answered) {
      this.health.set(
        endpoint,
        probeFailed(this.health.get(endpoint)!, this.now(), this.reprobeTiming),
      );
      this.scheduleProbe(endpoint);
      return;
    }
    this.health.set(endpoint, probeAnswered(this.health.get(endpoint)!));
    this.cameBack(endpoint);
  }

  /** A down endpoint answered again: it takes jobs again, queued ones included. */
  private cameBack(endpoint: string): void {
    this.health.delete(endpoint);
    this.down.delete(endpoint);
    this.downSince.delete(endpoint);
    clearTimeout(this.waitTimers.get(endpoint));
    this.waitTimers.delete(endpoint);
    this.queues.get(endpoint)!.concurrency = Math.max(1, this.endpoints.get(endpoint)!.maxParallel);
    this.emit({
      type: "endpoint-state",
      time: this.now(),
      endpoint,
      state: "up",
      reason: "it answers again and takes jobs",
    });
    this.rebalance();
    this.dispatchSoon();
  }

  /**
   * Places again every job still waiting in a queue (not building), longest way to the
   * end first, moving it where it would now finish first (an endpoint that came back is
   * usually idle). Its old queue entry does nothing when its turn comes.
   */
  private rebalance(): void {
    const queued = this.longestFirst(
      this.plan.jobs.filter((j) => this.runningJobs.has(j.id) && !this.startedJobs.has(j.id)),
    );
    for (const job of queued) {
      const from = this.runningJobs.get(job.id)!;
      const placed = this.placements.get(job.id)!;
      this.workload.ended(job.id);
      const to = this.pick(job);
      if (to && to !== from) this.place(job, to, placed.attempt, placed.retries);
      else
        this.workload.placed(
          job.id,
          from,
          durationOn(job.expected, from),
          this.toAfter.get(job.id) ?? 0,
        );
    }
  }

  /** No probe starts any more; one under way is aborted; no job waits for an endpoint. */
  private stopProbing(): void {
    for (const t of [...this.probeTimers.values(), ...this.waitTimers.values()]) clearTimeout(t);
    this.probeTimers.clear();
    this.waitTimers.clear();
    this.probing.abort();
  }

  private dependencyOutputs(job: Job): Record<string, DependencyOutput> {
    const out: Record<string, DependencyOutput> = {};
    for (const a of job.after) {
      const o = this.outputs.get(a);
      if (o) out[o.target] = o;
    }
    return out;
  }

  /**
   * Where the job runs now: among endpoints that are up and can use its dependencies,
   * the one where it would finish first.
   */
  private pick(job: Job): string | undefined {
    const deps = Object.values(this.dependencyOutputs(job));
    const usableOn = (e: string) =>
      deps.every((d) => d.pushedImage || d.endpoint === e || (!d.localImage && !d.pushedImage));
    const now = this.now();
    const assumed = assumedCpus([...this.endpoints.values()].map((e) => e.cpus));
    return pickEndpoint(
      job.preferred
        .filter((e) => !this.down.has(e) && usableOn(e))
        .map((name) => {
          const endpoint = this.endpoints.get(name)!;
          const { work, tails } = this.workload.load(name, now);
          return {
            name,
            native: job.native?.includes(name) ?? false,
            slots: Math.max(1, endpoint.maxParallel),
            cpus: endpoint.cpus ?? assumed,
            work,
            tails,
            duration: durationOn(job.expected, name),
            tail: this.toAfter.get(job.id) ?? 0,
          };
        }),
    );
  }

  /**
   * When dependencies of `job` left their image only on an endpoint that went down,
   * builds them again elsewhere (the job starts once they are done). False when
   * nothing was lost or a lost dependency is out of retries.
   */
  private rebuildLostDependencies(job: Job, attempt: number, retries: number): boolean {
    const lost = job.after.filter((id) => {
      const o = this.outputs.get(id);
      return o?.localImage !== undefined && !o.pushedImage && this.down.has(o.endpoint);
    });
    if (lost.length === 0) return false;
    if (lost.some((id) => (this.results.get(id)?.retries ?? 0) >= this.maxRetries)) return false;
    if (!job.preferred.some((e) => !this.down.has(e))) return false;
    this.waiting.set(job.id, { attempt, retries });
    for (const id of lost) {
      const previous = this.results.get(id)!;
      const dependency = this.jobsById.get(id)!;
      this.results.delete(id);
      this.outputs.delete(id);
      this.emit({
        type: "job-retry",
        time: this.now(),
        job: jobRef(dependency),
        fromEndpoint: previous.endpoint ?? "",
        reason: `its image was on ${previous.endpoint}, which went down, and ${job.target} needs it`,
        attempt: previous.retries + 2,
      });
      this.start(dependency, previous.retries + 2, previous.retries + 1);
    }
    return true;
  }

  /** A finished dependency its dependents can use (a split target's parts: once joined). */
  private usable(id: string): boolean {
    if (this.results.get(id)?.state !== "done") return false;
    const part = this.jobsById.get(id)?.part;
    return !part || !this.options.join || this.joinsPushed.has(part.of);
  }

  private startReadyDependents(job: Job): void {
    for (const d of this.longestFirst(this.dependents.get(job.id) ?? [])) {
      if (this.results.has(d.id) || this.runningJobs.has(d.id) || this.held.has(d.id)) continue;
      if (!d.after.every((id) => this.usable(id))) continue;
      const resume = this.waiting.get(d.id);
      this.waiting.delete(d.id);
      this.start(d, resume?.attempt ?? 1, resume?.retries ?? 0);
    }
  }

  /** Starts the join of a split target once all its parts are done. */
  private maybeJoin(job: Job): void {
    if (!job.part || this.stopping) return;
    const join = this.plan.joins.find((j) => j.target === job.part!.of);
    if (!join || this.joinsStarted.has(join.target)) return;
    const parts = join.jobs.map((id) => this.results.get(id));
    if (!parts.every((p) => p?.state === "done")) return;
    this.joinsStarted.add(join.target);
    if (this.options.join)
      this.runningJoins.set(join.target, this.join(join, parts as JobResult[], this.options.join));
  }

  private async join(join: Join, parts: JobResult[], push: NonNullable<RunOptions["join"]>) {
    const platforms = parts.flatMap((p) => p.job.platforms);
    let outcome: JobOutcome;
    try {
      outcome = await push(join.target, parts, this.stop.signal);
    } catch (err) {
      // A join stopped by cancellation did not fail: the run reports itself cancelled.
      if (!this.stopping) this.joinFailed(join, platforms, messageOf(err));
      return;
    }
    if (this.stopping) return;
    this.joinResults.push({ target: join.target, platforms, state: "done", outcome });
    this.emit({
      type: "job-done",
      time: this.now(),
      job: { target: join.target, platforms },
      endpoint: "registry",
      result: outcome,
    });
    // Dependents use the joined index, which every endpoint can pull.
    this.joinsPushed.add(join.target);
    const image = joinedImage(outcome);
    for (const id of join.jobs)
      this.outputs.set(id, {
        target: join.target,
        endpoint: "registry",
        ...(image ? { pushedImage: image } : {}),
      });
    if (!this.stopping) this.startReadyDependents(this.jobsById.get(join.jobs[0]!)!);
  }

  private joinFailed(join: Join, platforms: readonly string[], error: string): void {
    const first = this.jobsById.get(join.jobs[0]!)!;
    this.failed = true;
    this.joinResults.push({ target: join.target, platforms, state: "failed", error });
    this.emit({
      type: "job-failed",
      time: this.now(),
      job: { target: join.target, platforms: [] },
      error: `joining the platform images failed: ${error}`,
    });
    this.skipDependents(first, `joining the platform images of ${join.target} failed`);
    this.failedJoinParts.push({ job: first, state: "failed", error, retries: 0 });
  }

  /**
   * After a stop, nothing new starts; running builds have their signal aborted and
   * get a grace period to stop; whatever has not finished by then is reported cancelled.
   */
  private async cancelRemaining(): Promise<void> {
    for (const q of [...this.queues.values(), this.runLimit]) q.clear();
    if (this.results.size < this.plan.jobs.length || this.runningJoins.size > 0)
      await within(
        Promise.allSettled([...this.builds, ...this.runningJoins.values()]).then(() => tick()),
        this.options.cancelGraceMs ?? 2000,
      );
    for (const job of this.plan.jobs) this.end(job, 0, { state: "cancelled" });
  }

  private finish(): RunResult {
    const outcome = this.options.signal.aborted
      ? "cancelled"
      : this.failed || [...this.results.values()].some((r) => r.state !== "done")
        ? "failed"
        : "success";
    this.stopProbing();
    this.emit({ type: "run-finished", time: this.now(), outcome });
    this.over = true;
    return {
      outcome,
      jobs: [...this.plan.jobs.map((j) => this.results.get(j.id)!), ...this.failedJoinParts],
      joins: [...this.joinResults],
    };
  }
}
