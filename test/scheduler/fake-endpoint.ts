/** An in-memory twin of a build endpoint: each build waits until the test releases it. */
import type {
  BuildEndpoint,
  EndpointBuildResult,
  ScheduledJob,
} from "../../src/scheduler/scheduler.js";

interface Pending {
  readonly job: ScheduledJob;
  resolve(r: EndpointBuildResult): void;
  reject(e: Error): void;
  readonly signal: AbortSignal;
}

export class FakeEndpoint implements BuildEndpoint {
  readonly started: string[] = [];
  readonly pending = new Map<string, Pending>();
  private waiters: (() => void)[] = [];
  /** CPUs the fake worker reports (placement's capacity), when set. */
  cpus?: number;
  /** When set, builds keep running after their signal is aborted (a stuck daemon). */
  ignoresCancellation = false;

  constructor(
    readonly name: string,
    readonly maxParallel = 2,
  ) {}

  build(job: ScheduledJob, ctx: { signal: AbortSignal }): Promise<EndpointBuildResult> {
    this.started.push(job.job.id);
    return new Promise((resolve, reject) => {
      this.pending.set(job.job.id, { job, resolve, reject, signal: ctx.signal });
      if (!this.ignoresCancellation)
        ctx.signal.addEventListener("abort", () => reject(new Error("cancelled")), {
          once: true,
        });
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Resolves once `count` builds have started here. */
  async untilStarted(count: number): Promise<void> {
    while (this.started.length < count) await new Promise<void>((r) => this.waiters.push(r));
  }

  succeed(id: string, result: Partial<EndpointBuildResult> = {}): void {
    const p = this.pending.get(id);
    if (!p) throw new Error(`${id} is not running on ${this.name}`);
    this.pending.delete(id);
    p.resolve({ exporterResponse: {}, ...result });
  }

  fail(id: string, error: Error): void {
    const p = this.pending.get(id);
    if (!p) throw new Error(`${id} is not running on ${this.name}`);
    this.pending.delete(id);
    p.reject(error);
  }
}

export async function tick(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}
