/**
 * The one place the scheduler reads an image reference: the pullable reference of
 * a joined index, which dependents of a split target receive.
 */
import type { JobOutcome } from "../progress/events.js";

/** The joined index's first image name pinned to its digest (tag and digest dropped), when known. */
export function joinedImage(outcome: JobOutcome): string | undefined {
  const name = outcome.exporterResponse["image.name"]?.split(",")[0]?.trim();
  const digest = outcome.digest ?? outcome.exporterResponse["containerimage.digest"];
  if (!name) return undefined;
  return digest ? `${name.replace(/@.*$/, "").replace(/:[^:/]+$/, "")}@${digest}` : name;
}
