/**
 * A resolved bake target to what one build on one endpoint needs (the client's
 * BuildSpec): paths resolved against the working folder, dependencies handed over
 * as images, the shared cache applied. Pure.
 */

import { isAbsolute, resolve } from "node:path";
import type { Target } from "../bake/model.js";
import { formatOciLayoutRef, parseOciLayoutRef } from "../buildkit/session/oci-contexts.js";
import type { BuildSpec, Capabilities, Entry } from "../buildkit/solve/spec.js";
import { sharedCacheFor } from "../plan/shared-cache.js";
import type { DependencyOutput } from "../scheduler/scheduler.js";

export class TargetSpecError extends Error {
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

export function targetToSpec(t: Target, ctx: SpecContext): SpecResult {
  const notes: string[] = [];
  if (t.call !== undefined && t.call !== "build") {
    throw new TargetSpecError(
      `target "${t.name}": call = "${t.call}" is not supported by mbake yet (it needs the Dockerfile frontend's subrequests); remove it to build the target`,
    );
  }
  const context = t.context ?? ".";
  // A git repository or an http(s) URL is fetched by the daemon (buildx's IsRemoteURL).
  const remoteContext = /^(https?:\/\/|git:\/\/|git@|github\.com\/)/.test(context)
    ? context
    : undefined;
  const contextDir = remoteContext ? ctx.cwd : resolve(ctx.cwd, context.replace(/^cwd:\/\//, ""));
  const dockerfile: BuildSpec["dockerfile"] =
    t.dockerfileInline !== undefined
      ? { kind: "inline", text: t.dockerfileInline }
      : remoteContext && !isAbsolute(t.dockerfile ?? "Dockerfile")
        ? { kind: "in-context", path: t.dockerfile ?? "Dockerfile" }
        : {
            kind: "file",
            path: isAbsolute(t.dockerfile ?? "Dockerfile")
              ? t.dockerfile!
              : resolve(contextDir, t.dockerfile ?? "Dockerfile"),
          };
  if ((t.output?.length ?? 0) > 1) {
    throw new TargetSpecError(
      `target "${t.name}" has ${t.output!.length} outputs; mbake builds one output per target (several exporters need BuildKit v0.13+)`,
    );
  }
  let output: Entry | undefined = t.output?.[0];
  let tags = [...(t.tags ?? [])];
  let handover: SpecResult["handover"];
  if (output?.type === "cacheonly") output = undefined;
  if (ctx.partTag) {
    output = { type: "registry" };
    tags = [ctx.partTag];
  } else if (ctx.isDependency) {
    if (!output) {
      if (ctx.handoverRegistry) {
        const image = `${ctx.handoverRegistry}/mbake-handover/${sanitize(t.name)}:${ctx.runId}`;
        output = { type: "registry" };
        tags = [image];
        handover = { kind: "pushed", image };
      } else if (ctx.caps.kind === "docker-engine") {
        const image = `mbake-local/${sanitize(t.name)}:${ctx.runId}`;
        output = { type: "docker" };
        tags = [image];
        handover = { kind: "local", image };
      } else {
        throw new TargetSpecError(
          `target "${t.name}" is used as a target: context, which needs a registry to hand it over on ${ctx.caps.endpoint}; set "registry" in mbake.json or --cache registry://HOST/REPO`,
        );
      }
    } else if (["image", "registry", "docker"].includes(output.type ?? "") && tags[0]) {
      handover = {
        kind: output.type === "registry" || output.push === "true" ? "pushed" : "local",
        image: tags[0],
      };
    } else {
      throw new TargetSpecError(
        `target "${t.name}" is used as a target: context but its output is ${output.type}; give it an image output (or none) so mbake can hand it over`,
      );
    }
  }
  const namedContexts: Record<string, string> = {};
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
  // Local cache folders are relative to where mbake runs (as buildx's are).
  const localPaths = (e: Entry): Entry =>
    e.type === "local"
      ? {
          ...e,
          ...(e.src !== undefined ? { src: resolve(ctx.cwd, e.src) } : {}),
          ...(e.dest !== undefined ? { dest: resolve(ctx.cwd, e.dest) } : {}),
        }
      : e;
  let cacheFrom: Entry[] = (t.cacheFrom ?? []).map(localPaths);
  let cacheTo: Entry[] = (t.cacheTo ?? []).map(localPaths);
  if (ctx.sharedCache) {
    const exportsImage =
      output !== undefined &&
      ["image", "registry"].includes(output.type ?? "") &&
      (output.type === "registry" || output.push === "true");
    const decision = sharedCacheFor(
      ctx.sharedCache.repo,
      {
        name: t.name,
        platforms: ctx.platforms,
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
    cacheFrom = [...decision.cacheFrom];
    cacheTo = [...decision.cacheTo];
    tags = [...tags, ...decision.extraTags];
    if (decision.note) notes.push(decision.note);
  }
  const secrets = (t.secret ?? []).map((s) => ({
    id: s.id ?? "",
    ...(s.src !== undefined ? { src: resolve(ctx.cwd, s.src) } : {}),
    ...(s.env !== undefined ? { env: s.env } : {}),
  }));
  const requested = t.entitlements ?? [];
  const allowed = new Set((ctx.allowed ?? []).map((a) => a.split("=")[0]));
  const missing = requested.filter((e) => !allowed.has(e.split("=")[0]!));
  if (missing.length > 0) {
    throw new TargetSpecError(
      `target "${t.name}" asks for ${missing.join(", ")}; allow it with ${missing.map((m) => `--allow ${m}`).join(" ")}`,
    );
  }
  return {
    spec: {
      contextDir,
      ...(remoteContext ? { remoteContext } : {}),
      dockerfile,
      ...(t.target ? { target: t.target } : {}),
      args: Object.fromEntries(
        Object.entries(t.args ?? {}).filter((e): e is [string, string] => e[1] !== null),
      ),
      labels: Object.fromEntries(
        Object.entries(t.labels ?? {}).filter((e): e is [string, string] => e[1] !== null),
      ),
      platforms: [...ctx.platforms],
      ...(output ? { output } : {}),
      tags,
      cacheFrom,
      cacheTo,
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
      pull: t.pull ?? false,
      ...(t.network ? { network: t.network } : {}),
      ...(t.shmSize ? { shmSize: t.shmSize } : {}),
      ulimits: t.ulimits ?? [],
      extraHosts: Object.entries(t.extraHosts ?? {})
        .filter((e): e is [string, string] => e[1] !== null)
        .map(([host, ip]) => `${host}=${ip}`),
      namedContexts,
      ...(t.attest && t.attest.length > 0 ? { attest: t.attest } : {}),
      ...(t.annotations && t.annotations.length > 0 ? { annotations: t.annotations } : {}),
      ...(ctx.noDefaultAttestations ? { noDefaultAttestations: true } : {}),
    },
    ...(handover ? { handover } : {}),
    notes,
  };
}
