/**
 * The live view as rows of text that fit a given height: one header per target,
 * the running steps with a few log lines each, failures with their log, warnings
 * and a footer of counts. When the terminal is too short, finished targets collapse
 * into one line, detail rows are shared out among the running targets, and the
 * targets that still do not fit are counted on a "+N more" line. Pure: the view
 * draws the rows.
 */
import {
  cachedSteps,
  cleanLogLine,
  counts,
  failingStep,
  formatDuration,
  type JobView,
  type RunState,
} from "../progress/model.js";

export interface Row {
  readonly text: string;
  readonly color?: string;
  readonly bold?: boolean;
  readonly dim?: boolean;
}

export interface LayoutOptions {
  readonly width: number;
  readonly now: number;
  readonly color: boolean;
  /** Hides secrets; `partial`: the text may go on (a log line still being written). */
  readonly mask: (text: string, partial?: boolean) => string;
  /** Rows available; unbounded when absent (the final frame). */
  readonly height?: number;
}

/** Steps shown per running target and log lines per step. */
const stepsPerJob = 3;
const logsPerStep = 3;
/** Log lines of a failed step: in the live view, and in the final frame. */
const failedLogsLive = 5;
const failedLogsFinal = 20;
/** Warnings shown in the live view (the rest are counted). */
const warningsLive = 2;

export function clip(text: string, width: number): string {
  const clean = text.replace(/[\r\n\t]/g, " ");
  return clean.length > width ? `${clean.slice(0, Math.max(0, width - 1))}…` : clean;
}

const stateIcon: Record<JobView["state"], string> = {
  queued: "·",
  running: "▶",
  done: "✔",
  failed: "✘",
  cancelled: "⊘",
  skipped: "↷",
};

const stateColor: Record<JobView["state"], string> = {
  queued: "gray",
  running: "cyan",
  done: "green",
  failed: "red",
  cancelled: "yellow",
  skipped: "yellow",
};

function header(job: JobView, o: LayoutOptions): Row {
  const elapsed = job.startedAt ? formatDuration((job.finishedAt ?? o.now) - job.startedAt) : "";
  const { cached, total } = cachedSteps(job);
  const platforms = job.platforms.length > 0 ? ` ${job.platforms.join(",")}` : "";
  const where = job.endpoint ? ` @${job.endpoint}` : "";
  const extra =
    job.state === "done" || job.state === "failed"
      ? `  ${elapsed}  ${cached}/${total} cached`
      : job.state === "running"
        ? `  ${elapsed}`
        : job.state === "skipped"
          ? `  (${job.reason ?? ""})`
          : "";
  return {
    text: clip(
      o.mask(`${stateIcon[job.state]} ${job.target}${platforms}${where}  ${job.state}${extra}`),
      o.width,
    ),
    ...(o.color ? { color: stateColor[job.state] } : {}),
    ...(job.state === "failed" ? { bold: true } : {}),
  };
}

/** A job's rows under its header, most useful first. */
function details(job: JobView, o: LayoutOptions): Row[] {
  const rows: Row[] = [];
  const line = (text: string, extra: Omit<Row, "text"> = {}): Row => ({
    text: clip(o.mask(text), o.width),
    ...extra,
  });
  // Masked before it is clipped, so no part of a secret shows; a line still being written
  // is cut where a secret might begin.
  const logLine = (indent: string, l: string, extra: Omit<Row, "text">): Row => ({
    text: clip(`${indent}${o.mask(cleanLogLine(l), l.endsWith("\u0000"))}`, o.width),
    ...extra,
  });
  if (job.state === "running") {
    const running = job.steps.filter((s) => s.started && !s.completed && !s.cached);
    for (const s of running.slice(-stepsPerJob)) {
      const pct =
        s.progress && s.progress.total > 0
          ? `  ${Math.round((100 * s.progress.current) / s.progress.total)}%`
          : "";
      rows.push(line(`    ${s.name}  ${formatDuration(o.now - (s.started ?? o.now))}${pct}`));
      for (const l of s.logs.slice(-logsPerStep)) rows.push(logLine(`      `, l, { dim: true }));
    }
  }
  if (job.state === "failed") {
    const failed = failingStep(job, job.failedStep);
    const red = o.color ? { color: "red" } : {};
    rows.push(line(`    failed at: ${failed?.name ?? job.failedStep ?? "(unknown step)"}`, red));
    for (const l of (job.error ?? "").split("\n").slice(0, 3)) rows.push(line(`    ${l}`));
    const logs = o.height === undefined ? failedLogsFinal : failedLogsLive;
    for (const l of (failed?.logs ?? []).slice(-logs))
      rows.push(logLine(`    > `, l, { dim: true }));
  }
  return rows;
}

function footer(state: RunState, o: LayoutOptions): Row {
  const c = counts(state);
  const perEndpoint = Object.entries(state.endpoints)
    .map(
      ([name, up]) =>
        `${name}${up === "down" ? " (down)" : ""}: ${state.jobs.filter((j) => j.endpoint === name && j.state === "running").length} running`,
    )
    .join("  ");
  return {
    text: clip(
      `${c.done} done, ${c.running} running, ${c.queued} queued, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ""}${perEndpoint ? `  |  ${perEndpoint}` : ""}`,
      o.width,
    ),
    bold: true,
  };
}

function warningRows(state: RunState, o: LayoutOptions, room: number): Row[] {
  const yellow = o.color ? { color: "yellow" } : {};
  const row = (w: string): Row => ({ text: clip(o.mask(`! ${w}`), o.width), ...yellow });
  const all = state.warnings;
  if (o.height === undefined) return all.map(row);
  const max = Math.min(warningsLive, room);
  if (all.length <= max) return all.map(row);
  if (max <= 0) return [];
  const shown = all.slice(all.length - (max - 1));
  return [
    { text: clip(`! +${all.length - shown.length} more warnings`, o.width), ...yellow },
    ...shown.map(row),
  ];
}

const finished = new Set<JobView["state"]>(["done", "cancelled", "skipped"]);

/** One line for several finished targets. */
function collapsed(jobs: readonly JobView[], o: LayoutOptions): Row {
  const names = jobs.map((j) =>
    j.platforms.length > 0 ? `${j.target} ${j.platforms.join(",")}` : j.target,
  );
  return {
    text: clip(o.mask(`✔ ${jobs.length} finished: ${names.join(", ")}`), o.width),
    ...(o.color ? { color: "green" } : {}),
  };
}

function moreLine(hidden: readonly JobView[], o: LayoutOptions): Row {
  const byState = new Map<string, number>();
  for (const j of hidden) byState.set(j.state, (byState.get(j.state) ?? 0) + 1);
  const parts = [...byState].map(([s, n]) => `${n} ${s}`).join(", ");
  return { text: clip(`  +${hidden.length} more (${parts})`, o.width), dim: true };
}

/** The rows of the view; at most `height` of them when a height is given. */
export function layoutRows(state: RunState, o: LayoutOptions): Row[] {
  const foot = footer(state, o);
  if (o.height === undefined) {
    return [
      ...state.jobs.flatMap((j) => [header(j, o), ...details(j, o)]),
      ...warningRows(state, o, Number.POSITIVE_INFINITY),
      foot,
    ];
  }
  const height = Math.max(1, Math.floor(o.height));
  const warnings = warningRows(state, o, Math.max(0, Math.floor((height - 1) / 4)));
  let room = height - 1 - warnings.length;

  // Headers: every target when they fit; else finished ones on one line, and the
  // targets that still do not fit (queued first, then the rest) counted on a last line.
  type Entry = { kind: "job"; job: JobView } | { kind: "row"; row: Row };
  let entries: Entry[] = state.jobs.map((job) => ({ kind: "job", job }));
  if (entries.length > room) {
    const done = state.jobs.filter((j) => finished.has(j.state));
    const live = state.jobs.filter((j) => !finished.has(j.state));
    entries = [
      ...(done.length > 0 ? [{ kind: "row", row: collapsed(done, o) } as Entry] : []),
      ...live.map((job) => ({ kind: "job", job }) as Entry),
    ];
    if (entries.length > room) {
      const rank = (j: JobView) => (j.state === "running" ? 0 : j.state === "failed" ? 1 : 2);
      const fixed = entries.filter((e) => e.kind === "row");
      const slots = Math.max(0, room - fixed.length - 1);
      const keep = new Set(
        [...live]
          .map((j, i) => ({ j, i }))
          .sort((a, b) => rank(a.j) - rank(b.j) || a.i - b.i)
          .slice(0, slots)
          .map((x) => x.j),
      );
      const hidden = live.filter((j) => !keep.has(j));
      entries = [
        ...fixed,
        ...live.filter((j) => keep.has(j)).map((job) => ({ kind: "job", job }) as Entry),
        { kind: "row", row: moreLine(hidden, o) } as Entry,
      ].slice(0, Math.max(0, room));
    }
  }
  room -= entries.length;

  // Details: shared out a row at a time, running targets first, then failed ones.
  const shownJobs = entries.flatMap((e) => (e.kind === "job" ? [e.job] : []));
  const wanted = new Map(shownJobs.map((j) => [j, details(j, o)]));
  const given = new Map(shownJobs.map((j) => [j, 0]));
  for (const group of [
    shownJobs.filter((j) => j.state === "running"),
    shownJobs.filter((j) => j.state !== "running"),
  ]) {
    let progress = true;
    while (room > 0 && progress) {
      progress = false;
      for (const j of group) {
        if (room <= 0) break;
        if (given.get(j)! < wanted.get(j)!.length) {
          given.set(j, given.get(j)! + 1);
          room--;
          progress = true;
        }
      }
    }
  }
  const rows: Row[] = [];
  for (const e of entries) {
    if (e.kind === "row") rows.push(e.row);
    else rows.push(header(e.job, o), ...wanted.get(e.job)!.slice(0, given.get(e.job)));
  }
  return [...rows, ...warnings, foot];
}
