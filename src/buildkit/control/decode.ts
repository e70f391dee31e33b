/** Turns decoded StatusResponse messages into the plain SolveStatus of src/progress. */
import type { SolveStatus } from "../../progress/status.js";

interface Timestamp {
  seconds?: string | number;
  nanos?: number;
}

export function toDate(t: Timestamp | null | undefined): Date | undefined {
  if (!t || (t.seconds === undefined && t.nanos === undefined)) return undefined;
  const seconds = Number(t.seconds ?? 0);
  if (seconds === 0 && !t.nanos) return undefined;
  return new Date(seconds * 1000 + Math.floor((t.nanos ?? 0) / 1e6));
}

interface RawStatus {
  vertexes?: {
    digest: string;
    inputs?: string[];
    name: string;
    cached: boolean;
    started?: Timestamp;
    completed?: Timestamp;
    error: string;
    progressGroup?: { id: string; name: string; weak: boolean } | null;
  }[];
  statuses?: {
    ID: string;
    vertex: string;
    name: string;
    current: string | number;
    total: string | number;
    timestamp?: Timestamp;
    started?: Timestamp;
    completed?: Timestamp;
  }[];
  logs?: { vertex: string; timestamp?: Timestamp; stream: string | number; msg: Uint8Array }[];
  warnings?: {
    vertex: string;
    level: string | number;
    short: Uint8Array;
    detail?: Uint8Array[];
    url: string;
    info?: { filename?: string } | null;
    ranges?: { start?: { line: number }; end?: { line: number } }[];
  }[];
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

export function decodeStatus(raw: RawStatus): SolveStatus {
  return {
    vertexes: (raw.vertexes ?? []).map((v) => ({
      digest: v.digest,
      inputs: v.inputs ?? [],
      name: v.name,
      cached: v.cached,
      error: v.error ?? "",
      ...opt("started", toDate(v.started)),
      ...opt("completed", toDate(v.completed)),
      ...(v.progressGroup?.id
        ? {
            progressGroup: {
              id: v.progressGroup.id,
              name: v.progressGroup.name,
              weak: v.progressGroup.weak,
            },
          }
        : {}),
    })),
    statuses: (raw.statuses ?? []).map((s) => ({
      id: s.ID,
      vertex: s.vertex,
      name: s.name,
      current: Number(s.current),
      total: Number(s.total),
      ...opt("timestamp", toDate(s.timestamp)),
      ...opt("started", toDate(s.started)),
      ...opt("completed", toDate(s.completed)),
    })),
    logs: (raw.logs ?? []).map((l) => ({
      vertex: l.vertex,
      stream: Number(l.stream),
      data: new Uint8Array(l.msg),
      ...opt("timestamp", toDate(l.timestamp)),
    })),
    warnings: (raw.warnings ?? []).map((w) => ({
      vertex: w.vertex,
      level: Number(w.level),
      short: Buffer.from(w.short ?? []).toString("utf8"),
      detail: (w.detail ?? []).map((d) => Buffer.from(d).toString("utf8")),
      url: w.url ?? "",
      ...opt("file", w.info?.filename || undefined),
      range: (w.ranges ?? []).map((r) => ({
        startLine: r.start?.line ?? 0,
        endLine: r.end?.line ?? 0,
      })),
    })),
  };
}
