/** Picks the progress renderer for this run and keeps the run's progress state beside it. */
import type { RunEvent } from "../progress/events.js";
import type { Masker } from "../progress/mask.js";
import { initialState, type JobView, reduce } from "../progress/model.js";
import {
  createPlainRenderer,
  createQuietRenderer,
  createRawJsonRenderer,
} from "../progress/plain.js";
import { chooseProgressMode, type ProgressMode, type Renderer } from "../progress/renderer.js";
import type { CliIo } from "./io.js";

export interface ProgressOutput {
  readonly emit: (e: RunEvent) => void;
  /** Draws the summary and releases the terminal. */
  readonly finish: () => Promise<void>;
  /** The jobs as the events so far describe them (steps, cache hits). */
  readonly jobs: () => readonly JobView[];
}

/** How the run is shown: endpoint names beside targets; quiet's list of finished targets. */
export interface ProgressShape {
  readonly showEndpoint: boolean;
  /** False for `--call` runs: nothing is built, the answers on stdout are the result (as buildx). */
  readonly listDone?: boolean;
}

async function createRenderer(
  requested: ProgressMode,
  io: CliIo,
  masker: Masker,
  { showEndpoint, listDone = true }: ProgressShape,
): Promise<Renderer> {
  const writeErr = (t: string) => io.stderr.write(t);
  const mode = chooseProgressMode(requested, io.stdout.isTTY === true, io.env);
  switch (mode) {
    case "tty":
      // The live view (ink and React) takes long to load: only a terminal pays for it.
      return (await import("../ui/tui.js")).createTuiRenderer({
        stdout: io.stdout as NodeJS.WriteStream,
        color: !io.env.NO_COLOR,
        masker,
      });
    case "rawjson":
      return createRawJsonRenderer((t) => io.stdout.write(t), masker);
    case "quiet":
      return createQuietRenderer(writeErr, masker, { listDone });
    case "plain":
      return createPlainRenderer(writeErr, { showEndpoint, masker });
  }
}

export async function startProgress(
  requested: ProgressMode,
  io: CliIo,
  masker: Masker,
  shape: ProgressShape,
): Promise<ProgressOutput> {
  const renderer = await createRenderer(requested, io, masker, shape);
  let state = initialState();
  return {
    emit(e) {
      state = reduce(state, e);
      renderer.onEvent(e);
    },
    finish: () => renderer.finish(),
    jobs: () => state.jobs,
  };
}
