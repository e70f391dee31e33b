/**
 * A BuildSpec to the pieces of a SolveRequest for the dockerfile.v0 frontend, for one
 * daemon's capabilities. Pure: the client does the I/O.
 */

import { basename } from "node:path";
import { readBoundedText, readLimits } from "../../support/read-file.js";
import type { SolveRequestMessage } from "../control/control.js";
import type { SyncDir } from "../session/filesync.js";
import { rewriteNamedContexts } from "./named-contexts.js";
import { storeImagePolicy } from "./source-policy.js";
import type { BuildSpec, Capabilities, Entry } from "./spec.js";

export class CapabilityError extends Error {
  override name = "CapabilityError";
}

export interface SolvePlan {
  readonly request: Omit<SolveRequestMessage, "Ref" | "Session">;
  readonly dirs: Record<string, SyncDir>;
  /** Where a local/tar output goes, received through FileSend. */
  readonly receive?: { readonly kind: "local" | "tar"; readonly dest: string };
  /** Image names the Engine must push after the build. */
  readonly pushAfter: readonly string[];
  /** The image tar the daemon sends is loaded into the local Docker Engine (type=docker on buildkitd). */
  readonly loadIntoDocker?: boolean;
  /** An OCI layout folder the daemon exports into through the session's content store (type=oci,tar=false). */
  readonly exportStore?: string;
  /**
   * A subrequest: the Solve goes with no frontend, and the client asks this frontend with
   * these options through LLBBridge, as the solve's client-side frontend.
   */
  readonly gateway?: { readonly frontend: string; readonly opts: Record<string, string> };
}

function toPb(entries: readonly Entry[]): { Type: string; Attrs: Record<string, string> }[] {
  return entries.map(({ type, ...attrs }) => ({ Type: type ?? "", Attrs: attrs }));
}

/** Checks what the daemon cannot do, before anything starts. */
export function assertCapable(spec: BuildSpec, caps: Capabilities): void {
  const out = spec.output;
  const where = `endpoint ${caps.endpoint} (${caps.version})`;
  if (spec.call && !caps.subrequests) {
    const name = spec.call === "lint" ? "check" : spec.call;
    throw new CapabilityError(
      `${where} cannot answer --call ${name}: its Dockerfile frontend takes no subrequests (they need BuildKit v0.11+, Docker Engine 23+); use a newer endpoint`,
    );
  }
  if (
    out &&
    ["image", "registry", "docker"].includes(out.type ?? "") &&
    spec.platforms.length > 1 &&
    !caps.multiPlatformImages
  ) {
    throw new CapabilityError(
      `${where} cannot export a multi-platform image (${spec.platforms.join(", ")}) to its image store; build one platform per job or use a buildkitd endpoint`,
    );
  }
  if ((spec.shmSize || spec.ulimits.length > 0) && caps.runLimits === false) {
    throw new CapabilityError(
      `${where} would ignore ${[spec.shmSize ? "shm-size" : "", spec.ulimits.length > 0 ? "ulimits" : ""].filter(Boolean).join(" and ")}: its BuildKit predates them (they need v0.10); leave them out or use a newer endpoint`,
    );
  }
  for (const c of spec.cacheTo) {
    if (!caps.cacheExporters.includes(c.type ?? "")) {
      throw new CapabilityError(
        `${where} cannot export "${c.type}" cache (it supports: ${caps.cacheExporters.join(", ") || "none"}); use cache-to type=inline or another endpoint`,
      );
    }
  }
  for (const c of spec.cacheFrom) {
    if (!caps.cacheImporters.includes(c.type ?? "")) {
      throw new CapabilityError(
        `${where} cannot import "${c.type}" cache (it supports: ${caps.cacheImporters.join(", ")})`,
      );
    }
  }
  if (
    out &&
    !["image", "registry", "docker", "local", "tar", "cacheonly", "oci"].includes(out.type ?? "")
  ) {
    throw new CapabilityError(`output type "${out.type}" is not supported by mbake`);
  }
  if (out?.type === "oci" && !caps.exporters.includes("oci")) {
    throw new CapabilityError(
      `${where} cannot export an OCI layout (its exporters: ${caps.exporters.join(", ")}); use type=local, type=tar or type=image, or an Engine with the containerd image store`,
    );
  }
  if ((out?.type === "registry" || out?.push === "true") && spec.tags.length === 0 && !out.name) {
    throw new CapabilityError(
      "pushing needs an image name: set tags on the target (or name= in the output)",
    );
  }
}

const annotationTypes = new Set(["index", "index-descriptor", "manifest", "manifest-descriptor"]);

/**
 * buildx's annotations to exporter attributes: `KEY=V` is annotation.KEY,
 * `manifest[linux/arm64]:KEY=V` is annotation-manifest[linux/arm64].KEY, and
 * `index,manifest:KEY=V` names several types at once.
 */
export function annotationAttrs(annotations: readonly string[]): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const text of annotations) {
    if (text === "") continue;
    const eq = text.indexOf("=");
    if (eq < 0) throw new CapabilityError(`invalid annotation "${text}", expected key=value`);
    const left = text.slice(0, eq);
    const value = text.slice(eq + 1);
    const colon = left.indexOf(":");
    if (colon < 0) {
      attrs[`annotation.${left}`] = value;
      continue;
    }
    const key = left.slice(colon + 1);
    for (const typed of left.slice(0, colon).split(",")) {
      const m = /^([a-z-]+)(?:\[([A-Za-z0-9_/-]+)\])?$/.exec(typed);
      if (!m)
        throw new CapabilityError(
          `invalid annotation type "${typed}" in "${text}", expected a type and an optional platform in square brackets`,
        );
      const [, type, platform] = m as unknown as [string, string, string | undefined];
      if (!annotationTypes.has(type))
        throw new CapabilityError(
          `unknown annotation type "${type}" in "${text}" (use index, index-descriptor, manifest or manifest-descriptor)`,
        );
      const scoped = platform && type.startsWith("manifest") ? `[${platform}]` : "";
      attrs[`annotation-${type}${scoped}.${key}`] = value;
    }
  }
  return attrs;
}

/** One key=value of an attest value, quoted as Go's csv writer does when needed. */
function csvPair(key: string, value: string): string {
  const pair = `${key}=${value}`;
  return /[",\n\r]/.test(pair) ? `"${pair.replace(/"/g, '""')}"` : pair;
}

/**
 * The frontend's attest:TYPE attributes for a target's attest entries (buildx's
 * Attests.ToMap: the first entry of a type wins, disabled=true leaves it out), plus
 * buildx's default provenance (mode=min) where the daemon can attach attestations.
 */
export function attestationAttrs(spec: BuildSpec, caps: Capabilities): Record<string, string> {
  const byType = new Map<string, string | null>();
  for (const e of spec.attest ?? []) {
    const type = e.type ?? "";
    if (byType.has(type)) continue;
    if (e.disabled === "true") {
      byType.set(type, null);
      continue;
    }
    const rest = Object.keys(e)
      .filter((k) => k !== "type" && k !== "disabled")
      .sort()
      .map((k) => csvPair(k, e[k]!));
    byType.set(type, [csvPair("type", type), ...rest].join(","));
  }
  const wanted = [...byType].filter((e): e is [string, string] => e[1] !== null);
  if (wanted.length > 0 && !caps.attestations) {
    const why =
      caps.imageStore === "graphdriver"
        ? "the Engine's image store (a graph driver) keeps no attestation manifests; turn on its containerd image store, use another endpoint, or leave attest out"
        : "they need BuildKit 0.11 or newer; use a newer endpoint or leave attest out";
    throw new CapabilityError(
      `endpoint ${caps.endpoint} (${caps.version}) cannot attach attestations (${wanted.map(([t]) => t).join(", ")}): ${why}`,
    );
  }
  const attrs: Record<string, string> = {};
  for (const [type, value] of wanted) attrs[`attest:${type}`] = value;
  if (caps.attestations && !byType.has("provenance") && !spec.noDefaultAttestations)
    attrs["attest:provenance"] = "mode=min,inline-only=true";
  return attrs;
}

/**
 * A size as Docker writes it ("64m", "1g", "512MiB", "1048576") in bytes, as buildx
 * converts shm-size before sending it (the frontend takes a number only). Units are 1024s.
 */
export function ramInBytes(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(text.trim());
  if (!m) throw new CapabilityError(`invalid ${what} "${text}": give a size such as 64m or 1g`);
  const power = m[2] ? "kmgtp".indexOf(m[2].toLowerCase()) + 1 : 0;
  return Math.floor(Number(m[1]) * 1024 ** power);
}

/** The Dockerfile's name as the frontend looks for it in the `dockerfile` folder or context. */
function dockerfileName(spec: BuildSpec): string {
  return spec.dockerfile.kind === "file"
    ? basename(spec.dockerfile.path)
    : spec.dockerfile.kind === "in-context"
      ? spec.dockerfile.path
      : "Dockerfile";
}

/**
 * Where the daemon looks up a base image's tag (FROM, docker-image:// contexts): --pull asks
 * the registry every time. A Docker Engine otherwise looks in its own image store first, as
 * buildx's docker driver asks ("local"): an image pulled or built there is used with no
 * registry round trip, and one only there (a local tag) is found. Elsewhere the daemon's
 * default stands (buildkitd asks the registry).
 */
function imageResolveMode(spec: BuildSpec, caps: Capabilities): string | undefined {
  if (spec.pull) return "pull";
  return caps.kind === "docker-engine" ? "local" : undefined;
}

/** The frontend attributes that come straight from the spec (named contexts come later). */
function frontendAttrs(
  spec: BuildSpec,
  caps: Capabilities,
  filename: string,
): Record<string, string> {
  const attrs: Record<string, string> = {};
  attrs.filename = filename;
  if (spec.remoteContext) {
    attrs.context = spec.remoteContext;
    // A Dockerfile mbake sends (inline or local) wins over one in the remote context.
    if (spec.dockerfile.kind !== "in-context") attrs.dockerfilekey = "dockerfile";
  }
  if (spec.target) attrs.target = spec.target;
  for (const [k, v] of Object.entries(spec.args)) attrs[`build-arg:${k}`] = v;
  for (const [k, v] of Object.entries(spec.labels)) attrs[`label:${k}`] = v;
  if (spec.platforms.length > 0) attrs.platform = spec.platforms.join(",");
  if (spec.noCache) attrs["no-cache"] = "";
  else if (spec.noCacheFilter.length > 0) attrs["no-cache"] = spec.noCacheFilter.join(",");
  const resolveMode = imageResolveMode(spec, caps);
  if (resolveMode) attrs["image-resolve-mode"] = resolveMode;
  if (spec.network) attrs["force-network-mode"] = spec.network;
  if (spec.extraHosts.length > 0) attrs["add-hosts"] = spec.extraHosts.join(",");
  if (spec.shmSize) attrs["shm-size"] = String(ramInBytes(spec.shmSize, "shm-size"));
  if (spec.ulimits.length > 0) attrs.ulimit = spec.ulimits.join(",");
  Object.assign(attrs, attestationAttrs(spec, caps));
  const registryImports = spec.cacheFrom
    .filter((c) => c.type === "registry" && c.ref)
    .map((c) => c.ref!);
  if (registryImports.length > 0) attrs["cache-from"] = registryImports.join(",");
  if (spec.cacheFrom.length > 0) attrs["cache-imports"] = JSON.stringify(toPb(spec.cacheFrom));
  return attrs;
}

/**
 * The folders the session serves (context, named contexts, the Dockerfile) and the
 * `context:NAME` attributes; on daemons without named contexts they are written into
 * the Dockerfile instead.
 */
function sessionDirs(
  spec: BuildSpec,
  caps: Capabilities,
  filename: string,
  readText: (path: string) => string,
): { dirs: Record<string, SyncDir>; contextAttrs: Record<string, string> } {
  const contextAttrs: Record<string, string> = {};
  let dockerfileText =
    spec.dockerfile.kind === "inline"
      ? spec.dockerfile.text
      : spec.dockerfile.kind === "file"
        ? readText(spec.dockerfile.path)
        : undefined;
  const dirs: Record<string, SyncDir> = spec.remoteContext
    ? {}
    : { context: { kind: "fs", path: spec.contextDir } };
  if (Object.keys(spec.namedContexts).length > 0) {
    if (caps.namedContexts) {
      for (const [name, value] of Object.entries(spec.namedContexts)) {
        if (value.startsWith("docker-image://") || value.startsWith("oci-layout://"))
          contextAttrs[`context:${name}`] = value;
        else {
          contextAttrs[`context:${name}`] = `local:${name}`;
          dirs[name] = { kind: "fs", path: value };
        }
      }
    } else if (dockerfileText === undefined) {
      throw new CapabilityError(
        `named contexts on ${caps.endpoint} are written into the Dockerfile, which mbake cannot do for one read from the remote context ${spec.remoteContext}; give dockerfile-inline or a local dockerfile`,
      );
    } else {
      dockerfileText = rewriteNamedContexts(dockerfileText, spec.namedContexts, caps.endpoint);
    }
  }
  if (dockerfileText !== undefined) {
    dirs.dockerfile = {
      kind: "memory",
      files: { [filename]: { data: Buffer.from(dockerfileText) } },
    };
  }
  return { dirs, contextAttrs };
}

interface ExportPlan {
  exporter?: { type: string; attrs: Record<string, string> };
  receive?: SolvePlan["receive"];
  loadIntoDocker?: boolean;
  exportStore?: string;
  pushAfter: string[];
}

/** An image, registry or docker output: which exporter stores, pushes or sends the image. */
function imageExport(
  type: "image" | "registry" | "docker",
  dest: string | undefined,
  rest: Record<string, string>,
  names: readonly string[],
  caps: Capabilities,
): ExportPlan {
  const where = `endpoint ${caps.endpoint} (${caps.version})`;
  const pushAfter: string[] = [];
  const push = type === "registry" || rest.push === "true";
  if (caps.kind === "docker-engine" && !(type === "docker" && dest)) {
    // The Engine's own exporter stores the image; with the containerd image store it
    // also pushes (as buildx's docker driver asks it to), else mbake pushes afterwards.
    const { push: _push, ...kept } = rest;
    const exporter = {
      type: "moby",
      attrs: caps.exporterPushes
        ? {
            ...kept,
            ...(names.length > 0 ? { name: names.join(",") } : {}),
            ...(push ? { push: "true" } : {}),
          }
        : names.length > 0
          ? { name: names.join(",") }
          : {},
    };
    if (push && !caps.exporterPushes) pushAfter.push(...names);
    return { exporter, pushAfter };
  }
  if (type === "docker") {
    if (caps.kind === "docker-engine" && !caps.exporters.includes("docker"))
      throw new CapabilityError(
        `${where} cannot write an image tar (type=docker,dest=); leave dest out to keep the image in its store, or use an Engine with the containerd image store`,
      );
    // buildkitd's docker exporter sends an image tar: to a file with dest=, else
    // into the local Docker Engine (as buildx's --load does).
    if (rest.context)
      throw new CapabilityError(
        `output type=docker,context=${rest.context} is not supported by mbake: it loads into the Docker Engine of DOCKER_HOST; or write a tar with dest=`,
      );
    const exporter = {
      type: "docker",
      attrs: { ...rest, ...(names.length > 0 ? { name: names.join(",") } : {}) },
    };
    if (dest) return { exporter, receive: { kind: "tar", dest }, pushAfter };
    return { exporter, loadIntoDocker: true, pushAfter };
  }
  const exporter = {
    type: "image",
    attrs: {
      ...rest,
      ...(names.length > 0 ? { name: names.join(",") } : {}),
      ...(push ? { push: "true" } : {}),
    },
  };
  return { exporter, pushAfter };
}

/** How the spec's output leaves the daemon: exporter, what mbake receives, pushes or loads. */
function exportPlan(spec: BuildSpec, caps: Capabilities): ExportPlan {
  const out = spec.output;
  const names = out?.name ? out.name.split(",") : [...spec.tags];
  const annotations = annotationAttrs(spec.annotations ?? []);
  if (
    !caps.multiPlatformImages &&
    Object.keys(annotations).some((k) => k.startsWith("annotation-index"))
  ) {
    throw new CapabilityError(
      `endpoint ${caps.endpoint} (${caps.version}) exports single-platform images to its store: index annotations do not apply; use manifest annotations`,
    );
  }
  let plan: ExportPlan = { pushAfter: [] };
  if (out) {
    const { type, dest, ...rest } = out;
    switch (type) {
      case "local":
      case "tar":
        if (!dest)
          throw new CapabilityError(
            `output type=${type} needs dest= (a ${type === "local" ? "folder" : "file, or - for stdout"})`,
          );
        plan = {
          exporter: { type: type, attrs: rest },
          receive: { kind: type, dest },
          pushAfter: [],
        };
        break;
      case "image":
      case "registry":
      case "docker":
        plan = imageExport(type, dest, rest, names, caps);
        break;
      case "oci":
        if (!dest) throw new CapabilityError("output type=oci needs dest=");
        plan = {
          exporter: {
            type: "oci",
            attrs: {
              ...rest,
              ...(names.length > 0 && !rest.name ? { name: names.join(",") } : {}),
            },
          },
          pushAfter: [],
        };
        // tar=false: the daemon writes the layout's blobs into dest through the session.
        if (rest.tar === "false") plan.exportStore = dest;
        else plan.receive = { kind: "tar", dest };
        break;
      default:
        break;
    }
  }
  // As buildx does, every output gets the annotations (exporters that make no image ignore them).
  const { exporter } = plan;
  if (exporter) plan.exporter = { ...exporter, attrs: { ...exporter.attrs, ...annotations } };
  return plan;
}

/** A subrequest (outline, targets, lint): no export, no cache export, the frontend asked through the gateway. */
function subrequestPlan(
  call: string,
  attrs: Record<string, string>,
  dirs: Record<string, SyncDir>,
): SolvePlan {
  const opts = {
    ...attrs,
    // As buildx asks: the frontend may forward the subrequest to a # syntax= frontend.
    "frontend.caps": [attrs["frontend.caps"], "moby.buildkit.frontend.subrequests+forward"]
      .filter(Boolean)
      .join(","),
    requestid: `frontend.${call}`,
  };
  return {
    request: { Frontend: "", FrontendAttrs: opts, Entitlements: [] },
    dirs,
    pushAfter: [],
    gateway: { frontend: "dockerfile.v0", opts },
  };
}

export function planSolve(
  spec: BuildSpec,
  caps: Capabilities,
  readText: (path: string) => string = (p) => readBoundedText(p, readLimits.bakeFile, "Dockerfile"),
): SolvePlan {
  assertCapable(spec, caps);
  const filename = dockerfileName(spec);
  const attrs = frontendAttrs(spec, caps, filename);
  const { dirs, contextAttrs } = sessionDirs(spec, caps, filename, readText);
  Object.assign(attrs, contextAttrs);
  if (spec.call) return subrequestPlan(spec.call, attrs, dirs);
  const { exporter, receive, loadIntoDocker, exportStore, pushAfter } = exportPlan(spec, caps);
  const cache = {
    Imports: toPb(spec.cacheFrom),
    Exports: toPb(spec.cacheTo),
  };
  // Named contexts from the Engine's store: read from there alone (an older frontend gets
  // them written into the Dockerfile's FROM, which image-resolve-mode already covers).
  const policy = caps.namedContexts ? storeImagePolicy(spec.storeImages ?? []) : undefined;
  return {
    request: {
      Frontend: "dockerfile.v0",
      FrontendAttrs: attrs,
      ...(exporter ? { Exporter: exporter.type, ExporterAttrs: exporter.attrs } : {}),
      Cache: cache,
      Entitlements: [...(spec.entitlements ?? [])],
      ...(policy ? { SourcePolicy: policy } : {}),
    },
    dirs,
    ...(receive ? { receive } : {}),
    pushAfter,
    ...(loadIntoDocker ? { loadIntoDocker } : {}),
    ...(exportStore ? { exportStore } : {}),
  };
}
