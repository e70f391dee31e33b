/**
 * A file's bytes to a SourceFile, refusing invalid UTF-8 at the place it
 * starts (buildx refuses such HCL and YAML files; silently reading them as
 * U+FFFD would hide the damage).
 */
import { DiagnosticError } from "./diagnostic.js";
import type { SourceFile } from "./source.js";

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder("utf-8", { ignoreBOM: true });

/** How many continuation bytes (10xxxxxx) follow a lead byte, and the range the first of them must be in. */
function sequenceShape(
  lead: number,
): readonly [count: number, low: number, high: number] | undefined {
  if (lead >= 0xc2 && lead <= 0xdf) return [1, 0x80, 0xbf];
  if (lead === 0xe0) return [2, 0xa0, 0xbf]; // no overlong forms
  if (lead === 0xed) return [2, 0x80, 0x9f]; // no surrogates
  if (lead >= 0xe1 && lead <= 0xef) return [2, 0x80, 0xbf];
  if (lead === 0xf0) return [3, 0x90, 0xbf];
  if (lead >= 0xf1 && lead <= 0xf3) return [3, 0x80, 0xbf];
  if (lead === 0xf4) return [3, 0x80, 0x8f]; // nothing past U+10FFFF
  return undefined;
}

/** The byte offset of the first invalid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const shape = sequenceShape(lead);
    if (!shape) return i;
    const [count, low, high] = shape;
    const first = bytes[i + 1];
    if (first === undefined || first < low || first > high) return i;
    for (let k = 2; k <= count; k++) {
      const b = bytes[i + k];
      if (b === undefined || (b & 0xc0) !== 0x80) return i;
    }
    i += count + 1;
  }
  return -1;
}

/**
 * Decodes `bytes` (a file named `name`) as UTF-8, or throws a DiagnosticError
 * at the line and column of the first byte that is not UTF-8.
 */
export function decodeUtf8Source(name: string, bytes: Uint8Array): SourceFile {
  try {
    return { name, text: strict.decode(bytes) };
  } catch {
    const at = firstInvalidUtf8(bytes);
    const file: SourceFile = { name, text: lenient.decode(bytes) };
    const start = at < 0 ? 0 : lenient.decode(bytes.subarray(0, at)).length;
    throw new DiagnosticError({
      severity: "error",
      summary:
        "Invalid character encoding; All input files must be UTF-8 encoded. Ensure that UTF-8 encoding is selected in your editor.",
      range: { file, start, end: start + 1 },
    });
  }
}
