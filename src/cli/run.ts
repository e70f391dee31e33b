/** The composition root: turns a parsed command into work and an exit code. */
import { DiagnosticError, renderDiagnostic } from "../diagnostics/diagnostic.js";
import { didYouMean } from "../diagnostics/did-you-mean.js";
import { type ErrorKind, kindOf } from "../diagnostics/error-kind.js";
import { createMasker } from "../progress/mask.js";
import { cancelledLine, untilAborted } from "../support/abort.js";
import { processSecrets } from "../support/secret-texts.js";
import { traced } from "../support/trace.js";
import { type Command, parseArgs, UsageError } from "./args.js";
import { completionScript } from "./completion.js";
import { ExitCode } from "./exit-codes.js";
import { helpText, helpTopics } from "./help.js";
import { type CliIo, write } from "./io.js";
import { mbakeVersion } from "./version.js";

/** The endpoint tools (endpoints, du, prune), which bring gRPC with them. */
function loadTools() {
  return traced("load tools modules", () => import("./tools-commands.js"));
}

async function dispatch(command: Command, io: CliIo): Promise<number> {
  switch (command.kind) {
    case "help": {
      const text = helpText(command.topic);
      if (!text) {
        throw new UsageError(
          `no help for "${command.topic}"${didYouMean(command.topic ?? "", helpTopics)}`,
        );
      }
      write(io.stdout, text);
      return ExitCode.success;
    }
    case "version":
      write(io.stdout, `mbake ${mbakeVersion()}`);
      return ExitCode.success;
    case "completion":
      write(io.stdout, completionScript(command.shell));
      return ExitCode.success;
    case "bake":
      return (await traced("load bake modules", () => import("./bake-command.js"))).bakeCommand(
        command.options,
        io,
      );
    // The endpoint tools end at a Ctrl-C as a build does (exit 130); leaving the process
    // closes their connections, which ends a DiskUsage or Prune call on the daemon.
    case "endpoints":
      return untilAborted((await loadTools()).endpointsCommand(command, io), io.signal);
    case "du":
      return untilAborted((await loadTools()).duCommand(command, io), io.signal);
    case "prune":
      return untilAborted((await loadTools()).pruneCommand(command, io), io.signal);
  }
}

/** Runs mbake with the given world; never throws; returns the exit code. */
export async function run(io: CliIo): Promise<number> {
  try {
    const command = parseArgs(io.argv);
    return await dispatch(command, io);
  } catch (err) {
    return reportError(err, io);
  }
}

/**
 * The kind of a failure: errors say it themselves (src/diagnostics/error-kind.ts); after
 * the run was aborted anything but an input error is a cancellation; an error that
 * says no kind is a failed build.
 */
function failureKind(err: unknown, aborted: boolean): ErrorKind {
  const kind = kindOf(err);
  if (kind === "input") return kind;
  if (aborted) return "cancelled";
  return kind ?? "build";
}

function exitCodeFor(kind: ErrorKind): ExitCode {
  switch (kind) {
    case "input":
      return ExitCode.usage;
    case "build":
    case "endpoint":
      return ExitCode.buildFailed;
    case "cancelled":
      return ExitCode.cancelled;
  }
}

/** Prints an error as the user should read it and picks the exit code. */
export function reportError(err: unknown, io: CliIo): number {
  const kind = failureKind(err, io.signal.aborted);
  if (err instanceof UsageError) {
    write(io.stderr, `mbake: ${err.message}`);
    write(
      io.stderr,
      `Run 'mbake ${err.command && err.command !== "bake" ? `${err.command} ` : ""}--help' for usage.`,
    );
  } else if (err instanceof DiagnosticError) {
    write(io.stderr, err.diagnostics.map(renderDiagnostic).join("\n\n"));
  } else if (kind === "cancelled") {
    write(io.stderr, cancelledLine);
  } else {
    // Any secret this run read or obtained is hidden here too (an error may quote one).
    const { mask } = createMasker(processSecrets);
    write(io.stderr, mask(`mbake: ${err instanceof Error ? err.message : String(err)}`));
    if (kind !== "input" && io.env.MBAKE_DEBUG && err instanceof Error && err.stack)
      write(io.stderr, mask(err.stack));
  }
  return exitCodeFor(kind);
}
