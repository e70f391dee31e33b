/**
 * Plain progress lines, like buildx's `--progress=plain`, prefixed by target (and
 * endpoint when several run): `#3 [app linux/amd64 @a] [build 2/3] RUN make`,
 * log lines `#3 0.412 text`, then `#3 DONE 1.2s`, `#3 CACHED` or `#3 ERROR: ...`.
 */

import { humanSize } from "../support/human-size.js";
import type { JobRef, RunEvent } from "./events.js";
import type { Masker, StreamMasker } from "./mask.js";
import {
  cleanLogLine,
  failingStep,
  formatDuration,
  initialState,
  jobKey,
  type RunState,
  reduce,
} from "./model.js";
import type { Renderer } from "./renderer.js";
import type { SolveStatus, VertexLog, VertexProgress, VertexStatus } from "./status.js";
import { buildWarningLines, formatTable, summaryRows } from "./summary.js";

interface VertexLine {
  readonly n: number;
  name: string;
  started?: number;
  announced: boolean;
  done: boolean;
  /** It ended, then BuildKit started it again (pulling cached layers, sending a context). */
  restarted: boolean;
  partial: string;
}

/** A running sub-progress (a context transfer, a layer pull) is told again at most this often. */
const statusEveryMs = 2000;

/**
 * A sub-progress of a step as buildx's plain output tells it: `transferring context:
 * 52.43MB 4.1s` while it runs, `transferring context: 39B done` when it ends.
 */
export function statusText(st: VertexProgress): string {
  const amount =
    st.total > 0
      ? `${humanSize(st.current)} / ${humanSize(st.total)}`
      : st.current > 0
        ? humanSize(st.current)
        : "";
  const end = st.completed ?? st.timestamp;
  const seconds =
    st.started && end ? Math.max(0, (end.getTime() - st.started.getTime()) / 1000) : undefined;
  // A finished transfer with its size needs no time unless it took long.
  const time =
    seconds !== undefined && (!st.completed || amount === "" || seconds >= 1)
      ? `${seconds.toFixed(1)}s`
      : "";
  return [st.id, amount, time, st.completed ? "done" : ""].filter(Boolean).join(" ");
}

export function createPlainRenderer(
  write: (text: string) => void,
  options: { showEndpoint: boolean; masker?: Masker; summary?: boolean },
): Renderer {
  const mask = options.masker?.mask ?? ((t: string) => t);
  let state: RunState = initialState();
  let counter = 0;
  const vertexes = new Map<string, VertexLine>();
  /** Sub-progress told so far: when (daemon time) it was last told; -1 once it ended. */
  const statuses = new Map<string, number>();
  const endpoints = new Map<string, string>();
  const line = (text: string) => write(`${mask(text)}\n`);
  const prefix = (job: JobRef) => {
    const endpoint = endpoints.get(jobKey(job));
    return `[${job.target}${job.platforms.length > 0 ? ` ${job.platforms.join(",")}` : ""}${options.showEndpoint && endpoint ? ` @${endpoint}` : ""}]`;
  };
  const vertex = (job: JobRef, digest: string): VertexLine => {
    const key = `${jobKey(job)} ${digest}`;
    let v = vertexes.get(key);
    if (!v) {
      v = { n: ++counter, name: "", announced: false, done: false, restarted: false, partial: "" };
      vertexes.set(key, v);
    }
    return v;
  };
  /** Names a step when it starts (again, when BuildKit runs it once more). */
  const started = (job: JobRef, v: VertexStatus) => {
    const vl = vertex(job, v.digest);
    vl.name = v.name || vl.name;
    // Started again after it ended: told again only if it has something to tell (see reopen).
    if (vl.done && v.started && vl.started !== v.started.getTime()) {
      vl.restarted = true;
      vl.started = v.started.getTime();
    }
    if (!vl.announced && (v.started || v.cached || v.completed)) {
      vl.announced = true;
      vl.started = v.started?.getTime();
      line(`#${vl.n} ${prefix(job)} ${v.name}`);
    }
  };
  /** A step started again that tells something (a transfer, log lines): named again, to end again. */
  const reopen = (job: JobRef, digest: string) => {
    const vl = vertex(job, digest);
    if (!vl.restarted) return;
    vl.restarted = false;
    vl.done = false;
    line(`#${vl.n} ${prefix(job)} ${vl.name}`);
  };
  /** Says how a step ended, after the rest of its unfinished last log line. */
  const ended = (job: JobRef, v: VertexStatus) => {
    const vl = vertex(job, v.digest);
    if (vl.done || !(v.completed || v.error)) return;
    vl.done = true;
    if (vl.partial) {
      line(`#${vl.n} ${vl.partial}`);
      vl.partial = "";
    }
    if (v.error) line(`#${vl.n} ERROR: ${v.error}`);
    else if (v.cached) line(`#${vl.n} CACHED`);
    else
      line(
        `#${vl.n} DONE ${formatDuration((v.completed?.getTime() ?? 0) - (v.started?.getTime() ?? v.completed?.getTime() ?? 0))}`,
      );
  };
  /** A step's sub-progress: when it ends, and while it runs at most every statusEveryMs. */
  const status = (job: JobRef, st: VertexProgress) => {
    const key = `${jobKey(job)} ${st.vertex} ${st.id}`;
    const toldAt = statuses.get(key);
    if (toldAt === -1) return;
    const at = (st.timestamp ?? st.completed ?? st.started)?.getTime() ?? 0;
    if (!st.completed && toldAt !== undefined && at - toldAt < statusEveryMs) return;
    if (!st.completed && toldAt === undefined && st.current === 0) {
      // Nothing to tell yet: the first line waits for an amount or for time to pass.
      statuses.set(key, at);
      return;
    }
    statuses.set(key, st.completed ? -1 : at);
    reopen(job, st.vertex);
    line(`#${vertex(job, st.vertex).n} ${statusText(st)}`);
  };
  /** A step's log lines, each with its time since the step started. */
  const log = (job: JobRef, l: VertexLog) => {
    const vl = vertex(job, l.vertex);
    const text = vl.partial + Buffer.from(l.data).toString("utf8");
    const parts = text.split("\n");
    vl.partial = parts.pop() ?? "";
    const at =
      l.timestamp && vl.started ? ((l.timestamp.getTime() - vl.started) / 1000).toFixed(3) : "";
    for (const p of parts) line(`#${vl.n} ${at ? `${at} ` : ""}${cleanLogLine(p)}`);
  };
  return {
    onEvent(e: RunEvent) {
      state = reduce(state, e);
      switch (e.type) {
        case "job-started":
          endpoints.set(jobKey(e.job), e.endpoint);
          line(
            `${prefix(e.job)} building on ${e.endpoint}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}`,
          );
          break;
        case "job-status": {
          // As buildx: each step named when it starts, then what it tells (transfers,
          // warnings, log lines), then how it ended, even when one message holds it all.
          const told = new Map<string, (() => void)[]>();
          const tell = (digest: string, say: () => void) =>
            told.set(digest, [...(told.get(digest) ?? []), say]);
          for (const st of e.status.statuses) tell(st.vertex, () => status(e.job, st));
          // The frontend's text already ends with "(line N)", as buildx prints it.
          for (const w of e.status.warnings)
            tell(w.vertex, () => line(`#${vertex(e.job, w.vertex).n} WARN: ${w.short}`));
          for (const l of e.status.logs) tell(l.vertex, () => log(e.job, l));
          const listed = new Set(e.status.vertexes.map((v) => v.digest));
          for (const [digest, says] of told) if (!listed.has(digest)) for (const say of says) say();
          for (const v of e.status.vertexes) {
            started(e.job, v);
            for (const say of told.get(v.digest) ?? []) say();
            ended(e.job, v);
          }
          break;
        }
        case "job-retry":
          line(
            `${prefix(e.job)} ${e.fromEndpoint} went away (${e.reason}); retrying elsewhere (attempt ${e.attempt})`,
          );
          break;
        case "job-done":
          line(
            `${prefix(e.job)} done on ${e.endpoint}${e.result.digest ? ` ${e.result.digest}` : ""}${e.result.output ? ` -> ${e.result.output}` : ""}`,
          );
          break;
        case "job-failed": {
          line(
            `ERROR: ${prefix(e.job)} failed${e.endpoint ? ` on ${e.endpoint}` : ""}${e.failedStep ? ` at step: ${e.failedStep}` : ""}`,
          );
          for (const l of e.error.split("\n")) line(`  ${l}`);
          const job = state.jobs.find((j) => j.key === jobKey(e.job));
          const step = failingStep(job, e.failedStep);
          if (step && step.logs.length > 0) {
            line(`  last log lines of "${step.name}":`);
            for (const l of step.logs.slice(-20)) line(`  > ${cleanLogLine(l)}`);
          }
          break;
        }
        case "job-skipped":
          line(`${prefix(e.job)} skipped: ${e.reason}`);
          break;
        case "endpoint-state":
          line(
            `endpoint ${e.endpoint} is ${e.state === "up" ? "back" : e.state}${e.reason ? `: ${e.reason}` : ""}`,
          );
          break;
        case "warning":
          line(`WARNING: ${e.target ? `${e.target}: ` : ""}${e.message}`);
          break;
        default:
          break;
      }
    },
    async finish() {
      if (options.summary !== false && state.jobs.length > 0) {
        write(`\n${mask(formatTable(summaryRows(state)))}\n`);
        const warnings = buildWarningLines(state);
        if (warnings.length > 0) write(`\n${mask(warnings.join("\n"))}\n`);
      }
    },
  };
}

/**
 * One JSON object per event (log data as text). Every string is masked before it is
 * encoded (a secret with a quote or a backslash is still found), and each step's log is
 * masked as one stream: a secret split over two chunks is held back until it can be hidden.
 */
export function createRawJsonRenderer(write: (text: string) => void, masker?: Masker): Renderer {
  const mask = masker?.mask ?? ((t: string) => t);
  const streams = new Map<
    string,
    { decoder: InstanceType<typeof TextDecoder>; masker?: StreamMasker }
  >();
  const streamOf = (job: JobRef, vertex: string) => {
    const key = `${jobKey(job)} ${vertex}`;
    let s = streams.get(key);
    if (!s) {
      s = { decoder: new TextDecoder(), ...(masker ? { masker: masker.stream() } : {}) };
      streams.set(key, s);
    }
    return s;
  };
  /** The held-back end of a step's log, as a log entry, when the step (or its job) ends. */
  const flush = (key: string, vertex: string): VertexLog[] => {
    const s = streams.get(key);
    if (!s) return [];
    streams.delete(key);
    const rest = s.decoder.decode();
    const text = s.masker ? s.masker.push(rest) + s.masker.flush() : rest;
    return text ? [{ vertex, stream: 1, data: Buffer.from(text) }] : [];
  };
  const logText = (e: RunEvent & { type: "job-status" }): SolveStatus => {
    const logs: VertexLog[] = [];
    for (const l of e.status.logs) {
      const s = streamOf(e.job, l.vertex);
      const text = s.decoder.decode(l.data, { stream: true });
      const shown = s.masker ? s.masker.push(text) : text;
      if (shown) logs.push({ ...l, data: Buffer.from(shown) });
    }
    for (const v of e.status.vertexes)
      if (v.completed || v.error) logs.push(...flush(`${jobKey(e.job)} ${v.digest}`, v.digest));
    return { ...e.status, logs };
  };
  const encode = (e: RunEvent) =>
    JSON.stringify(e, (key, value: unknown) => {
      if (key === "data" && value && typeof value === "object")
        return Buffer.from(value as Uint8Array).toString("utf8");
      if (typeof value === "string") return mask(value);
      return value;
    });
  return {
    onEvent(e: RunEvent) {
      if (e.type === "job-status") {
        write(`${encode({ ...e, status: logText(e) })}\n`);
        return;
      }
      if (e.type === "job-done" || e.type === "job-failed" || e.type === "job-retry") {
        // What a step printed last, before the job's end is told.
        const prefix = `${jobKey(e.job)} `;
        const logs = [...streams.keys()]
          .filter((k) => k.startsWith(prefix))
          .flatMap((k) => flush(k, k.slice(prefix.length)));
        if (logs.length > 0) {
          const status: SolveStatus = { vertexes: [], statuses: [], logs, warnings: [] };
          write(
            `${encode({ type: "job-status", time: e.time, job: e.job, endpoint: e.type === "job-retry" ? e.fromEndpoint : (e.endpoint ?? ""), status })}\n`,
          );
        }
      }
      write(`${encode(e)}\n`);
    },
    async finish() {},
  };
}

/** Only failures and the final results. */
export function createQuietRenderer(
  write: (text: string) => void,
  masker?: Masker,
  { listDone = true }: { readonly listDone?: boolean } = {},
): Renderer {
  const plain = createPlainRenderer(() => {}, {
    showEndpoint: true,
    ...(masker ? { masker } : {}),
    summary: false,
  });
  let state: RunState = initialState();
  const mask = masker?.mask ?? ((t: string) => t);
  return {
    onEvent(e) {
      plain.onEvent(e);
      state = reduce(state, e);
      if (e.type === "job-failed") write(`${mask(`ERROR: ${e.job.target}: ${e.error}`)}\n`);
      // Warnings (an endpoint left out, a setting mbake cannot honour) are never quiet.
      if (e.type === "warning")
        write(`${mask(`WARNING: ${e.target ? `${e.target}: ` : ""}${e.message}`)}\n`);
    },
    async finish() {
      if (!listDone) return;
      for (const j of state.jobs) {
        if (j.state === "done")
          write(
            `${j.target}${j.outcome?.digest ? ` ${j.outcome.digest}` : ""}${j.outcome?.output ? ` ${j.outcome.output}` : ""}\n`,
          );
      }
    },
  };
}
