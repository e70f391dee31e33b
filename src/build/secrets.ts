/**
 * A target's secrets as the build reads them: the spec of each `secret` entry (paths made
 * absolute where mbake runs), and reading them all before the build starts, so that every
 * value is known to the maskers before any output is written.
 */
import { resolve } from "node:path";
import type { Entry, Target } from "../bake/model.js";
import { readSecret, type SecretSpec } from "../buildkit/session/secrets.js";

/** The session's spec for one `secret` entry: `src=` and `id=` files resolved against `cwd`. */
export function secretSpecOf(e: Entry, cwd: string): SecretSpec {
  const id = e.id ?? "";
  if (e.env !== undefined) return { id, env: e.env };
  if (e.src !== undefined) return { id, src: resolve(cwd, e.src) };
  return { id, idFile: resolve(cwd, id) };
}

/**
 * Reads every secret of these targets by the session's rule, which adds each value to the
 * texts every output hides. Secrets that cannot be read are skipped here: the build (or
 * the input checks before it) reports them.
 */
export function readTargetSecrets(
  targets: readonly Target[],
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): void {
  for (const t of targets)
    for (const e of t.secret ?? []) {
      try {
        readSecret(secretSpecOf(e, cwd), env, cwd);
      } catch {
        // reported by the build
      }
    }
}
