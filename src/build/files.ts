/** Writing mbake's own files (state, metadata) so a reader never sees half of one. */
import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** Writes `text` to a temporary file next to `path`, then renames it into place. */
export function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${randomBytes(4).toString("hex")}`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}
