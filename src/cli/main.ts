#!/usr/bin/env node
/** The `mbake` executable: wires the process (argv, env, signals, exit code) to run(). */
import { ExitCode } from "./exit-codes.js";
import { run } from "./run.js";

// Node's deprecation notices are for mbake's developers, not its users (grpc-js, for
// one, sets a TLS server name to an IP address when an endpoint is tcp://IP:PORT).
process.noDeprecation = true;

const controller = new AbortController();
let interrupts = 0;
function onSignal(): void {
  interrupts++;
  if (interrupts > 1) {
    // A second Ctrl-C: the user does not want to wait for a clean stop.
    process.exit(ExitCode.cancelled);
  }
  controller.abort();
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

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
// Leave as soon as everything written is flushed: gRPC channels and session servers
// may keep timers alive for a while after they are closed.
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
