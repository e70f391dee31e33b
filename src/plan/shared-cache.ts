/**
 * The run-wide shared cache (`--cache registry://HOST/REPO`): every target reads the
 * cache of its own platforms and of the targets it depends on, and writes its own,
 * keyed by target and platform, unless it sets cache-from/cache-to itself.
 * Where an endpoint cannot export registry cache (the Docker Engine's embedded
 * BuildKit), the image carries inline cache instead: an image target is also
 * pushed under its cache ref, and a target without an image output gets none.
 */
import { InputError } from "../diagnostics/error-kind.js";

/** One cache import or export entry, as bake writes it: a type and its attributes. */
export type CacheEntry = Readonly<Record<string, string>>;

export interface SharedCacheTarget {
  readonly name: string;
  readonly platforms: readonly string[];
  readonly cacheFrom?: readonly CacheEntry[];
  readonly cacheTo?: readonly CacheEntry[];
  /** True when the build exports an image (so inline cache can travel with it). */
  readonly exportsImage: boolean;
}

export interface SharedCacheDecision {
  readonly cacheFrom: readonly CacheEntry[];
  readonly cacheTo: readonly CacheEntry[];
  /** Extra image names to push the image under (inline cache fallback). */
  readonly extraTags: readonly string[];
  /** Why the shared cache could not be written, for a one-time warning. */
  readonly note?: string;
}

export class SharedCacheError extends InputError {
  override name = "SharedCacheError";
}

/** Parses `registry://HOST[:PORT]/REPO` (or a bare `HOST/REPO`) into the repository reference. */
export function parseSharedCache(setting: string): string {
  const repo = setting.replace(/^registry:\/\//, "");
  if (!/^[A-Za-z0-9.-]+(:[0-9]+)?\/[a-z0-9]+([._/-][a-z0-9]+)*$/.test(repo)) {
    throw new SharedCacheError(
      `invalid --cache "${setting}": write registry://HOST[:PORT]/REPOSITORY (lowercase repository path, no tag)`,
    );
  }
  return repo;
}

/** A tag naming a target's cache for one platform (tags allow [A-Za-z0-9_.-], at most 128 characters). */
export function cacheTag(target: string, platform: string | undefined): string {
  const raw = platform ? `${target}-${platform.replace(/\//g, "-")}` : target;
  const clean = raw.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^[.-]+/, "");
  return clean.slice(0, 128) || "cache";
}

function refsFor(repo: string, target: string, platforms: readonly string[]): string[] {
  if (platforms.length === 0) return [`${repo}:${cacheTag(target, undefined)}`];
  return platforms.map((p) => `${repo}:${cacheTag(target, p)}`);
}

/**
 * What one build reads and writes. `dependencies` are the targets this one
 * builds on (their cache is relevant too); `canExportRegistryCache` comes from the
 * endpoint's capabilities.
 */
export function sharedCacheFor(
  repo: string,
  target: SharedCacheTarget,
  dependencies: readonly SharedCacheTarget[],
  canExportRegistryCache: boolean,
): SharedCacheDecision {
  const own = refsFor(repo, target.name, target.platforms);
  const fromRefs = [
    ...own,
    ...dependencies.flatMap((d) => refsFor(repo, d.name, target.platforms)),
  ];
  const cacheFrom =
    target.cacheFrom ?? [...new Set(fromRefs)].map((ref) => ({ type: "registry", ref }));
  if (target.cacheTo) return { cacheFrom, cacheTo: target.cacheTo, extraTags: [] };
  if (canExportRegistryCache) {
    if (own.length === 1) {
      return {
        cacheFrom,
        cacheTo: [{ type: "registry", ref: own[0]!, mode: "max" }],
        extraTags: [],
      };
    }
    // One build of several platforms writes one cache manifest: key it by the platform set.
    const ref = `${repo}:${cacheTag(target.name, target.platforms.join("+").replace(/\+/g, "_"))}`;
    return {
      cacheFrom: [...cacheFrom, { type: "registry", ref }],
      cacheTo: [{ type: "registry", ref, mode: "max" }],
      extraTags: [],
    };
  }
  if (target.exportsImage && own.length === 1) {
    return {
      cacheFrom,
      cacheTo: [{ type: "inline" }],
      extraTags: own,
      note: "an endpoint cannot export registry cache (Docker Engine's embedded BuildKit): the shared cache is written as inline cache in the pushed images",
    };
  }
  return {
    cacheFrom,
    cacheTo: [],
    extraTags: [],
    note: target.exportsImage
      ? `${target.name}: this endpoint cannot export registry cache and a multi-platform image cannot carry inline cache here; the shared cache is read, not written`
      : `${target.name}: this endpoint cannot export registry cache and the target exports no image to carry inline cache; the shared cache is read, not written`,
  };
}
