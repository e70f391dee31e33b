/**
 * A resolved bake target to what one build on one endpoint needs (the client's
 * BuildSpec): paths resolved against the working folder, dependencies handed over
 * as images, the shared cache applied. Pure.
 */

import { isAbsolute, resolve } from "node:path";
import type { Target } from "../bake/model.js";
import { formatOciLayoutRef, parseOciLayoutRef } from "../buildkit/session/oci-contexts.js";
import type { BuildSpec, Capabilities, Entry } from "../buildkit/solve/spec.js";
import { InputError } from "../diagnostics/error-kind.js";
import { sharedCacheFor } from "../plan/shared-cache.js";
import type { DependencyOutput } from "../scheduler/scheduler.js";
import { callName, subrequests } from "./call-output.js";
import { secretSpecOf } from "./secrets.js";

export class TargetSpecError extends InputError {
  override name = "TargetSpecError";
}

export interface SpecContext {
  readonly cwd: string;
  readonly runId: string;
  readonly caps: Capabilities;
  /** Platforms of this job (a split target builds one). */
  readonly platforms: readonly string[];
  readonly dependencies: Readonly<Record<string, DependencyOutput>>;
  /** This target is used by others through target: contexts. */
  readonly isDependency: boolean;
  /** Registry for hand-over between endpoints (push dependencies there). */
  readonly handoverRegistry?: string;
  readonly sharedCache?: { readonly repo: string; readonly dependencies: readonly Target[] };
  /** Entitlements the user allowed with --allow. */
  readonly allowed?: readonly string[];
  /** BUILDX_NO_DEFAULT_ATTESTATIONS (or MBAKE_NO_DEFAULT_ATTESTATIONS) is set. */
  readonly noDefaultAttestations?: boolean;
  /** Set for one platform of a split multi-platform push: the tag to push it under. */
  readonly partTag?: string;
}

export interface SpecResult {
  readonly spec: BuildSpec;
  /** How dependents will find this build's result. */
  readonly handover?: { readonly kind: "local" | "pushed"; readonly image: string };
  readonly notes: readonly string[];
}

function sanitize(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9._-]/g, "-");
}

/** Refuses what mbake cannot build yet, before anything else is worked out. */
function checkSupported(t: Target): void {
  if (t.call !== undefined && !["build", ...subrequests].includes(callName(t.call))) {
    throw new TargetSpecError(
      `target "${t.name}": call = "${t.call}" is not a method mbake knows; use build, check, outline or targets`,
    );
  }
  if ((t.output?.length ?? 0) > 1) {
    throw new TargetSpecError(
      `target "${t.name}" has ${t.output!.length} outputs; mbake builds one output per target (several exporters need BuildKit v0.13+)`,
    );
  }
}

/** The build context (a local folder, or a git/http URL the daemon fetches) and the Dockerfile. */
function contextOf(
  t: Target,
  cwd: string,
): Pick<BuildSpec, "contextDir" | "remoteContext" | "dockerfile"> {
  const context = t.context ?? ".";
  // A git repository or an http(s) URL is fetched by the daemon (buildx's IsRemoteURL).
  const remoteContext = /^(https?:\/\/|git:\/\/|git@|github\.com\/)/.test(context)
    ? context
    : undefined;
  const contextDir = remoteContext ? cwd : resolve(cwd, context.replace(/^cwd:\/\//, ""));
  const file = t.dockerfile ?? "Dockerfile";
  const dockerfile: BuildSpec["dockerfile"] =
    t.dockerfileInline !== undefined
      ? { kind: "inline", text: t.dockerfileInline }
      : remoteContext && !isAbsolute(file)
        ? { kind: "in-context", path: file }
        : { kind: "file", path: isAbsolute(file) ? file : resolve(contextDir, file) };
  return { contextDir, ...(remoteContext ? { remoteContext } : {}), dockerfile };
}

/**
 * Where the build's result goes and under which names: the target's own output, one
 * platform's part tag of a split push, or, for a target others use as a target:
 * context, an image they can reach (the hand-over).
 */
function outputOf(
  t: Target,
  ctx: SpecContext,
): { output?: Entry; tags: string[]; handover?: SpecResult["handover"]; note?: string } {
  const own = t.output?.[0]?.type === "cacheonly" ? undefined : t.output?.[0];
  const tags = [...(t.tags ?? [])];
  if (ctx.partTag) return { output: { type: "registry" }, tags: [ctx.partTag] };
  if (!ctx.isDependency) return { ...(own ? { output: own } : defaultOutput(t, ctx)), tags };
  if (!own) {
    if (ctx.handoverRegistry) {
      const image = `${ctx.handoverRegistry}/mbake-handover/${sanitize(t.name)}:${ctx.runId}`;
      return { output: { type: "registry" }, tags: [image], handover: { kind: "pushed", image } };
    }
    if (ctx.caps.kind === "docker-engine") {
      const image = `mbake-local/${sanitize(t.name)}:${ctx.runId}`;
      return { output: { type: "docker" }, tags: [image], handover: { kind: "local", image } };
    }
    throw new TargetSpecError(
      `target "${t.name}" is used as a target: context, which needs a registry to hand it over on ${ctx.caps.endpoint}; set "registry" in mbake.json or --cache registry://HOST/REPO`,
    );
  }
  if (["image", "registry", "docker"].includes(own.type ?? "") && tags[0]) {
    const pushed = own.type === "registry" || own.push === "true";
    return { output: own, tags, handover: { kind: pushed ? "pushed" : "local", image: tags[0] } };
  }
  throw new TargetSpecError(
    `target "${t.name}" is used as a target: context but its output is ${own.type}; give it an image output (or none) so mbake can hand it over`,
  );
}

/**
 * A target given no output at all (not even type=cacheonly): a Docker Engine keeps the
 * image in its image store under the target's tags, as buildx's docker driver does; a
 * multi-platform image only where the store holds one (buildx refuses it elsewhere).
 * Anywhere else the result stays in the build cache, and mbake says so (as buildx does).
 */
function defaultOutput(t: Target, ctx: SpecContext): { output?: Entry; note?: string } {
  if ((t.output?.length ?? 0) > 0) return {};
  const multiPlatform = (t.platforms?.length ?? 0) > 1;
  if (ctx.caps.kind === "docker-engine" && (!multiPlatform || ctx.caps.multiPlatformImages))
    return { output: { type: "image" } };
  return {
    // Said once per endpoint (as buildx says it once), not once per target.
    note: `targets with no output keep their result only in the build cache of ${ctx.caps.endpoint}; give them an output, or use --push or --load`,
  };
}

/**
 * Named contexts as the frontend reads them: dependencies as images, local paths resolved;
 * and the images among them that only the Engine's store holds (dependencies handed over there).
 */
function namedContextsOf(
  t: Target,
  ctx: SpecContext,
): { namedContexts: Record<string, string>; storeImages: string[] } {
  const namedContexts: Record<string, string> = {};
  const storeImages: string[] = [];
  for (const [name, value] of Object.entries(t.contexts ?? {})) {
    if (value.startsWith("target:")) {
      const dep = ctx.dependencies[value.slice("target:".length)];
      if (!dep)
        throw new TargetSpecError(
          `target "${t.name}": the dependency ${value} has no result to use`,
        );
      const image = dep.pushedImage ?? dep.localImage;
      if (!image)
        throw new TargetSpecError(
          `target "${t.name}": the dependency ${value} produced no image to use as context "${name}"`,
        );
      namedContexts[name] = `docker-image://${image}`;
      if (!dep.pushedImage) storeImages.push(image);
    } else if (value.startsWith("docker-image://")) namedContexts[name] = value;
    else if (value.startsWith("oci-layout://")) {
      // The folder is relative to where mbake runs; tag and digest stay as written.
      const ref = parseOciLayoutRef(value)!;
      namedContexts[name] = formatOciLayoutRef({ ...ref, path: resolve(ctx.cwd, ref.path) });
    } else if (/^[a-z]+:\/\//.test(value))
      throw new TargetSpecError(
        `target "${t.name}": context "${name}" (${value}) is not supported by mbake yet`,
      );
    else namedContexts[name] = resolve(ctx.cwd, value);
  }
  return { namedContexts, storeImages };
}

/** Cache imports and exports, with the shared cache applied (which may add tags and a note). */
function cacheOf(
  t: Target,
  ctx: SpecContext,
  output: Entry | undefined,
): { cacheFrom: Entry[]; cacheTo: Entry[]; extraTags: readonly string[]; note?: string } {
  // Local cache folders are relative to where mbake runs (as buildx's are).
  const localPaths = (e: Entry): Entry =>
    e.type === "local"
      ? {
          ...e,
          ...(e.src !== undefined ? { src: resolve(ctx.cwd, e.src) } : {}),
          ...(e.dest !== undefined ? { dest: resolve(ctx.cwd, e.dest) } : {}),
        }
      : e;
  if (!ctx.sharedCache)
    return {
      cacheFrom: (t.cacheFrom ?? []).map(localPaths),
      cacheTo: (t.cacheTo ?? []).map(localPaths),
      extraTags: [],
    };
  const exportsImage =
    output !== undefined &&
    ["image", "registry"].includes(output.type ?? "") &&
    (output.type === "registry" || output.push === "true");
  const decision = sharedCacheFor(
    ctx.sharedCache.repo,
    {
      name: t.name,
      platforms: ctx.platforms,
      ...(t.platforms && t.platforms.length > 1 ? { targetPlatforms: t.platforms } : {}),
      exportsImage,
      ...(t.cacheFrom ? { cacheFrom: t.cacheFrom } : {}),
      ...(t.cacheTo ? { cacheTo: t.cacheTo } : {}),
    },
    ctx.sharedCache.dependencies.map((d) => ({
      name: d.name,
      platforms: ctx.platforms,
      exportsImage: false,
    })),
    ctx.caps.cacheExporters.includes("registry"),
  );
  return {
    cacheFrom: [...decision.cacheFrom],
    cacheTo: [...decision.cacheTo],
    extraTags: decision.extraTags,
    ...(decision.note ? { note: decision.note } : {}),
  };
}

/** The entitlements the target asks for, each of which the user must have allowed with --allow. */
function entitlementsOf(t: Target, ctx: SpecContext): string[] {
  const requested = t.entitlements ?? [];
  const allowed = new Set((ctx.allowed ?? []).map((a) => a.split("=")[0]));
  const missing = requested.filter((e) => !allowed.has(e.split("=")[0]!));
  if (missing.length > 0) {
    throw new TargetSpecError(
      `target "${t.name}" asks for ${missing.join(", ")}; allow it with ${missing.map((m) => `--allow ${m}`).join(" ")}`,
    );
  }
  return requested;
}

/** The entries of a map whose value is not null (a null value unsets an inherited one). */
function withoutNulls(
  map: Readonly<Record<string, string | null>> | undefined,
): [string, string][] {
  return Object.entries(map ?? {}).filter((e): e is [string, string] => e[1] !== null);
}

export function targetToSpec(t: Target, ctx: SpecContext): SpecResult {
  checkSupported(t);
  const call = t.call !== undefined && callName(t.call) !== "build" ? callName(t.call) : undefined;
  // A subrequest exports nothing: no output, no tags, no cache written.
  const {
    output,
    tags,
    handover,
    note: outputNote,
  } = call
    ? { output: undefined, tags: [], handover: undefined, note: undefined }
    : outputOf(t, ctx);
  const { namedContexts, storeImages } = namedContextsOf(t, ctx);
  // A pull would look for a hand-over that is only in the Engine's store in a registry,
  // and fail: such a build reads its images from the store first (its dependencies were
  // themselves built with the pull).
  const pullNote =
    t.pull && storeImages.length > 0
      ? `target "${t.name}": pull is not applied to its own base images: its target: contexts are handed over in the Engine's image store, where a pull would not look`
      : undefined;
  const cache = cacheOf(t, ctx, output);
  const requested = entitlementsOf(t, ctx);
  const secrets = (t.secret ?? []).map((s) => secretSpecOf(s, ctx.cwd));
  return {
    spec: {
      ...contextOf(t, ctx.cwd),
      ...(t.target ? { target: t.target } : {}),
      args: Object.fromEntries(withoutNulls(t.args)),
      labels: Object.fromEntries(withoutNulls(t.labels)),
      platforms: [...ctx.platforms],
      ...(output ? { output } : {}),
      tags: call ? [] : [...tags, ...cache.extraTags],
      cacheFrom: cache.cacheFrom,
      cacheTo: call ? [] : cache.cacheTo,
      secrets,
      ...(requested.length > 0 ? { entitlements: requested.filter((e) => !e.includes("=")) } : {}),
      ...(t.ssh && t.ssh.length > 0
        ? {
            ssh: t.ssh.map((e) => ({
              id: e.id,
              ...(e.paths ? { paths: e.paths.map((p) => resolve(ctx.cwd, p)) } : {}),
            })),
          }
        : {}),
      noCache: t.noCache ?? false,
      noCacheFilter: t.noCacheFilter ?? [],
      pull: (t.pull ?? false) && pullNote === undefined,
      ...(t.network ? { network: t.network } : {}),
      ...(t.shmSize ? { shmSize: t.shmSize } : {}),
      ulimits: t.ulimits ?? [],
      extraHosts: withoutNulls(t.extraHosts).map(([host, ip]) => `${host}=${ip}`),
      namedContexts,
      ...(storeImages.length > 0 ? { storeImages } : {}),
      ...(t.attest && t.attest.length > 0 ? { attest: t.attest } : {}),
      ...(t.annotations && t.annotations.length > 0 ? { annotations: t.annotations } : {}),
      ...(call ? { call } : {}),
      ...(ctx.noDefaultAttestations ? { noDefaultAttestations: true } : {}),
    },
    ...(handover ? { handover } : {}),
    notes: [outputNote, pullNote, cache.note].filter((n): n is string => n !== undefined),
  };
}
