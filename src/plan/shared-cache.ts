/**
 * The run-wide shared cache (`--cache registry://HOST/REPO`): every target reads the
 * cache of its own platforms and of the targets it depends on, and writes its own,
 * keyed by target and platform, unless it sets cache-from/cache-to itself.
 * Where an endpoint cannot export registry cache (the Docker Engine's embedded
 * BuildKit), the image carries inline cache instead: an image target is also
 * pushed under its cache ref, and a target without an image output gets none.
 *
 * Endpoints of different ages share the refs, so what one writes the others must read:
 * BuildKit v0.21+ writes registry cache as an image manifest by default, which BuildKit
 * before v0.12 (the Docker Engine 20.10's) reads as an image without inline cache and
 * silently ignores; the shared cache is therefore written as an index (image-manifest=false),
 * which every BuildKit reads. A ref holds whichever of the two the last build wrote, and both
 * read both.
 */
import { InputError } from "../diagnostics/error-kind.js";

/** One cache import or export entry, as bake writes it: a type and its attributes. */
export type CacheEntry = Readonly<Record<string, string>>;

export interface SharedCacheTarget {
  readonly name: string;
  readonly platforms: readonly string[];
  /**
   * Every platform of the target when this build is one part of a split multi-platform
   * target: the part also reads what a whole build of all of them wrote.
   */
  readonly targetPlatforms?: readonly string[];
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

/** The ref one build of several platforms writes its one cache manifest to. */
function wholeRef(repo: string, target: string, platforms: readonly string[]): string {
  return `${repo}:${cacheTag(target, platforms.join("_"))}`;
}

/** A registry cache export every BuildKit can import (see the module comment). */
function registryExport(ref: string): CacheEntry {
  return { type: "registry", ref, mode: "max", "image-manifest": "false" };
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
  const whole = (target.targetPlatforms?.length ?? 0) > 1 && target.platforms.length === 1;
  const fromRefs = [
    ...own,
    ...(whole ? [wholeRef(repo, target.name, target.targetPlatforms!)] : []),
    ...dependencies.flatMap((d) => refsFor(repo, d.name, target.platforms)),
  ];
  const cacheFrom =
    target.cacheFrom ?? [...new Set(fromRefs)].map((ref) => ({ type: "registry", ref }));
  if (target.cacheTo) return { cacheFrom, cacheTo: target.cacheTo, extraTags: [] };
  if (canExportRegistryCache) {
    if (own.length === 1) {
      return { cacheFrom, cacheTo: [registryExport(own[0]!)], extraTags: [] };
    }
    // One build of several platforms writes one cache manifest: key it by the platform set.
    const ref = wholeRef(repo, target.name, target.platforms);
    return {
      cacheFrom: [...cacheFrom, { type: "registry", ref }],
      cacheTo: [registryExport(ref)],
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
