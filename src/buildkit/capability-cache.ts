/**
 * What each endpoint can do, remembered for a short time (.mbake/capabilities.json) so a
 * run does not ask the daemon again: asking costs a ListWorkers, an Info and, for a Docker
 * Engine, /version and /info, on every run. An answer is used only for the same daemon
 * process: each entry carries a mark of the daemon's start (its socket file's identity,
 * which a restarted daemon makes anew) and is dropped when the mark differs or the entry is
 * older than `capabilityCacheTtlMs`. Pure: the caller reads and writes the file and takes
 * the mark.
 */
import type { Capabilities } from "./solve/spec.js";

/** How long an answer is trusted, even from the same daemon process. */
export const capabilityCacheTtlMs = 10 * 60_000;
/** At most this many endpoints are remembered (the oldest go first). */
export const capabilityCacheEntries = 32;

export interface CachedCapabilities {
  readonly address: string;
  /** The daemon's start mark when the answer was given. */
  readonly mark: string;
  /** When (ms since the epoch) the answer was given. */
  readonly savedAt: number;
  readonly caps: Capabilities;
}

export interface CapabilityCache {
  readonly entries: readonly CachedCapabilities[];
}

export const emptyCapabilityCache: CapabilityCache = { entries: [] };

/** The answer for `address`, if one was given by the daemon now marked `mark`, recently. */
export function lookupCapabilities(
  cache: CapabilityCache,
  address: string,
  mark: string,
  now: number,
): Capabilities | undefined {
  const e = cache.entries.find((x) => x.address === address);
  if (!e || e.mark !== mark) return undefined;
  // A clock that went back makes the age negative: trust nothing then either.
  const age = now - e.savedAt;
  return age >= 0 && age < capabilityCacheTtlMs ? e.caps : undefined;
}

/** The cache with `caps` recorded for `address`; expired entries and the oldest beyond the bound go. */
export function rememberCapabilities(
  cache: CapabilityCache,
  address: string,
  mark: string,
  caps: Capabilities,
  now: number,
): CapabilityCache {
  const kept = cache.entries.filter(
    (e) => e.address !== address && now - e.savedAt >= 0 && now - e.savedAt < capabilityCacheTtlMs,
  );
  const entries = [...kept, { address, mark, savedAt: now, caps }]
    .sort((a, b) => b.savedAt - a.savedAt)
    .slice(0, capabilityCacheEntries);
  return { entries };
}

export function serializeCapabilityCache(cache: CapabilityCache): string {
  return `${JSON.stringify({ version: 1, entries: cache.entries }, null, 2)}\n`;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isStringList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === "string");
const optional = (v: unknown, test: (x: unknown) => boolean) => v === undefined || test(v);
const isBool = (v: unknown) => typeof v === "boolean";

/** The Capabilities in `v`, when every field has the type it must have; else undefined. */
function asCapabilities(v: unknown): Capabilities | undefined {
  if (!isRecord(v)) return undefined;
  const ok =
    typeof v.endpoint === "string" &&
    (v.kind === "docker-engine" || v.kind === "buildkitd") &&
    typeof v.version === "string" &&
    isStringList(v.platforms) &&
    isStringList(v.exporters) &&
    isStringList(v.cacheExporters) &&
    isStringList(v.cacheImporters) &&
    isBool(v.namedContexts) &&
    isBool(v.multiPlatformImages) &&
    optional(v.attestations, isBool) &&
    optional(v.exporterPushes, isBool) &&
    optional(v.runLimits, isBool) &&
    optional(v.subrequests, isBool) &&
    optional(v.imageStore, (x) => x === "containerd" || x === "graphdriver") &&
    optional(v.cpus, (x) => Number.isInteger(x) && (x as number) >= 1) &&
    optional(v.cpusFrom, (x) => typeof x === "string") &&
    optional(v.found, isStringList);
  return ok ? (v as unknown as Capabilities) : undefined;
}

/** The cache in a file's text; anything that is not a cache this version wrote counts as empty. */
export function parseCapabilityCache(text: string | undefined): CapabilityCache {
  if (text === undefined) return emptyCapabilityCache;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return emptyCapabilityCache;
  }
  if (!isRecord(data) || data.version !== 1 || !Array.isArray(data.entries))
    return emptyCapabilityCache;
  const entries: CachedCapabilities[] = [];
  for (const e of data.entries.slice(0, capabilityCacheEntries)) {
    if (!isRecord(e)) continue;
    const caps = asCapabilities(e.caps);
    if (
      caps &&
      typeof e.address === "string" &&
      typeof e.mark === "string" &&
      typeof e.savedAt === "number" &&
      Number.isFinite(e.savedAt)
    )
      entries.push({ address: e.address, mark: e.mark, savedAt: e.savedAt, caps });
  }
  return { entries };
}
