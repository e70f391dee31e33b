/**
 * How long jobs took before, per target and platform, and what placement expects of
 * them from that: their duration on a cold endpoint and on a warm one (whose cache
 * holds an earlier build). Kept small: a few recent samples per job, a bounded
 * number of jobs, the least recently built dropped first.
 */

/** One finished build: how long it took and whether its endpoint was warm. */
export interface DurationSample {
  readonly ms: number;
  readonly warm: boolean;
}

/** Recent samples by job key (see durationKey), the least recently built first. */
export type DurationHistory = Readonly<Record<string, readonly DurationSample[]>>;

/** What placement expects of a job: its duration on a cold endpoint and where it is warm. */
export interface JobExpectation {
  readonly coldMs: number;
  readonly warmMs: number;
  /** Endpoints whose cache holds an earlier build of the job. */
  readonly warmOn: readonly string[];
}

/** Samples kept per job. */
export const samplesPerJob = 5;
/** Jobs kept in the history. */
export const jobsKept = 500;
/** Without a sample of one kind, a warm build is taken to need this share of a cold one. */
const warmShare = 0.75;

/** The key of a job in the history: its target and platforms. */
export function durationKey(target: string, platforms: readonly string[]): string {
  return platforms.length > 0 ? `${target}@${[...platforms].sort().join(",")}` : target;
}

/** The median of `values` (the mean of the middle two for an even count); undefined for none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Cold and warm durations from a job's samples (medians); undefined without samples. */
export function expectedDurations(
  samples: readonly DurationSample[] | undefined,
): { coldMs: number; warmMs: number } | undefined {
  const cold = median((samples ?? []).filter((s) => !s.warm).map((s) => s.ms));
  const warm = median((samples ?? []).filter((s) => s.warm).map((s) => s.ms));
  if (cold === undefined && warm === undefined) return undefined;
  const coldMs = cold ?? warm! / warmShare;
  const warmMs = warm ?? cold! * warmShare;
  return { coldMs, warmMs };
}

/** The history with this run's samples added, bounded in samples per job and in jobs. */
export function recordDurations(
  history: DurationHistory,
  samples: readonly (DurationSample & { readonly key: string })[],
): Record<string, DurationSample[]> {
  const added = new Map<string, DurationSample[]>();
  for (const s of samples) {
    if (!Number.isFinite(s.ms) || s.ms < 0) continue;
    added.set(s.key, [...(added.get(s.key) ?? []), { ms: Math.round(s.ms), warm: s.warm }]);
  }
  // Untouched jobs keep their order; jobs built now move to the end (most recent).
  const entries: [string, DurationSample[]][] = [];
  for (const [key, list] of Object.entries(history))
    if (!added.has(key)) entries.push([key, [...list]]);
  for (const [key, list] of added)
    entries.push([
      key,
      [...(Object.hasOwn(history, key) ? history[key]! : []), ...list].slice(-samplesPerJob),
    ]);
  // fromEntries defines own properties: a key such as "__proto__" stays plain data.
  return Object.fromEntries(entries.slice(-jobsKept));
}

/** Keeps only well-formed samples of a parsed history, within the bounds. */
export function sanitizeHistory(data: unknown): Record<string, DurationSample[]> {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return {};
  const entries: [string, DurationSample[]][] = [];
  for (const [key, list] of Object.entries(data).slice(-jobsKept)) {
    if (!Array.isArray(list)) continue;
    const samples = list
      .filter(
        (s): s is DurationSample =>
          typeof s === "object" &&
          s !== null &&
          typeof s.ms === "number" &&
          Number.isFinite(s.ms) &&
          s.ms >= 0 &&
          typeof s.warm === "boolean",
      )
      .slice(-samplesPerJob)
      .map((s) => ({ ms: s.ms, warm: s.warm }));
    if (samples.length > 0) entries.push([key, samples]);
  }
  return Object.fromEntries(entries);
}
