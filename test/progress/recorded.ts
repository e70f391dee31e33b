/** Loads run events recorded from a real build (scripts/record-progress.mjs) back into RunEvents. */
import { readFileSync } from "node:fs";
import type { RunEvent } from "../../src/progress/events.js";

const dateKeys = new Set(["started", "completed", "timestamp"]);

export function loadRecordedRun(name = "recorded-run.jsonl"): RunEvent[] {
  const text = readFileSync(new URL(`../fixtures/progress/${name}`, import.meta.url), "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map(
      (line) =>
        JSON.parse(line, (key, value: unknown) => {
          if (dateKeys.has(key) && typeof value === "string") return new Date(value);
          if (key === "data" && typeof value === "string")
            return new Uint8Array(Buffer.from(value, "utf8"));
          return value;
        }) as RunEvent,
    );
}
