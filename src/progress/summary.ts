/** The end-of-run table: target, endpoint, platforms, time, cached/total steps, output. */
import { cachedSteps, formatDuration, type JobView, type RunState } from "./model.js";

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
