/**
 * The Ink renderer: reduces events into state and redraws at most every 100 ms and on
 * resize, within the terminal's height (one row spare: a frame as tall as the
 * terminal makes Ink clear the screen); the final frame is drawn in full.
 */
import { render } from "ink";
import type { RunEvent } from "../progress/events.js";
import type { Masker } from "../progress/mask.js";
import { initialState, type RunState, reduce } from "../progress/model.js";
import type { Renderer } from "../progress/renderer.js";
import { finalFrameLines, RunView } from "./run-view.js";

export interface TuiOptions {
  readonly stdout: NodeJS.WriteStream;
  readonly color: boolean;
  readonly masker?: Masker;
  readonly intervalMs?: number;
}

export function createTuiRenderer(options: TuiOptions): Renderer {
  let state: RunState = initialState();
  const masker = options.masker;
  const mask = (t: string, partial?: boolean) =>
    masker ? (partial ? masker.maskPartial(t) : masker.mask(t)) : t;
  const width = () => Math.max(20, (options.stdout.columns ?? 80) - 1);
  const view = (final = false) => (
    <RunView
      state={state}
      width={width()}
      {...(options.stdout.rows ? { height: Math.max(3, options.stdout.rows - 1) } : {})}
      now={Date.now()}
      color={options.color}
      mask={mask}
      final={final}
    />
  );
  const instance = render(view(), {
    stdout: options.stdout,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  let dirty = false;
  const timer = setInterval(() => {
    if (!dirty && state.jobs.every((j) => j.state !== "running")) return;
    dirty = false;
    instance.rerender(view());
  }, options.intervalMs ?? 100);
  const onResize = () => instance.rerender(view());
  options.stdout.on("resize", onResize);
  return {
    onEvent(e: RunEvent) {
      state = reduce(state, e);
      dirty = true;
    },
    async finish() {
      clearInterval(timer);
      options.stdout.off("resize", onResize);
      instance.rerender(view(true));
      instance.unmount();
      await instance.waitUntilExit();
      // Ink ends a frame as tall as the terminal without a newline: add it, so what
      // comes next (the shell's prompt) starts on a line of its own.
      const rows = options.stdout.rows;
      if (rows && finalFrameLines(state, width()) >= rows) options.stdout.write("\n");
    },
  };
}
