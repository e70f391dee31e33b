/** `mbake [TARGET...]`: read, resolve, and print, list or graph; building lives in build-run.ts. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { EntryError } from "../bake/entries.js";
import { listTargets, listVariables } from "../bake/list.js";
import { loadBake } from "../bake/load.js";
import { OverrideError } from "../bake/overrides.js";
import { printBake } from "../bake/print.js";
import { resolveProject, UnknownTargetError } from "../bake/resolve.js";
import { InputError } from "../diagnostics/error-kind.js";
import { buildGraph, toDot, toMermaid } from "../graph/graph.js";
import { traceClock, traced, tracePhase } from "../support/trace.js";
import { type BakeOptions, parseListFlag, UsageError } from "./args.js";
import { readBakeFiles } from "./bake-files.js";
import { ExitCode } from "./exit-codes.js";
import { type CliIo, write } from "./io.js";

/** bake's own errors in what the user wrote, as input errors (they do not extend InputError yet). */
function asInputError(err: unknown): unknown {
  if (
    !(
      err instanceof OverrideError ||
      err instanceof UnknownTargetError ||
      err instanceof EntryError
    )
  )
    return err;
  const input = new InputError(err.message, { cause: err });
  input.name = err.name;
  return input;
}

export async function bakeCommand(o: BakeOptions, io: CliIo): Promise<number> {
  try {
    return await bake(o, io);
  } catch (err) {
    throw asInputError(err);
  }
}

async function bake(o: BakeOptions, io: CliIo): Promise<number> {
  const files = await traced("read bake files", () =>
    readBakeFiles(o.files, io.cwd, io.env, io.stdin),
  );
  const evaluating = traceClock();
  const project = loadBake({ files, env: io.env });
  if (o.list !== undefined) {
    const { type, format } = parseListFlag(o.list);
    io.stdout.write(
      type === "variables" ? listVariables(project, format) : listTargets(project, format),
    );
    return ExitCode.success;
  }
  const resolution = resolveProject(project, {
    names: o.targets,
    overrides: o.set,
    env: io.env,
    flags: {
      push: o.push,
      load: o.load,
      noCache: o.noCache,
      pull: o.pull,
      ...(o.call !== undefined ? { call: o.call } : {}),
    },
  });
  tracePhase("parse and evaluate", evaluating);
  if (o.print) {
    for (const t of Object.values(resolution.targets)) {
      for (const s of t.secret ?? []) {
        if (s.src && !existsSync(resolve(io.cwd, s.src)))
          throw new UsageError(
            `target "${t.name}": secret "${s.id}" reads ${s.src}, which does not exist`,
          );
        // Neither src nor env: BuildKit's rule reads the variable named by the id when it
        // is set, else the file of that name, which buildx checks before printing.
        if (
          !s.src &&
          !s.env &&
          s.id &&
          io.env[s.id] === undefined &&
          !existsSync(resolve(io.cwd, s.id))
        )
          throw new UsageError(
            `target "${t.name}": secret "${s.id}" has neither src= nor env=, no environment variable ${s.id} is set, and there is no file ${s.id}`,
          );
      }
      // buildkit's ssh agent provider, as buildx sets it up before printing: an entry with
      // no paths uses SSH_AUTH_SOCK, every path must exist, ids are unique.
      const ids = new Set<string>();
      for (const e of t.ssh ?? []) {
        if (ids.has(e.id))
          throw new UsageError(`target "${t.name}": ssh id "${e.id}" is given twice`);
        ids.add(e.id);
        const paths = e.paths?.filter((p) => p !== "") ?? [];
        if (paths.length === 0 && !io.env.SSH_AUTH_SOCK) {
          throw new UsageError(
            `target "${t.name}" asks for ssh "${e.id}" from the agent, but SSH_AUTH_SOCK is not set`,
          );
        }
        for (const p of paths) {
          if (!existsSync(resolve(io.cwd, p)))
            throw new UsageError(
              `target "${t.name}": ssh "${e.id}" reads ${p}, which does not exist`,
            );
        }
      }
    }
    write(io.stdout, printBake(resolution));
    return ExitCode.success;
  }
  const graph = buildGraph(resolution.targets, {
    definitions: resolution.definitions,
    contextRanges: resolution.contextRanges,
  });
  if (o.graph) {
    write(io.stdout, o.graph === "dot" ? toDot(graph) : toMermaid(graph));
    return ExitCode.success;
  }

  const { runBuild } = await traced("load build modules", () => import("./build-run.js"));
  return runBuild(o, io, resolution, graph);
}
