/** The --metadata-file: buildx's keys per target plus mbake's own. */
import { cachedSteps, type JobView } from "../progress/model.js";
import type { RunResult } from "../scheduler/scheduler.js";
import { writeAtomically } from "./files.js";

/**
 * Writes the metadata file, with each target's cached and total steps as progress counted
 * them; every text in it (an error a step's output ended up in) goes through `mask`.
 */
export function writeMetadata(
  path: string,
  result: RunResult,
  jobs: readonly JobView[],
  mask: (text: string) => string = (t) => t,
): void {
  const metadata = metadataFor(result);
  for (const job of jobs) {
    const entry = metadata[job.target];
    if (!entry) continue;
    const { cached, total } = cachedSteps(job);
    entry["mbake.cached_steps"] = Number(entry["mbake.cached_steps"] ?? 0) + cached;
    entry["mbake.total_steps"] = Number(entry["mbake.total_steps"] ?? 0) + total;
  }
  const masked = (_key: string, value: unknown) =>
    typeof value === "string" ? mask(value) : value;
  writeAtomically(path, `${JSON.stringify(metadata, masked, 2)}\n`);
}

export function metadataFor(result: RunResult): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const r of result.jobs) {
    const entry = (out[r.job.target] ??= {});
    const response = r.outcome?.exporterResponse ?? {};
    for (const [k, v] of Object.entries(response)) {
      if (
        k === "containerimage.descriptor" ||
        k === "containerimage.config.digest" ||
        k === "containerimage.digest" ||
        k === "image.name" ||
        k.startsWith("buildx.") ||
        k.startsWith("containerimage.")
      ) {
        entry[k] = k === "containerimage.descriptor" ? safeJson(v) : v;
      }
    }
    if (r.outcome?.digest && !entry["containerimage.digest"])
      entry["containerimage.digest"] = r.outcome.digest;
    const platforms = [
      ...new Set([
        ...((entry["mbake.platforms"] as string[] | undefined) ?? []),
        ...r.job.platforms,
      ]),
    ];
    entry["mbake.state"] = entry["mbake.state"] === "failed" ? "failed" : r.state;
    if (r.endpoint)
      entry["mbake.endpoint"] =
        entry["mbake.endpoint"] && entry["mbake.endpoint"] !== r.endpoint
          ? `${entry["mbake.endpoint"]},${r.endpoint}`
          : r.endpoint;
    entry["mbake.platforms"] = platforms;
    if (r.startedAt !== undefined && r.finishedAt !== undefined)
      entry["mbake.duration_ms"] = Math.max(
        Number(entry["mbake.duration_ms"] ?? 0),
        r.finishedAt - r.startedAt,
      );
    entry["mbake.retries"] = Number(entry["mbake.retries"] ?? 0) + r.retries;
    if (r.error) entry["mbake.error"] = r.error;
  }
  // A split target's image is the joined index, not its last platform's part.
  for (const j of result.joins) {
    const entry = (out[j.target] ??= {});
    for (const [k, v] of Object.entries(j.outcome?.exporterResponse ?? {})) entry[k] = v;
    if (j.outcome?.digest) entry["containerimage.digest"] = j.outcome.digest;
    if (j.state === "failed") entry["mbake.state"] = "failed";
  }
  return out;
}

function safeJson(v: string): unknown {
  try {
    return JSON.parse(Buffer.from(v, "base64").toString("utf8"));
  } catch {
    return v;
  }
}
