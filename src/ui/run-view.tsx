/* biome-ignore-all lint/suspicious/noArrayIndexKey: rows have no identity but their position */
/**
 * The live view of a run: one line per target, the running steps with timers and
 * their last log lines, failures with their log, a footer of counts; within the
 * terminal's height when one is given (see layout.ts). It only draws the progress
 * state; it never starts work.
 */
import { Box, Text } from "ink";
import type { ReactElement } from "react";
import type { RunState } from "../progress/model.js";
import { buildWarningLines, formatTable, summaryRows } from "../progress/summary.js";
import { layoutRows } from "./layout.js";

export interface RunViewProps {
  readonly state: RunState;
  readonly width: number;
  /** Rows the view may take; unbounded when absent. */
  readonly height?: number;
  readonly now: number;
  readonly color: boolean;
  readonly mask: (text: string, partial?: boolean) => string;
  readonly final?: boolean;
}

/** How many lines the final frame takes (it is drawn in full). */
export function finalFrameLines(state: RunState, width: number): number {
  const rows = layoutRows(state, { width, now: 0, color: false, mask: (t) => t });
  const warnings = buildWarningLines(state);
  return (
    rows.length +
    1 +
    formatTable(summaryRows(state), width).split("\n").length +
    (warnings.length > 0 ? warnings.length + 1 : 0)
  );
}

export function RunView(props: RunViewProps): ReactElement {
  const { state, width, now, color, mask, height } = props;
  const rows = layoutRows(state, {
    width,
    now,
    color,
    mask,
    ...(height !== undefined && !props.final ? { height } : {}),
  });
  return (
    <Box flexDirection="column">
      {rows.map((r, i) => (
        <Text
          key={i}
          {...(r.color ? { color: r.color } : {})}
          {...(r.bold ? { bold: true } : {})}
          {...(r.dim ? { dimColor: true } : {})}
        >
          {r.text}
        </Text>
      ))}
      {props.final ? (
        <Text>{`\n${formatTable(
          summaryRows(state).map((row) => row.map((cell) => mask(cell))),
          width,
        )}`}</Text>
      ) : null}
      {props.final && buildWarningLines(state).length > 0 ? (
        <Text
          color={color ? "yellow" : undefined}
        >{`\n${mask(buildWarningLines(state).join("\n"))}`}</Text>
      ) : null}
    </Box>
  );
}
