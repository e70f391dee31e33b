/**
 * The build part of `mbake [TARGET...]`, as wiring: mbake.json and flags in, endpoints
 * connected, the plan made, the scheduler run with the build adapter (src/build), the
 * state and metadata files written, the exit code out.
 */
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import type { BakeResolution } from "../bake/resolve.js";
import { callJsonOutput } from "../build/call-json.js";
import { callName, callOutput } from "../build/call-output.js";
import { type AdaptedEndpoint, type BuildRun, buildEndpoint, onceEach } from "../build/endpoint.js";
import { checkMetadataFile, checkSecretFiles } from "../build/input-paths.js";
import { joinSplitImage } from "../build/join-images.js";
import { writeMetadata } from "../build/metadata.js";
import { checkOutputDests } from "../build/output-dests.js";
import { planTargets } from "../build/plan-targets.js";
import { readTargetSecrets } from "../build/secrets.js";
import { readRunMemory, saveRunMemory } from "../build/state.js";
import type { TargetGraph } from "../graph/graph.js";
import { describePlan, planJobs } from "../plan/plan.js";
import { parseSharedCache } from "../plan/shared-cache.js";
import { createMasker } from "../progress/mask.js";
import { type RunResult, runPlan } from "../scheduler/scheduler.js";
import { CancelledError, throwIfAborted, untilAborted } from "../support/abort.js";
import { processSecrets } from "../support/secret-texts.js";
import type { BakeOptions } from "./args.js";
import { loadConfig } from "./config-file.js";
import {
  type ConnectedEndpoint,
  connectEndpoints,
  defaultEndpointParallel,
  endpointsToTry,
  NoEndpointError,
  probeTimeoutMs,
  reachAgain,
} from "./connect.js";
import { type MbakeConfig, selectEndpoints } from "./endpoint-config.js";
import { ExitCode } from "./exit-codes.js";
import { type CliIo, write } from "./io.js";
import { startProgress } from "./progress-output.js";
import { mbakeVersion } from "./version.js";

/** The registries a run uses: the shared cache repository and the hand-over registry. */
function registriesFor(o: BakeOptions, config: MbakeConfig | undefined) {
  const setting = o.cache ?? config?.cache;
  const sharedCacheRepo = setting ? parseSharedCache(setting) : undefined;
  // The shared cache is written registry://HOST/REPO: its first part is always the host.
  const handoverRegistry = config?.registry ?? sharedCacheRepo?.split("/")[0];
  return { sharedCacheRepo, handoverRegistry };
}

/** Connects to the endpoints the flags, environment and mbake.json name; fails when none answers. */
async function connect(
  o: BakeOptions,
  io: CliIo,
  config: MbakeConfig | undefined,
): Promise<{ connected: ConnectedEndpoint[]; warnings: string[] }> {
  const configured = selectEndpoints(o.endpoints, io.env, config);
  const { endpoints: toTry, tried } = endpointsToTry(configured, io.env);
  if (toTry.length === 0) {
    throw new NoEndpointError(
      `no BuildKit endpoint found; tried ${tried.join(", ")}. Give one with --endpoint ADDRESS (or run scripts/test-env up and source .test-env/env.sh)`,
    );
  }
  const warnings: string[] = [];
  const connected = await untilAborted(
    connectEndpoints(
      toTry,
      io.env,
      (m) => warnings.push(m),
      config?.maxParallel ?? defaultEndpointParallel,
      probeTimeoutMs,
      io.signal,
      io.cwd,
    ),
    io.signal,
  );
  if (connected.length === 0) {
    for (const w of warnings) write(io.stderr, `WARNING: ${w}`);
    throw new NoEndpointError(
      `none of the endpoints could be reached: ${toTry.map((e) => `${e.name} (${e.address})`).join(", ")}`,
    );
  }
  return { connected, warnings };
}

/**
 * The exit code of a finished run. A cancelled run throws CancelledError instead: every
 * cancellation leaves through run.ts's reportError, with one message and exit 130.
 */
function exitCodeFor(outcome: RunResult["outcome"]): ExitCode {
  switch (outcome) {
    case "success":
      return ExitCode.success;
    case "cancelled":
      throw new CancelledError();
    case "failed":
      return ExitCode.buildFailed;
  }
}

/** `--call`: each answered target's result on stdout as buildx prints it; the status it asks for. */
function printCallAnswers(
  o: BakeOptions,
  result: RunResult,
  resolution: BakeResolution,
  io: CliIo,
): number {
  // As buildx: a run that failed prints no answers, only its error.
  if (result.outcome !== "success") return 0;
  const answers = new Map<string, { call: string; answer: Record<string, string> }>();
  for (const r of result.jobs) {
    const call = callName(resolution.targets[r.job.target]?.call);
    if (call === "build" || !r.outcome) continue;
    answers.set(r.job.target, { call, answer: r.outcome.exporterResponse });
  }
  if (answers.size === 0) return 0;
  const printing = o.callIgnoreStatus ? { ignoreStatus: true } : {};
  const { text, status } =
    o.callFormat === "json"
      ? callJsonOutput(answers, resolution, printing)
      : callOutput(answers, resolution.targets, printing);
  io.stdout.write(text);
  return status;
}

export async function runBuild(
  o: BakeOptions,
  io: CliIo,
  resolution: BakeResolution,
  graph: TargetGraph,
): Promise<number> {
  checkOutputDests(resolution.targets, io.cwd);
  checkSecretFiles(resolution.targets, io.cwd, io.env);
  if (o.metadataFile) checkMetadataFile(o.metadataFile, io.cwd);
  throwIfAborted(io.signal);
  const config = loadConfig(io.cwd, o.files[0]);
  const { sharedCacheRepo, handoverRegistry } = registriesFor(o, config);
  const { connected, warnings } = await connect(o, io, config);
  const several = connected.length > 1;
  let endpoints: AdaptedEndpoint[] = [];
  try {
    throwIfAborted(io.signal);
    const memory = readRunMemory(io.cwd);
    const plan = planJobs(
      graph,
      planTargets(resolution.targets),
      connected.map((c) => c.info),
      {
        warmth: memory.lastEndpoint,
        durations: memory.durations,
        ...(handoverRegistry && several ? { registry: handoverRegistry } : {}),
      },
    );
    // Without a build, no progress view shows the warnings: they go to stderr here.
    if (o.dryRun || plan.problems.length > 0)
      for (const w of warnings) write(io.stderr, `WARNING: ${w}`);
    if (o.dryRun) write(io.stdout, describePlan(plan));
    else for (const p of plan.problems) write(io.stderr, `mbake: ${p}`);
    if (o.dryRun || plan.problems.length > 0)
      return plan.problems.length > 0 ? ExitCode.buildFailed : ExitCode.success;

    // Every secret is read (and so known to the masker) before any progress is written.
    readTargetSecrets(Object.values(resolution.targets), io.cwd, io.env);
    const masker = createMasker(processSecrets);
    const progress = await startProgress(o.progress, io, masker, {
      showEndpoint: several,
      listDone: o.call === undefined,
    });
    const warn = (message: string, target?: string) =>
      progress.emit({ type: "warning", time: Date.now(), message, ...(target ? { target } : {}) });
    for (const w of warnings) warn(w);
    const run: BuildRun = {
      cwd: io.cwd,
      env: io.env,
      stdout: io.stdout,
      runId: `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`,
      userAgent: `mbake/${mbakeVersion()}`,
      targets: resolution.targets,
      graph,
      allowed: o.allow,
      ...(handoverRegistry && several ? { handoverRegistry } : {}),
      ...(sharedCacheRepo ? { sharedCacheRepo } : {}),
      warn: onceEach(warn),
    };
    endpoints = connected.map((c) =>
      buildEndpoint(
        {
          name: c.config.name,
          maxParallel: c.info.maxParallel,
          ...(c.config.cpus !== undefined ? { cpus: c.config.cpus } : {}),
          caps: c.caps,
          client: c.client,
        },
        run,
        (signal) => reachAgain(c.config, io.env, signal),
      ),
    );
    const result = await runPlan(plan, endpoints, {
      signal: io.signal,
      emit: progress.emit,
      failFast: o.failFast,
      ...(o.maxParallel ? { maxParallel: o.maxParallel } : {}),
      join: (target, parts, signal) =>
        joinSplitImage(resolution.targets[target]!, parts, io.env, signal),
    });
    await progress.finish();
    saveRunMemory(io.cwd, memory, result);
    // A cancelled run writes no metadata file: like its outputs, nothing partial is left.
    if (result.outcome !== "cancelled" && o.metadataFile)
      writeMetadata(resolve(io.cwd, o.metadataFile), result, progress.jobs(), masker.mask);
    const code = exitCodeFor(result.outcome);
    const called = printCallAnswers(o, result, resolution, io);
    return code === ExitCode.success && called !== 0 ? ExitCode.buildFailed : code;
  } finally {
    await Promise.all([
      ...connected.map((c) => c.client.close().catch(() => {})),
      ...endpoints.map((e) => e.close()),
    ]);
  }
}
