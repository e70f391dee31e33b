/**
 * Secret files and the metadata file's folder are checked, like output paths, before any
 * endpoint is contacted: a wrong path costs nothing and is the user's error (exit 2).
 */
import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Target } from "../bake/model.js";
import { readSecret } from "../buildkit/session/secrets.js";
import { InputError } from "../diagnostics/error-kind.js";
import { secretSpecOf } from "./secrets.js";

export class InputPathError extends InputError {
  override name = "InputPathError";
}

/** Every secret a target reads from a file is a regular file BuildKit accepts. */
export function checkSecretFiles(
  targets: Readonly<Record<string, Target>>,
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): void {
  for (const [name, t] of Object.entries(targets)) {
    for (const e of t.secret ?? []) {
      const spec = secretSpecOf(e, cwd);
      if (spec.env !== undefined) continue;
      try {
        readSecret(spec, env, cwd);
      } catch (err) {
        throw new InputPathError(`target "${name}": ${(err as Error).message}`);
      }
    }
  }
}

/** The metadata file goes into a folder that exists, and is not itself a folder. */
export function checkMetadataFile(file: string, cwd: string): void {
  const path = resolve(cwd, file);
  const folder = statSync(dirname(path), { throwIfNoEntry: false });
  if (!folder?.isDirectory())
    throw new InputPathError(
      `--metadata-file ${file}: the folder ${dirname(file)} ${folder ? "is not a folder" : "does not exist"}; create it first`,
    );
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory())
    throw new InputPathError(`--metadata-file ${file} is a folder; name a file`);
}
