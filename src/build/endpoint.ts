/**
 * The build endpoint adapter: what the scheduler calls to build one job on one daemon.
 * It turns the job's target into a BuildSpec, runs it on the BuildKit client, says what
 * the build produced in the scheduler's terms (outcome, hand-over image), and turns
 * BuildKit's errors into the scheduler's (gone daemon: run elsewhere; failed build: fail).
 */
import type { Target } from "../bake/model.js";
import {
  BuildFailedError,
  type BuildkitClient,
  type BuildResult,
  EndpointGoneError,
} from "../buildkit/client.js";
import { CapabilityError } from "../buildkit/solve/request.js";
import type { Capabilities } from "../buildkit/solve/spec.js";
import type { TargetGraph } from "../graph/graph.js";
import { pinned, platformTag } from "../registry/reference.js";
import {
  type BuildEndpoint,
  type EndpointBuildResult,
  EndpointUnavailableError,
  JobFailedError,
  type ScheduledJob,
} from "../scheduler/scheduler.js";
import { type SpecContext, type SpecResult, targetToSpec } from "./target-spec.js";

type Env = Readonly<Record<string, string | undefined>>;

/** One connected daemon, as the adapter needs it. */
export interface Daemon {
  readonly name: string;
  readonly maxParallel: number;
  /** CPUs the user set for the endpoint: counted instead of those the daemon reports. */
  readonly cpus?: number;
  readonly caps: Capabilities;
  readonly client: BuildkitClient;
}

/** What every build of one run shares. */
export interface BuildRun {
  readonly cwd: string;
  readonly env: Env;
  /** Where a tar output to "-" goes. */
  readonly stdout: NodeJS.WritableStream;
  /** Names this run's hand-over images (unique per run). */
  readonly runId: string;
  readonly userAgent: string;
  readonly targets: Readonly<Record<string, Target>>;
  readonly graph: TargetGraph;
  /** Entitlements the user allowed with --allow. */
  readonly allowed: readonly string[];
  /** Registry that hands dependencies over between endpoints (set when there are several). */
  readonly handoverRegistry?: string;
  /** The --cache registry://HOST/REPO shared cache. */
  readonly sharedCacheRepo?: string;
  /** Tells the user something that does not stop the build (each message once). */
  readonly warn: (message: string, target?: string) => void;
}

/** Wraps `warn` so each message reaches the user once however many builds say it. */
export function onceEach(
  warn: (message: string, target?: string) => void,
): (message: string, target?: string) => void {
  const said = new Set<string>();
  return (message, target) => {
    if (said.has(message)) return;
    said.add(message);
    warn(message, target);
  };
}

/** Reaches a daemon that went away again: a new client and its capabilities read again. */
export type Reconnect = (
  signal: AbortSignal,
) => Promise<{ readonly client: BuildkitClient; readonly caps: Capabilities }>;

/** The adapter, with `close` for the clients its probes opened (not the one it was given). */
export interface AdaptedEndpoint extends BuildEndpoint {
  close(): Promise<void>;
}

export function buildEndpoint(
  given: Daemon,
  run: BuildRun,
  reconnect?: Reconnect,
): AdaptedEndpoint {
  let daemon = given;
  const opened: BuildkitClient[] = [];
  return {
    name: given.name,
    maxParallel: given.maxParallel,
    // Read again after a probe: a restarted daemon may report other CPUs.
    get cpus() {
      return given.cpus ?? daemon.caps.cpus;
    },
    ...(reconnect
      ? {
          async probe(signal: AbortSignal) {
            const { client, caps } = await reconnect(signal);
            // Builds still holding the old client end on their own; it is closed at the end.
            opened.push(client);
            daemon = { ...daemon, client, caps };
          },
        }
      : {}),
    async close() {
      await Promise.all(opened.splice(0).map((c) => c.close().catch(() => {})));
    },
    async build(job, ctx) {
      const target = run.targets[job.job.target]!;
      let result: SpecResult;
      try {
        result = targetToSpec(target, specContext(job, target, daemon, run));
      } catch (err) {
        throw new JobFailedError((err as Error).message);
      }
      for (const note of result.notes) run.warn(note);
      try {
        const built = await daemon.client.build(result.spec, {
          signal: ctx.signal,
          onStatus: ctx.onStatus,
          env: run.env,
          stdout: run.stdout,
          userAgent: run.userAgent,
          onWarning: (message) => run.warn(message, target.name),
          shareLocalDirs: run.graph.order.length > 1,
        });
        return outcomeOf(result, built);
      } catch (err) {
        throw asSchedulerError(err);
      }
    },
  };
}

function specContext(
  job: ScheduledJob,
  target: Target,
  daemon: Daemon,
  run: BuildRun,
): SpecContext {
  const dependencies = run.graph.dependencies;
  const isDependency = [...dependencies.values()].some((deps) => deps.includes(target.name));
  const partTag =
    job.job.part && target.tags?.[0]
      ? platformTag(target.tags[0], job.job.platforms[0]!)
      : undefined;
  return {
    cwd: run.cwd,
    runId: run.runId,
    caps: daemon.caps,
    allowed: run.allowed,
    noDefaultAttestations: noDefaultAttestations(run.env),
    platforms: job.job.platforms,
    dependencies: job.dependencies,
    isDependency,
    ...(run.handoverRegistry ? { handoverRegistry: run.handoverRegistry } : {}),
    ...(run.sharedCacheRepo
      ? {
          sharedCache: {
            repo: run.sharedCacheRepo,
            dependencies: (dependencies.get(target.name) ?? []).map((d) => run.targets[d]!),
          },
        }
      : {}),
    ...(partTag ? { partTag } : {}),
  };
}

/** What one build produced, in the scheduler's terms. */
function outcomeOf(result: SpecResult, built: BuildResult): EndpointBuildResult {
  const { spec } = result;
  const pushedDigest = Object.values(built.pushed)[0];
  const digest = built.exporterResponse["containerimage.digest"] ?? pushedDigest;
  const out = spec.output;
  const names = spec.tags.join(",");
  const handover = result.handover
    ? result.handover.kind === "pushed"
      ? {
          pushedImage: pushedDigest
            ? pinned(result.handover.image, pushedDigest)
            : result.handover.image,
        }
      : { localImage: result.handover.image }
    : undefined;
  return {
    exporterResponse: {
      ...built.exporterResponse,
      ...(names && out && out.type !== "local" && out.type !== "tar"
        ? { "image.name": names }
        : {}),
    },
    ...(digest ? { digest } : {}),
    ...(out?.dest ? { output: out.dest } : out && names ? { output: names } : {}),
    ...(handover ? { handover } : {}),
  };
}

/** BuildKit's errors as the scheduler reads them; anything else passes unchanged. */
export function asSchedulerError(err: unknown): unknown {
  if (err instanceof EndpointGoneError) return new EndpointUnavailableError(err.message);
  if (err instanceof BuildFailedError) return new JobFailedError(err.message, err.failedStep);
  if (err instanceof CapabilityError) return new JobFailedError(err.message);
  return err;
}

/** buildx's BUILDX_NO_DEFAULT_ATTESTATIONS (and mbake's own name for it), as a boolean. */
function noDefaultAttestations(env: Env): boolean {
  const v = env.MBAKE_NO_DEFAULT_ATTESTATIONS ?? env.BUILDX_NO_DEFAULT_ATTESTATIONS;
  return v !== undefined && /^(1|t|true)$/i.test(v.trim());
}
