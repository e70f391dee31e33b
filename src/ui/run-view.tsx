/* biome-ignore-all lint/suspicious/noArrayIndexKey: log lines have no identity but their position */
/**
 * The live view of a run: one line per target, the running steps with timers and
 * their last log lines, failures with their log, a footer of counts. It only draws
 * the progress state; it never starts work.
 */
import { Box, Text } from "ink";
import type { ReactElement } from "react";
import {
  cachedSteps,
  cleanLogLine,
  counts,
  failingStep,
  formatDuration,
  type JobView,
  type RunState,
} from "../progress/model.js";
import { formatTable, summaryRows } from "../progress/summary.js";

export interface RunViewProps {
  readonly state: RunState;
  readonly width: number;
  readonly now: number;
  readonly color: boolean;
  readonly mask: (text: string) => string;
  readonly final?: boolean;
}

function clip(text: string, width: number): string {
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

function JobLine({ job, props }: { job: JobView; props: RunViewProps }): ReactElement {
  const { width, now, color, mask } = props;
  const elapsed = job.startedAt ? formatDuration((job.finishedAt ?? now) - job.startedAt) : "";
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
  const header = clip(
    `${stateIcon[job.state]} ${job.target}${platforms}${where}  ${job.state}${extra}`,
    width,
  );
  const running =
    job.state === "running" ? job.steps.filter((s) => s.started && !s.completed && !s.cached) : [];
  const failed = job.state === "failed" ? failingStep(job, job.failedStep) : undefined;
  return (
    <Box flexDirection="column">
      <Text {...(color ? { color: stateColor[job.state] } : {})} bold={job.state === "failed"}>
        {mask(header)}
      </Text>
      {running.slice(-3).map((s) => (
        <Box key={s.digest} flexDirection="column">
          <Text>
            {mask(
              clip(
                `    ${s.name}  ${formatDuration(now - (s.started ?? now))}${s.progress && s.progress.total > 0 ? `  ${Math.round((100 * s.progress.current) / s.progress.total)}%` : ""}`,
                width,
              ),
            )}
          </Text>
          {s.logs.slice(-3).map((l, i) => (
            <Text key={`${s.digest}-${i}`} dimColor>
              {mask(clip(`      ${cleanLogLine(l)}`, width))}
            </Text>
          ))}
        </Box>
      ))}
      {job.state === "failed" ? (
        <Box flexDirection="column">
          <Text {...(color ? { color: "red" } : {})}>
            {mask(
              clip(`    failed at: ${failed?.name ?? job.failedStep ?? "(unknown step)"}`, width),
            )}
          </Text>
          {(job.error ?? "")
            .split("\n")
            .slice(0, 3)
            .map((l, i) => (
              <Text key={`e${i}`}>{mask(clip(`    ${l}`, width))}</Text>
            ))}
          {(failed?.logs ?? []).slice(-20).map((l, i) => (
            <Text key={`l${i}`} dimColor>
              {mask(clip(`    > ${cleanLogLine(l)}`, width))}
            </Text>
          ))}
        </Box>
      ) : null}
    </Box>
  );
}

export function RunView(props: RunViewProps): ReactElement {
  const { state, width } = props;
  const c = counts(state);
  const perEndpoint = Object.entries(state.endpoints)
    .map(
      ([name, up]) =>
        `${name}${up === "down" ? " (down)" : ""}: ${state.jobs.filter((j) => j.endpoint === name && j.state === "running").length} running`,
    )
    .join("  ");
  return (
    <Box flexDirection="column">
      {state.jobs.map((job) => (
        <JobLine key={job.key} job={job} props={props} />
      ))}
      {state.warnings.map((w, i) => (
        <Text key={`w${i}`} {...(props.color ? { color: "yellow" } : {})}>
          {props.mask(clip(`! ${w}`, width))}
        </Text>
      ))}
      <Text bold>
        {clip(
          `${c.done} done, ${c.running} running, ${c.queued} queued, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ""}${perEndpoint ? `  |  ${perEndpoint}` : ""}`,
          width,
        )}
      </Text>
      {props.final ? (
        <Text>{props.mask(`\n${formatTable(summaryRows(state), width)}`)}</Text>
      ) : null}
    </Box>
  );
}
