/** Output paths are checked before any endpoint is contacted, so bad ones cost nothing. */
import { resolve } from "node:path";
import type { Target } from "../bake/model.js";
import { checkOutputDest, OutputDestError } from "../buildkit/session/output-dest.js";

/**
 * What lands at an output's dest: a folder (local, and oci with tar=false) or one file
 * (tar, oci, docker); undefined when nothing does.
 */
function destKind(out: Readonly<Record<string, string>>): "local" | "tar" | undefined {
  if (out.type === "local" || (out.type === "oci" && out.tar === "false")) return "local";
  return ["tar", "oci", "docker"].includes(out.type ?? "") ? "tar" : undefined;
}

/** Throws an OutputDestError naming the target and the dest as written for the first bad one. */
export function checkOutputDests(targets: Readonly<Record<string, Target>>, cwd: string): void {
  for (const [name, t] of Object.entries(targets)) {
    for (const out of t.output ?? []) {
      const dest = out.dest;
      const kind = destKind(out);
      if (dest === undefined || dest === "-" || !kind) continue;
      try {
        checkOutputDest(kind, resolve(cwd, dest));
      } catch (err) {
        if (!(err instanceof OutputDestError)) throw err;
        throw new OutputDestError(
          `target "${name}": ${err.message.replace(resolve(cwd, dest), dest)}`,
        );
      }
    }
  }
}
