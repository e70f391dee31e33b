/** The composition root: turns a parsed command into work and an exit code. */
import { DiagnosticError, renderDiagnostic } from "../diagnostics/diagnostic.js";
import { didYouMean } from "../diagnostics/did-you-mean.js";
import { type Command, parseArgs, UsageError } from "./args.js";
import { completionScript } from "./completion.js";
import { ExitCode } from "./exit-codes.js";
import { helpText, helpTopics } from "./help.js";
import { type CliIo, write } from "./io.js";
import { mbakeVersion } from "./version.js";

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
      return (await import("./bake-command.js")).bakeCommand(command.options, io);
    case "endpoints":
      return (await import("./tools-commands.js")).endpointsCommand(command, io);
    case "du":
      return (await import("./tools-commands.js")).duCommand(command, io);
    case "prune":
      return (await import("./tools-commands.js")).pruneCommand(command, io);
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

/** Errors in what the user wrote (bake files, --set, config), as opposed to failed builds. */
function isInputError(err: unknown): boolean {
  return (
    err instanceof Error &&
    [
      "OverrideError",
      "UnknownTargetError",
      "ConfigError",
      "EntryError",
      "AddressError",
      "SharedCacheError",
      "TargetSpecError",
      "OutputDestError",
    ].includes(err.name)
  );
}

/** Prints an error as the user should read it and picks the exit code. */
export function reportError(err: unknown, io: CliIo): number {
  if (err instanceof UsageError) {
    write(io.stderr, `mbake: ${err.message}`);
    write(
      io.stderr,
      `Run 'mbake ${err.command && err.command !== "bake" ? `${err.command} ` : ""}--help' for usage.`,
    );
    return ExitCode.usage;
  }
  if (err instanceof DiagnosticError) {
    write(io.stderr, err.diagnostics.map(renderDiagnostic).join("\n\n"));
    return ExitCode.usage;
  }
  if (isInputError(err)) {
    write(io.stderr, `mbake: ${(err as Error).message}`);
    return ExitCode.usage;
  }
  if (io.signal.aborted) {
    write(io.stderr, "mbake: cancelled");
    return ExitCode.cancelled;
  }
  const message = err instanceof Error ? err.message : String(err);
  write(io.stderr, `mbake: ${message}`);
  if (io.env.MBAKE_DEBUG && err instanceof Error && err.stack) write(io.stderr, err.stack);
  return ExitCode.buildFailed;
}
