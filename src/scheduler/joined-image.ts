/**
 * The pullable reference of a joined index, which dependents of a split target
 * receive (references are read by src/registry/reference.ts).
 */
import type { JobOutcome } from "../progress/events.js";
import { pinned } from "../registry/reference.js";

/** The joined index's first image name pinned to its digest (tag and digest dropped), when known. */
export function joinedImage(outcome: JobOutcome): string | undefined {
  const name = outcome.exporterResponse["image.name"]?.split(",")[0]?.trim();
  const digest = outcome.digest ?? outcome.exporterResponse["containerimage.digest"];
  if (!name) return undefined;
  return digest ? pinned(name, digest) : name;
}
