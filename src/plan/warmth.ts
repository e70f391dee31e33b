/**
 * The small state file (.mbake/state.json) that remembers where each target last
 * built (cache warmth) and how long its recent builds took (see history.ts).
 * A missing, damaged, foreign or oversized file means starting cold.
 */
import {
  type DurationHistory,
  type DurationSample,
  durationKey,
  recordDurations,
  sanitizeHistory,
} from "./history.js";

export interface WarmthState {
  readonly version: 2;
  readonly lastEndpoint: Record<string, string>;
  readonly durations: DurationHistory;
}

/** What a run remembers for the next one. */
export interface RunMemory {
  readonly lastEndpoint: Readonly<Record<string, string>>;
  readonly durations: DurationHistory;
}

/** A state file larger than this is not read (it never grows near it: history is bounded). */
export const stateFileLimit = 1024 * 1024;

/** A job as the scheduler reports it at the end of a run (a JobResult fits). */
export interface FinishedJob {
  readonly job: {
    readonly id: string;
    readonly target: string;
    readonly platforms: readonly string[];
    readonly part?: unknown;
  };
  readonly state: string;
  readonly endpoint?: string;
  readonly startedAt?: number;
  readonly finishedAt?: number;
}

/** The key warmth is remembered under: the target, or the target@platform of a split part. */
export function warmthKey(job: FinishedJob["job"]): string {
  return job.part ? job.id : job.target;
}

export function parseRunState(text: string | undefined): RunMemory {
  const cold: RunMemory = { lastEndpoint: {}, durations: {} };
  if (!text || text.length > stateFileLimit) return cold;
  try {
    const data = JSON.parse(text) as Partial<Record<keyof WarmthState, unknown>>;
    if (data.version !== 1 && data.version !== 2) return cold;
    if (typeof data.lastEndpoint !== "object" || data.lastEndpoint === null) return cold;
    return {
      lastEndpoint: Object.fromEntries(
        Object.entries(data.lastEndpoint).filter(([, v]) => typeof v === "string"),
      ),
      durations: sanitizeHistory(data.durations),
    };
  } catch {
    return cold;
  }
}

function stateText(lastEndpoint: Record<string, string>, durations: DurationHistory): string {
  const state: WarmthState = { version: 2, lastEndpoint, durations };
  return `${JSON.stringify(state, null, 2)}\n`;
}

/**
 * The state after a run: where each finished job built, and how long it took there
 * (warm when it built where it had built last time).
 */
export function serializeRunState(previous: RunMemory, jobs: readonly FinishedJob[]): string {
  const built: [string, string][] = [];
  const samples: (DurationSample & { key: string })[] = [];
  for (const j of jobs) {
    if (j.state !== "done" || !j.endpoint) continue;
    const key = warmthKey(j.job);
    built.push([key, j.endpoint]);
    if (j.startedAt !== undefined && j.finishedAt !== undefined)
      samples.push({
        key: durationKey(j.job.target, j.job.platforms),
        ms: j.finishedAt - j.startedAt,
        warm:
          Object.hasOwn(previous.lastEndpoint, key) && previous.lastEndpoint[key] === j.endpoint,
      });
  }
  return stateText(
    Object.fromEntries([...Object.entries(previous.lastEndpoint), ...built]),
    recordDurations(previous.durations, samples),
  );
}

export function parseWarmth(text: string | undefined): Record<string, string> {
  return { ...parseRunState(text).lastEndpoint };
}

/** The state with `built` (key -> endpoint) remembered; no durations. */
export function serializeWarmth(
  previous: Readonly<Record<string, string>>,
  built: Readonly<Record<string, string>>,
): string {
  return stateText(Object.fromEntries([...Object.entries(previous), ...Object.entries(built)]), {});
}
