/**
 * Text from a file shown on a terminal: control characters, terminal escape
 * sequences and bidirectional-override characters are written as escapes
 * (`\x1b`, `\u202e`), so a hostile file cannot move the cursor, change the
 * title or reorder what the user reads. Newlines stay.
 */

// C0 controls but \n, DEL, C1 controls, and the bidi embedding/override/isolate controls.
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu;

const NAMED: ReadonlyMap<string, string> = new Map([
  ["\t", "\\t"],
  ["\r", "\\r"],
]);

function escapeChar(c: string): string {
  const named = NAMED.get(c);
  if (named !== undefined) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** `text` with every character that could act on a terminal written as an escape. */
export function printable(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}
