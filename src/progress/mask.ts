/**
 * Hides secret values wherever they would be shown: logs, errors, summaries, the metadata
 * file. Every masker reads one set of secret texts (src/support/secret-texts.ts), so a value
 * added mid-run (a registry token) is hidden from then on.
 */
import { createSecretTexts, type SecretTexts } from "../support/secret-texts.js";

/** What a secret is replaced by. */
export const MASKED = "****";

export interface Masker {
  /** The text with every secret replaced by MASKED. */
  mask(text: string): string;
  /**
   * Text that may go on in a later chunk: masked, and cut where its end could be the
   * start of a secret (a live line that is still being written).
   */
  maskPartial(text: string): string;
  /** A masker for one stream of chunks (a step's log) whose secrets may span chunks. */
  stream(): StreamMasker;
}

export interface StreamMasker {
  /** The part of the text so far that can be shown, masked; the rest waits for more. */
  push(chunk: string): string;
  /** Whatever was held back, masked (the stream ended). */
  flush(): string;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Where the longest end of `text` (from `from` on) that begins a secret starts; text.length if none. */
function holdFrom(text: string, from: number, texts: readonly string[]): number {
  const firsts = new Set(texts.map((t) => t[0]));
  for (let i = Math.max(from, text.length - (texts[0]?.length ?? 0) + 1); i < text.length; i++) {
    if (!firsts.has(text[i])) continue;
    const tail = text.slice(i);
    if (texts.some((t) => t.length > tail.length && t.startsWith(tail))) return i;
  }
  return text.length;
}

/** A masker over `secrets`: a list of texts, or a set that may grow. */
export function createMasker(secrets: readonly string[] | SecretTexts): Masker {
  const source: SecretTexts = Array.isArray(secrets)
    ? (() => {
        const s = createSecretTexts();
        for (const v of secrets as readonly string[]) s.add(v);
        return s;
      })()
    : (secrets as SecretTexts);
  let builtFor = -1;
  let re: RegExp | undefined;
  const pattern = (): RegExp | undefined => {
    if (builtFor !== source.version()) {
      builtFor = source.version();
      const texts = source.texts();
      re = texts.length > 0 ? new RegExp(texts.map(escapeRegExp).join("|"), "g") : undefined;
    }
    return re;
  };
  const mask = (text: string): string => {
    const r = pattern();
    return r ? text.replace(r, MASKED) : text;
  };
  /** Splits `text` into what can be shown now (masked) and what must wait. */
  const split = (text: string): { shown: string; held: string } => {
    const r = pattern();
    if (!r) return { shown: text, held: "" };
    // The end that may begin a secret waits (even where a shorter secret matched already:
    // "tok" may be the start of "token-2"), and so does a whole match that reaches into it.
    let at = holdFrom(text, 0, source.texts());
    for (const m of text.matchAll(r)) {
      const start = m.index ?? 0;
      if (start < at && start + m[0].length > at) at = start;
    }
    return { shown: mask(text.slice(0, at)), held: text.slice(at) };
  };
  return {
    mask,
    maskPartial: (text) => split(text).shown,
    stream() {
      let held = "";
      return {
        push(chunk) {
          const s = split(held + chunk);
          held = s.held;
          return s.shown;
        },
        flush() {
          const rest = mask(held);
          held = "";
          return rest;
        },
      };
    },
  };
}
