/**
 * What an endpoint can do, from what its daemon says about itself: BuildKit's Info (which
 * exists from BuildKit v0.11 on, so asking is itself the probe) and ListWorkers (platforms,
 * worker labels), and for a Docker Engine its API version and the image store of /info.
 * Never from a version string alone: distribution builds report BuildKit v0.0.0+unknown.
 * Pure: the client gathers the facts.
 */
import type { Capabilities } from "./solve/spec.js";

export interface DaemonFacts {
  readonly endpoint: string;
  readonly platforms: readonly string[];
  /** Labels of every worker ListWorkers reported. */
  readonly workerLabels: readonly Readonly<Record<string, string>>[];
  /** The version the workers report (BuildKit v0.11+ fills it in). */
  readonly workerVersion?: string;
  /**
   * Control.Info's answer: undefined when the daemon does not implement Info (BuildKit
   * before v0.11), else the version it reports (possibly empty).
   */
  readonly info?: { readonly version?: string };
  /** Set for a Docker Engine: its /version and /info. */
  readonly engine?: {
    readonly version?: string;
    readonly apiVersion?: string;
    /** /info Driver (overlay2, overlayfs, ...). */
    readonly storageDriver?: string;
    /** /info DriverStatus "driver-type" (io.containerd.snapshotter.v1 with the containerd image store). */
    readonly driverType?: string;
    /** /info NCPU: the CPUs the daemon can use. */
    readonly cpus?: number;
  };
  /** This machine, when the daemon is reached through a local socket. */
  readonly localHost?: { readonly hostname: string; readonly cpus: number };
}

const snapshotterLabel = "org.mobyproject.buildkit.worker.snapshotter";
const hostnameLabel = "org.mobyproject.buildkit.worker.hostname";

/**
 * The CPUs a standalone buildkitd builds on, when it can be told: BuildKit does not
 * report them, but a daemon on a local socket whose workers name this machine's host
 * runs on this machine's CPUs. Undefined otherwise (a remote daemon, or one in a
 * container, which has a host name of its own).
 */
function localCpus(f: DaemonFacts): { cpus: number; from: string } | undefined {
  const local = f.localHost;
  if (!local || !Number.isInteger(local.cpus) || local.cpus < 1 || local.hostname === "")
    return undefined;
  if (!f.workerLabels.some((l) => l[hostnameLabel] === local.hostname)) return undefined;
  return { cpus: local.cpus, from: `this machine's (worker host name ${local.hostname})` };
}
const containerdDriverType = "io.containerd.snapshotter.v1";

/** "v0.25.1", "0.12.0-rc1" -> [0, 25]; undefined for none or a distribution's v0.0.0. */
function minorVersion(version: string | undefined): [number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(version ?? "");
  if (!m) return undefined;
  const v: [number, number] = [Number(m[1]), Number(m[2])];
  return v[0] === 0 && v[1] === 0 ? undefined : v;
}

function atLeast(v: [number, number] | undefined, major: number, minor: number): boolean {
  return v !== undefined && (v[0] > major || (v[0] === major && v[1] >= minor));
}

/** Engine API "1.51" -> 51 (the minor number; the major has been 1 throughout). */
function engineApiMinor(apiVersion: string | undefined): number | undefined {
  const m = /^1\.(\d+)$/.exec(apiVersion ?? "");
  return m ? Number(m[1]) : undefined;
}

export function deriveCapabilities(f: DaemonFacts): Capabilities {
  const reported = f.info?.version || f.workerVersion;
  const version = minorVersion(reported);
  const found: string[] = [];
  // Info arrived with BuildKit v0.11 (attestations, the frontend with named contexts).
  const api011 = f.info !== undefined || atLeast(version, 0, 11);
  found.push(
    f.info !== undefined
      ? `BuildKit Info answered${f.info.version ? ` (${f.info.version})` : ""}: BuildKit API v0.11 or newer`
      : `BuildKit Info not implemented: BuildKit before v0.11${reported ? ` (workers report ${reported})` : ""}`,
  );
  if (!f.engine) {
    const local = localCpus(f);
    if (local) found.push(`CPUs: ${local.cpus}, ${local.from}`);
    return {
      endpoint: f.endpoint,
      kind: "buildkitd",
      version: `BuildKit ${reported ?? "unknown"}`,
      platforms: f.platforms,
      exporters: ["image", "local", "tar", "oci", "docker"],
      cacheExporters: ["inline", "registry", "local"],
      cacheImporters: ["registry", "local"],
      namedContexts: api011 || atLeast(version, 0, 10),
      runLimits: api011 || atLeast(version, 0, 10),
      multiPlatformImages: true,
      attestations: api011,
      subrequests: api011,
      localSessionIds: atLeast(version, 0, 15),
      exporterPushes: true,
      ...(local ? { cpus: local.cpus, cpusFrom: local.from } : {}),
      found,
    };
  }
  const api = engineApiMinor(f.engine.apiVersion);
  // The containerd image store holds multi-platform images and attestation manifests;
  // buildx recognises it by the snapshotter label of the worker, the Engine says it in /info.
  const byInfo = f.engine.driverType === containerdDriverType;
  const byWorker = f.workerLabels.some((l) => snapshotterLabel in l);
  const containerdStore = byInfo || byWorker;
  const store = containerdStore
    ? "containerd"
    : `graph driver${f.engine.storageDriver ? ` ${f.engine.storageDriver}` : ""}`;
  found.push(
    `Docker Engine ${f.engine.version ?? "unknown"}, API ${f.engine.apiVersion ?? "unknown"}`,
    containerdStore
      ? `image store: containerd (${[byInfo ? `/info driver-type ${containerdDriverType}` : "", byWorker ? `worker label ${snapshotterLabel}` : ""].filter(Boolean).join(", ")})`
      : `image store: ${store} (one platform per image, no cache export but inline)`,
  );
  // Docker 23 (API 1.42) embeds BuildKit v0.10, whose Dockerfile frontend takes named contexts.
  const namedContexts = api011 || atLeast(version, 0, 10) || (api !== undefined && api >= 42);
  return {
    endpoint: f.endpoint,
    kind: "docker-engine",
    version: `Docker Engine ${f.engine.version ?? "unknown"} (API ${f.engine.apiVersion ?? "unknown"}, ${containerdStore ? "containerd" : store} image store, embedded BuildKit${reported ? ` ${reported}` : ""})`,
    platforms: f.platforms,
    exporters: containerdStore
      ? ["moby", "local", "tar", "oci", "docker"]
      : ["moby", "local", "tar"],
    cacheExporters: containerdStore ? ["inline", "registry", "local"] : ["inline"],
    cacheImporters: ["registry", "local"],
    namedContexts,
    // shm-size and ulimit arrived in the same BuildKit (v0.10) as named contexts.
    runLimits: namedContexts,
    multiPlatformImages: containerdStore,
    attestations: containerdStore && api011,
    // Subrequests need only the frontend and the gateway, not the image store.
    subrequests: api011,
    // Docker 27.2 (API 1.47) embeds BuildKit v0.15, whose frontend takes local-sessionid.
    localSessionIds: atLeast(version, 0, 15) || (api !== undefined && api >= 47),
    exporterPushes: containerdStore,
    imageStore: containerdStore ? "containerd" : "graphdriver",
    ...(f.engine.cpus !== undefined && f.engine.cpus >= 1
      ? { cpus: f.engine.cpus, cpusFrom: "Docker Engine /info NCPU" }
      : {}),
    found,
  };
}
