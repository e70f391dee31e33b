/** The build part of `mbake [TARGET...]`: endpoints, plan, scheduler, progress, results. */

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Target } from "../bake/model.js";
import type { BakeResolution } from "../bake/resolve.js";
import { metadataFor } from "../build/metadata.js";
import { targetToSpec } from "../build/target-spec.js";
import { BuildFailedError, EndpointGoneError } from "../buildkit/client.js";
import { checkOutputDest, OutputDestError } from "../buildkit/session/output-dest.js";
import { secretTextsToMask } from "../buildkit/session/secrets.js";
import { CapabilityError } from "../buildkit/solve/request.js";
import type { TargetGraph } from "../graph/graph.js";
import { describePlan, type PlanTarget, planJobs } from "../plan/plan.js";
import { parseSharedCache } from "../plan/shared-cache.js";
import { parseWarmth, serializeWarmth } from "../plan/warmth.js";
import type { RunEvent } from "../progress/events.js";
import { createMasker } from "../progress/mask.js";
import { cachedSteps, initialState, reduce } from "../progress/model.js";
import {
  createPlainRenderer,
  createQuietRenderer,
  createRawJsonRenderer,
} from "../progress/plain.js";
import { chooseProgressMode, type Renderer } from "../progress/renderer.js";
import { RegistryClient } from "../registry/client.js";
import { apiHost, parseReference, pinned, platformTag, tagOf } from "../registry/reference.js";
import {
  type BuildEndpoint,
  EndpointUnavailableError,
  JobFailedError,
  runPlan,
} from "../scheduler/scheduler.js";
import { throwIfAborted, untilAborted } from "../support/abort.js";
import { credentialsFor, readDockerConfig } from "../support/docker-config.js";
import { createTuiRenderer } from "../ui/tui.js";
import type { BakeOptions } from "./args.js";
import { loadConfig } from "./config-file.js";
import { connectEndpoints, endpointsToTry, NoEndpointError } from "./connect.js";
import { selectEndpoints } from "./endpoint-config.js";
import { ExitCode } from "./exit-codes.js";
import { type CliIo, write } from "./io.js";
import { mbakeVersion } from "./version.js";

function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${randomBytes(4).toString("hex")}`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

function exportsImage(t: Target): boolean {
  const o = t.output?.[0];
  return !!o && ["image", "registry", "docker"].includes(o.type ?? "");
}

function pushes(t: Target): boolean {
  const o = t.output?.[0];
  return !!o && (o.type === "registry" || o.push === "true");
}

/** Output paths are checked before any endpoint is contacted, so bad ones cost nothing. */
function checkOutputDests(resolution: BakeResolution, cwd: string): void {
  for (const [name, t] of Object.entries(resolution.targets)) {
    for (const out of t.output ?? []) {
      const dest = out.dest;
      if (dest === undefined || dest === "-") continue;
      const kind =
        out.type === "local"
          ? "local"
          : ["tar", "oci", "docker"].includes(out.type ?? "")
            ? "tar"
            : undefined;
      if (!kind) continue;
      try {
        checkOutputDest(kind, resolve(cwd, dest));
      } catch (err) {
        if (err instanceof OutputDestError)
          throw new OutputDestError(
            `target "${name}": ${err.message.replace(resolve(cwd, dest), dest)}`,
          );
        throw err;
      }
    }
  }
}

export async function runBuild(
  o: BakeOptions,
  io: CliIo,
  resolution: BakeResolution,
  graph: TargetGraph,
): Promise<number> {
  checkOutputDests(resolution, io.cwd);
  throwIfAborted(io.signal);
  const config = loadConfig(io.cwd, o.files[0]);
  const cacheSetting = o.cache ?? config?.cache;
  const sharedCacheRepo = cacheSetting ? parseSharedCache(cacheSetting) : undefined;
  const handoverRegistry =
    config?.registry ?? (sharedCacheRepo ? sharedCacheRepo.split("/")[0] : undefined);
  const configured = selectEndpoints(o.endpoints, io.env, config);
  const { endpoints: toTry, tried } = endpointsToTry(configured, io.env);
  if (toTry.length === 0) {
    throw new NoEndpointError(
      `no BuildKit endpoint found; tried ${tried.join(", ")}. Give one with --endpoint ADDRESS (or run scripts/test-env up and source .test-env/env.sh)`,
    );
  }
  const warnings: string[] = [];
  const connected = await untilAborted(
    connectEndpoints(toTry, io.env, (m) => warnings.push(m), config?.maxParallel ?? 4),
    io.signal,
  );
  for (const w of warnings) write(io.stderr, `WARNING: ${w}`);
  if (connected.length === 0) {
    throw new NoEndpointError(
      `none of the endpoints could be reached: ${toTry.map((e) => `${e.name} (${e.address})`).join(", ")}`,
    );
  }
  try {
    const statePath = join(io.cwd, ".mbake", "state.json");
    const warmth = parseWarmth(existsSync(statePath) ? readFileSync(statePath, "utf8") : undefined);
    const planTargets: Record<string, PlanTarget> = {};
    for (const [name, t] of Object.entries(resolution.targets)) {
      planTargets[name] = {
        name,
        platforms: t.platforms ?? [],
        exportsImage: exportsImage(t),
        pushes: pushes(t),
      };
    }
    const plan = planJobs(
      graph,
      planTargets,
      connected.map((c) => c.info),
      {
        warmth,
        ...(handoverRegistry && connected.length > 1 ? { registry: handoverRegistry } : {}),
      },
    );
    if (o.dryRun) {
      write(io.stdout, describePlan(plan));
      return plan.problems.length > 0 ? ExitCode.buildFailed : ExitCode.success;
    }
    if (plan.problems.length > 0) {
      for (const p of plan.problems) write(io.stderr, `mbake: ${p}`);
      return ExitCode.buildFailed;
    }

    const secretValues = secretTextsToMask(
      Object.values(resolution.targets).flatMap((t) =>
        (t.secret ?? []).map((e) => ({
          id: e.id ?? "",
          ...(e.src !== undefined ? { src: e.src } : {}),
          ...(e.env !== undefined ? { env: e.env } : {}),
        })),
      ),
      io.env,
      io.cwd,
    );
    const masker = createMasker(secretValues);
    const mode = chooseProgressMode(o.progress, io.stdout.isTTY === true, io.env);
    const writeErr = (t: string) => io.stderr.write(t);
    let renderer: Renderer;
    if (mode === "tty")
      renderer = createTuiRenderer({
        stdout: io.stdout as NodeJS.WriteStream,
        color: !io.env.NO_COLOR,
        masker,
      });
    else if (mode === "rawjson")
      renderer = createRawJsonRenderer((t) => io.stdout.write(t), masker);
    else if (mode === "quiet") renderer = createQuietRenderer(writeErr, masker);
    else renderer = createPlainRenderer(writeErr, { showEndpoint: connected.length > 1, masker });

    let progressState = initialState();
    const emit = (e: RunEvent) => {
      progressState = reduce(progressState, e);
      renderer.onEvent(e);
    };
    for (const w of warnings) emit({ type: "warning", time: Date.now(), message: w });
    const runId = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
    const noted = new Set<string>();
    const dependencyTargets = new Set([...graph.dependencies.values()].flat());
    const buildEndpoints: BuildEndpoint[] = connected.map((c) => ({
      name: c.config.name,
      maxParallel: c.info.maxParallel,
      async build(job, ctx) {
        const target = resolution.targets[job.job.target]!;
        const partTag =
          job.job.part && target.tags?.[0]
            ? platformTag(target.tags[0], job.job.platforms[0]!)
            : undefined;
        let result: ReturnType<typeof targetToSpec>;
        try {
          result = targetToSpec(target, {
            cwd: io.cwd,
            runId,
            caps: c.caps,
            allowed: o.allow,
            noDefaultAttestations: noDefaultAttestations(io.env),
            platforms: job.job.platforms,
            dependencies: job.dependencies,
            isDependency: dependencyTargets.has(target.name),
            ...(handoverRegistry && connected.length > 1 ? { handoverRegistry } : {}),
            ...(sharedCacheRepo
              ? {
                  sharedCache: {
                    repo: sharedCacheRepo,
                    dependencies: (graph.dependencies.get(target.name) ?? []).map(
                      (d) => resolution.targets[d]!,
                    ),
                  },
                }
              : {}),
            ...(partTag ? { partTag } : {}),
          });
        } catch (err) {
          throw new JobFailedError((err as Error).message);
        }
        for (const n of result.notes) {
          if (!noted.has(n)) {
            noted.add(n);
            emit({ type: "warning", time: Date.now(), message: n });
          }
        }
        try {
          const built = await c.client.build(result.spec, {
            signal: ctx.signal,
            onStatus: ctx.onStatus,
            env: io.env,
            stdout: io.stdout,
            userAgent: `mbake/${mbakeVersion()}`,
            onWarning: (message) => {
              if (!noted.has(message)) {
                noted.add(message);
                emit({ type: "warning", time: Date.now(), message, target: target.name });
              }
            },
          });
          const pushedDigest = Object.values(built.pushed)[0];
          const digest = built.exporterResponse["containerimage.digest"] ?? pushedDigest;
          const out = result.spec.output;
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
              ...(result.spec.tags.length > 0 && out && out.type !== "local" && out.type !== "tar"
                ? { "image.name": result.spec.tags.join(",") }
                : {}),
            },
            ...(digest ? { digest } : {}),
            ...(out?.dest
              ? { output: out.dest }
              : out && result.spec.tags.length > 0
                ? { output: result.spec.tags.join(",") }
                : {}),
            ...(handover ? { handover } : {}),
          };
        } catch (err) {
          if (err instanceof EndpointGoneError) throw new EndpointUnavailableError(err.message);
          if (err instanceof BuildFailedError)
            throw new JobFailedError(err.message, err.failedStep);
          if (err instanceof CapabilityError) throw new JobFailedError(err.message);
          throw err;
        }
      },
    }));
    const result = await runPlan(plan, buildEndpoints, {
      signal: io.signal,
      emit,
      failFast: o.failFast,
      ...(o.maxParallel ? { maxParallel: o.maxParallel } : {}),
      join: async (target, parts) => {
        const t = resolution.targets[target]!;
        const docker = readDockerConfig(io.env);
        let digest = "";
        for (const tag of t.tags ?? []) {
          const ref = parseReference(tag);
          const creds = credentialsFor(docker, ref.host);
          const client = new RegistryClient(
            apiHost(ref.host),
            creds ? { username: creds.username, secret: creds.secret } : undefined,
            { env: io.env },
          );
          const manifests = await Promise.all(
            parts.map(async (p) => {
              const platform = p.job.platforms[0]!;
              const part = parseReference(platformTag(tag, platform));
              return { manifest: await client.manifest(part.repository, tagOf(part)), platform };
            }),
          );
          digest = await client.putIndex(ref.repository, tagOf(ref), manifests);
        }
        return {
          exporterResponse: {
            "containerimage.digest": digest,
            "image.name": (t.tags ?? []).join(","),
          },
          digest,
          output: (t.tags ?? []).join(","),
        };
      },
    });
    await renderer.finish();
    const built: Record<string, string> = {};
    for (const j of result.jobs)
      if (j.state === "done" && j.endpoint)
        built[j.job.part ? j.job.id : j.job.target] = j.endpoint;
    try {
      writeAtomically(statePath, serializeWarmth(warmth, built));
    } catch {
      // The state file only makes later runs faster; never fail a run over it.
    }
    if (o.metadataFile) {
      const metadata = metadataFor(result);
      for (const job of progressState.jobs) {
        const entry = metadata[job.target];
        if (!entry) continue;
        const { cached, total } = cachedSteps(job);
        entry["mbake.cached_steps"] = Number(entry["mbake.cached_steps"] ?? 0) + cached;
        entry["mbake.total_steps"] = Number(entry["mbake.total_steps"] ?? 0) + total;
      }
      writeAtomically(resolve(io.cwd, o.metadataFile), `${JSON.stringify(metadata, null, 2)}\n`);
    }
    if (result.outcome === "cancelled") {
      write(io.stderr, "mbake: cancelled");
      return ExitCode.cancelled;
    }
    return result.outcome === "success" ? ExitCode.success : ExitCode.buildFailed;
  } finally {
    await Promise.all(connected.map((c) => c.client.close().catch(() => {})));
  }
}

/** buildx's BUILDX_NO_DEFAULT_ATTESTATIONS (and mbake's own name for it), as a boolean. */
function noDefaultAttestations(env: Readonly<Record<string, string | undefined>>): boolean {
  const v = env.MBAKE_NO_DEFAULT_ATTESTATIONS ?? env.BUILDX_NO_DEFAULT_ATTESTATIONS;
  return v !== undefined && /^(1|t|true)$/i.test(v.trim());
}
