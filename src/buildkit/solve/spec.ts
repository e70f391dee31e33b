/** What one build needs from the BuildKit client: a target, as the client sees it. */
import type { SecretSpec } from "../session/secrets.js";

export type Entry = Readonly<Record<string, string>>;

export interface BuildSpec {
  /** Absolute path of the build context folder. */
  readonly contextDir: string;
  readonly dockerfile:
    | { readonly kind: "file"; readonly path: string }
    | { readonly kind: "inline"; readonly text: string }
    /** A path inside a remote context: the daemon reads it from there. */
    | { readonly kind: "in-context"; readonly path: string };
  /**
   * A git repository or an http(s) URL (a tarball, or one Dockerfile) that the daemon
   * fetches itself as the build context; contextDir is then only the working folder.
   */
  readonly remoteContext?: string;
  readonly target?: string;
  readonly args: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly platforms: readonly string[];
  /** At most one output (several exporters need BuildKit v0.13+). */
  readonly output?: Entry;
  readonly tags: readonly string[];
  readonly cacheFrom: readonly Entry[];
  readonly cacheTo: readonly Entry[];
  readonly secrets: readonly SecretSpec[];
  /** Entitlements granted to this build (network.host, security.insecure). */
  readonly entitlements?: readonly string[];
  /** SSH agents to forward (`default` is SSH_AUTH_SOCK). */
  readonly ssh?: readonly { readonly id: string; readonly paths?: readonly string[] }[];
  readonly noCache: boolean;
  readonly noCacheFilter: readonly string[];
  readonly pull: boolean;
  readonly network?: string;
  readonly shmSize?: string;
  readonly ulimits: readonly string[];
  readonly extraHosts: readonly string[];
  /** OCI annotations for the image outputs ("[TYPE[PLATFORM],...:]KEY=VALUE", as buildx). */
  readonly annotations?: readonly string[];
  /** Attestations to produce (type=provenance|sbom, ...), as buildx's attest entries. */
  readonly attest?: readonly Entry[];
  /** Leave out the provenance attestation buildx adds by default. */
  readonly noDefaultAttestations?: boolean;
  /** name -> "docker-image://REF" or an absolute folder path. */
  readonly namedContexts: Readonly<Record<string, string>>;
  /**
   * Images of namedContexts that only the Docker Engine's image store holds (target:
   * dependencies handed over there): read from the store with no registry lookup.
   */
  readonly storeImages?: readonly string[];
  /**
   * A Dockerfile frontend subrequest instead of a build (`--call outline|targets`, and
   * `lint` for `--check`): nothing is exported, the answer comes back as result.* keys.
   */
  readonly call?: string;
}

/** What a daemon can do, found from the daemon itself per endpoint (see ../capabilities.ts). */
export interface Capabilities {
  readonly endpoint: string;
  readonly kind: "docker-engine" | "buildkitd";
  readonly version: string;
  readonly platforms: readonly string[];
  readonly exporters: readonly string[];
  readonly cacheExporters: readonly string[];
  readonly cacheImporters: readonly string[];
  readonly namedContexts: boolean;
  readonly multiPlatformImages: boolean;
  /** Whether the image exporter can attach attestations (BuildKit 0.11+, an image store that keeps them). */
  readonly attestations?: boolean;
  /**
   * The image exporter pushes to a registry itself (push=true); false on an Engine with a
   * graph driver store, where mbake pushes through the Engine API after the build.
   */
  readonly exporterPushes?: boolean;
  /** RUN takes shm-size and ulimits from the frontend attributes (BuildKit 0.10+); older ones ignore them. */
  readonly runLimits?: boolean;
  /**
   * The Dockerfile frontend answers subrequests (--call outline/targets/check) and the
   * daemon lets a client act as the frontend through LLBBridge (BuildKit v0.11+).
   */
  readonly subrequests?: boolean;
  /**
   * The Dockerfile frontend reads a local folder through the session named by
   * `local-sessionid:NAME` (BuildKit v0.15+), so concurrent solves can share one.
   */
  readonly localSessionIds?: boolean;
  /** A Docker Engine's image store. */
  readonly imageStore?: "containerd" | "graphdriver";
  /**
   * CPUs the daemon builds on, where they can be told (a Docker Engine's /info NCPU, or
   * this machine's for a buildkitd on it): placement's idea of its capacity.
   */
  readonly cpus?: number;
  /** Where `cpus` comes from, for `mbake endpoints inspect`. */
  readonly cpusFrom?: string;
  /** What the daemon said that these capabilities come from, for `mbake endpoints inspect`. */
  readonly found?: readonly string[];
}
