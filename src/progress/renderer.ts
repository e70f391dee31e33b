/** How progress reaches people and tools: one interface, several renderers. */
import type { RunEvent } from "./events.js";

export interface Renderer {
  onEvent(e: RunEvent): void;
  /** Draws the end (summary) and releases the terminal. */
  finish(): Promise<void>;
}

/** The --progress modes; "auto" picks tty or plain. */
export const progressModes = ["auto", "tty", "plain", "rawjson", "quiet"] as const;
export type ProgressMode = (typeof progressModes)[number];

/** auto: the TUI on a terminal, plain lines in pipes and CI. */
export function chooseProgressMode(
  requested: ProgressMode,
  isTTY: boolean,
  env: Readonly<Record<string, string | undefined>>,
): Exclude<ProgressMode, "auto"> {
  if (requested !== "auto") return requested;
  if (!isTTY || env.CI === "true" || env.CI === "1" || env.TERM === "dumb") return "plain";
  return "tty";
}
