/**
 * The end of a run: the table (target, endpoint, platforms, time, cached/total steps,
 * output) and the builds' own warnings.
 */
import {
  type BuildWarning,
  cachedSteps,
  formatDuration,
  type JobView,
  type RunState,
} from "./model.js";

function output(j: JobView): string {
  if (j.state !== "done")
    return j.state === "failed" ? `failed: ${(j.error ?? "").split("\n")[0]}` : j.state;
  const o = j.outcome;
  if (!o) return "";
  return o.digest ?? o.output ?? o.exporterResponse["containerimage.digest"] ?? "";
}

export function summaryRows(state: RunState): string[][] {
  const rows = [["TARGET", "ENDPOINT", "PLATFORMS", "TIME", "CACHED", "RESULT"]];
  for (const j of state.jobs) {
    const { cached, total } = cachedSteps(j);
    const time = j.startedAt && j.finishedAt ? formatDuration(j.finishedAt - j.startedAt) : "-";
    rows.push([
      j.target,
      `${j.endpoint ?? "-"}${j.retries > 0 ? ` (${j.retries} retr${j.retries === 1 ? "y" : "ies"})` : ""}`,
      j.platforms.join(",") || "default",
      time,
      total > 0 ? `${cached}/${total}` : "-",
      output(j),
    ]);
  }
  return rows;
}

export function formatTable(
  rows: readonly (readonly string[])[],
  maxWidth = Number.POSITIVE_INFINITY,
): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows
    .map((row) => {
      const line = row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]! + 2)))
        .join("")
        .trimEnd();
      return line.length > maxWidth ? `${line.slice(0, Math.max(0, maxWidth - 1))}…` : line;
    })
    .join("\n");
}

/** Targets named after a warning before the rest are counted. */
const targetsNamed = 5;

/** Where a build warning points: "Dockerfile:2: " (nothing when the frontend did not say). */
function warningPlace(w: BuildWarning): string {
  if (!w.file) return w.line !== undefined ? `line ${w.line}: ` : "";
  return `${w.file}${w.line !== undefined ? `:${w.line}` : ""}: `;
}

/**
 * The builds' own warnings (Dockerfile checks, deprecated forms) at the end of a run,
 * each once with the targets that gave it: `2 warnings found:`, then
 * ` - Dockerfile:2: InvalidDefaultArgInFrom: ... (app, api)`. Empty when there are none.
 */
export function buildWarningLines(state: RunState): string[] {
  const byText = new Map<string, string[]>();
  for (const j of state.jobs)
    for (const w of j.buildWarnings ?? []) {
      // "file:line: " says the line: the "(line N)" the frontend ends its text with goes.
      const short = w.line !== undefined ? w.short.replace(/ \(line \d+\)$/, "") : w.short;
      const text = `${warningPlace(w)}${short}`;
      const name = jobName(j);
      const targets = byText.get(text) ?? [];
      if (!targets.includes(name)) targets.push(name);
      byText.set(text, targets);
    }
  if (byText.size === 0) return [];
  const lines = [`${byText.size} warning${byText.size === 1 ? "" : "s"} found:`];
  for (const [text, targets] of byText) {
    const named = targets.slice(0, targetsNamed).join(", ");
    const more = targets.length > targetsNamed ? ` and ${targets.length - targetsNamed} more` : "";
    lines.push(` - ${text} (${named}${more})`);
  }
  return lines;
}

function jobName(j: JobView): string {
  return j.platforms.length > 0 ? `${j.target} ${j.platforms.join(",")}` : j.target;
}
