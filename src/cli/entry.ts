/**
 * The `mbake` process: wires the process (argv, env, signals, exit code) to run().
 * Started by main.ts, from the bundle (dist/bin/mbake.cjs) or from this file.
 * Until mbake contacts a daemon or starts a process, SIGINT and SIGTERM keep their
 * default action: the process ends at once, even in the middle of a long synchronous
 * step (loading modules, evaluating a large bake file) during which a JavaScript
 * handler could not run. Once there is work outside the process to stop, handlers
 * take over and cancel it cleanly.
 */

// Node's deprecation notices are for mbake's developers, not its users (grpc-js, for
// one, sets a TLS server name to an IP address when an endpoint is tcp://IP:PORT).
process.noDeprecation = true;

import { setMaxListeners } from "node:events";
import { cancelledLine } from "../support/abort.js";
import { enableTrace, traceClock, tracePhase } from "../support/trace.js";
import { onWorkStarted } from "../support/work-started.js";

const mainStarted = traceClock();
enableTrace(process.env, (line) => process.stderr.write(line));

/** 128 + SIGINT, as shells report it (cli/exit-codes.ts names it too). */
const CANCELLED = 130;
const controller = new AbortController();
// Every build of the run listens for the cancellation (dozens at once in a large group).
setMaxListeners(0, controller.signal);
let interrupts = 0;
function onSignal(): void {
  interrupts++;
  if (interrupts > 1) {
    // A second Ctrl-C: the user does not want to wait for a clean stop.
    process.stderr.write(`${cancelledLine}\n`);
    process.exit(CANCELLED);
  }
  controller.abort();
}
onWorkStarted(() => {
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
});

// Node's own start and the launcher (main.ts), up to the first line of this file.
tracePhase("node start-up", 0, mainStarted);

async function start(): Promise<void> {
  const { run } = await import("./run.js");
  tracePhase("load cli modules", mainStarted);
  const code = await run({
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    signal: controller.signal,
  });
  process.exitCode = code;
  tracePhase("total", 0);
  // Leave as soon as everything written is flushed: gRPC channels and session servers
  // may keep timers alive for a while after they are closed.
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

// The bundle is a CommonJS script (it has a V8 code cache, main.ts): no top-level await.
void start();
