/**
 * The HCL native-syntax scanner. It is pulled by the parser one token at a time.
 * Template text (quoted strings, heredocs, JSON strings) is scanned on request:
 * after a `"` or a heredoc opener, and again after the `}` that closes each
 * `${...}`/`%{...}`, the parser asks for the next piece of template text
 * (TypeScript's scanner re-scans template continuations the same way).
 */
import type { SourceFile } from "../diagnostics/source.js";

export type TokenKind =
  | "ident"
  | "number"
  | "quote"
  | "heredoc"
  | "punct"
  | "newline"
  | "eof"
  | "invalid";

export interface Token {
  readonly kind: TokenKind;
  /** The token text (for punct: the operator; for heredoc: the whole `<<-EOT` opener). */
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

const punctuators = [
  "...",
  "&&",
  "||",
  "==",
  "!=",
  "<=",
  ">=",
  "=>",
  "{",
  "}",
  "[",
  "]",
  "(",
  ")",
  ",",
  "=",
  ":",
  "?",
  ".",
  "!",
  "<",
  ">",
  "+",
  "-",
  "*",
  "/",
  "%",
] as const;

const ID_START = /[\p{ID_Start}_]/u;
const ID_PART = /[\p{ID_Continue}_-]/u;
const NUMBER = /[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const HEREDOC_OPENER = /<<(-?)([\p{ID_Start}_][\p{ID_Continue}_-]*)[ \t]*\r?\n/uy;

function isAsciiLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isAsciiIdentCode(c: number): boolean {
  return isAsciiLetter(c) || (c >= 48 && c <= 57) || c === 45;
}

function isIdentStart(c: string): boolean {
  const code = c.charCodeAt(0);
  return code < 128 ? isAsciiLetter(code) : ID_START.test(c);
}

/** The punctuator starting at `pos` (longest match), or undefined. */
function punctuatorAt(t: string, pos: number): string | undefined {
  const c = t[pos]!;
  const n = t[pos + 1];
  switch (c) {
    case ".":
      return n === "." && t[pos + 2] === "." ? "..." : ".";
    case "&":
      return n === "&" ? "&&" : undefined;
    case "|":
      return n === "|" ? "||" : undefined;
    case "=":
      return n === "=" ? "==" : n === ">" ? "=>" : "=";
    case "!":
      return n === "=" ? "!=" : "!";
    case "<":
      return n === "=" ? "<=" : "<";
    case ">":
      return n === "=" ? ">=" : ">";
    default:
      return (punctuators as readonly string[]).includes(c) ? c : undefined;
  }
}

export class Scanner {
  pos = 0;
  readonly text: string;
  /** Where a block comment that is never closed starts, if there is one. */
  unterminatedComment: number | undefined;
  constructor(readonly file: SourceFile) {
    this.text = file.text;
  }

  /** Skips spaces, tabs, carriage returns and comments; a `#`/`//` comment stops before its newline. */
  skipSpace(): void {
    const t = this.text;
    const len = t.length;
    let pos = this.pos;
    while (pos < len) {
      const c = t.charCodeAt(pos);
      if (c === 32 || c === 9 || c === 13 || c === 0xfeff) {
        pos++;
      } else if (c === 35 || (c === 47 && t.charCodeAt(pos + 1) === 47)) {
        const nl = t.indexOf("\n", pos);
        pos = nl < 0 ? len : nl;
      } else if (c === 47 && t.charCodeAt(pos + 1) === 42) {
        const close = t.indexOf("*/", pos + 2);
        if (close < 0) this.unterminatedComment ??= pos;
        pos = close < 0 ? len : close + 2;
      } else {
        break;
      }
    }
    this.pos = pos;
  }

  /** True when a `/* ... ` comment at the current position is not closed. */
  unterminatedCommentAt(start: number): boolean {
    return this.text.startsWith("/*", start) && this.text.indexOf("*/", start + 2) < 0;
  }

  next(): Token {
    this.skipSpace();
    const t = this.text;
    const start = this.pos;
    if (start >= t.length) return { kind: "eof", text: "", start, end: start };
    const c = t[start]!;
    if (c === "\n") {
      this.pos++;
      return { kind: "newline", text: "\n", start, end: this.pos };
    }
    if (c === '"') {
      this.pos++;
      return { kind: "quote", text: '"', start, end: this.pos };
    }
    if (c === "<" && t[start + 1] === "<") {
      HEREDOC_OPENER.lastIndex = start;
      const m = HEREDOC_OPENER.exec(t);
      if (m) {
        this.pos = start + m[0].length;
        return { kind: "heredoc", text: m[0], start, end: this.pos };
      }
    }
    const code = t.charCodeAt(start);
    if (code >= 48 && code <= 57) {
      NUMBER.lastIndex = start;
      const m = NUMBER.exec(t)!;
      this.pos = start + m[0].length;
      return { kind: "number", text: m[0], start, end: this.pos };
    }
    if (isIdentStart(c)) {
      let end = start + 1;
      for (;;) {
        const d = t.charCodeAt(end);
        if (d < 128 ? isAsciiIdentCode(d) : end < t.length && ID_PART.test(t[end]!)) end++;
        else break;
      }
      this.pos = end;
      return { kind: "ident", text: t.slice(start, end), start, end };
    }
    const p = punctuatorAt(t, start);
    if (p !== undefined) {
      this.pos = start + p.length;
      return { kind: "punct", text: p, start, end: this.pos };
    }
    // One code point of something HCL does not know.
    const cp = t.codePointAt(start)!;
    this.pos = start + (cp > 0xffff ? 2 : 1);
    return { kind: "invalid", text: t.slice(start, this.pos), start, end: this.pos };
  }

  /**
   * The next piece of template text from `pos`: a literal run, an opening
   * `${`/`%{`, the end of the template, or an error.
   */
  scanTemplate(mode: TemplateMode): TemplateToken {
    const t = this.text;
    const start = this.pos;
    let pos = start;
    let value = "";
    for (;;) {
      if (mode.kind === "heredoc" && (pos === 0 || t.charCodeAt(pos - 1) === 10)) {
        const lineEnd = lineEndAt(t, pos);
        const line = t.slice(pos, lineEnd).replace(/\r$/, "");
        if (line.trim() === mode.marker) {
          if (pos > start) return this.literal(value, start, pos);
          this.pos = lineEnd;
          return { kind: "end", start: pos, end: lineEnd };
        }
        // Lines holding only spaces and tabs keep them (as HCL does).
        if (line.trim() !== "") pos += indentToSkip(t, pos, mode.indent);
      }
      if (pos >= t.length) {
        if (pos > start) return this.literal(value, start, pos);
        if (mode.kind === "bare") return { kind: "end", start: pos, end: pos };
        const message =
          mode.kind === "heredoc" ? "Unterminated template string" : UNTERMINATED_STRING;
        // hcl names where the text ran out (the end of the file), not where it began.
        return { kind: "error", message, start: pos, end: pos };
      }
      const c = t.charCodeAt(pos);
      if (mode.kind === "quoted") {
        if (c === 34 /* " */) {
          if (pos > start) return this.literal(value, start, pos);
          this.pos = pos + 1;
          return { kind: "end", start: pos, end: pos + 1 };
        }
        if (c === 10) {
          // hcl names the end of the line, where the closing quote is missing.
          return { kind: "error", message: UNTERMINATED_STRING, start: pos, end: pos };
        }
        if (c === 92 /* \ */) {
          const decoded = decodeEscape(t, pos);
          if ("message" in decoded)
            return {
              kind: "error",
              message: decoded.message,
              start: pos,
              end: pos + decoded.length,
            };
          value += decoded.value;
          pos += decoded.length;
          continue;
        }
      }
      if ((c === 36 || c === 37) && t[pos + 1] === t[pos] && t[pos + 2] === "{") {
        value += `${t[pos]}{`; // `$${` and `%%{` stand for `${` and `%{`
        pos += 3;
        continue;
      }
      const opener = templateOpenerAt(t, pos);
      if (opener !== undefined) {
        if (pos > start && value !== "") return this.literal(value, start, pos);
        const strip = t[pos + 2] === "~";
        this.pos = pos + (strip ? 3 : 2);
        const kind = opener === "$" ? "interpolation" : "directive";
        return { kind, strip, start: pos, end: this.pos };
      }
      const runEnd = plainRunEnd(t, pos, mode.kind === "heredoc");
      value += t.slice(pos, runEnd);
      pos = runEnd;
    }
  }

  private literal(value: string, start: number, end: number): TemplateToken {
    this.pos = end;
    return { kind: "literal", value, start, end };
  }

  /**
   * The fast path for the most common string: after an opening quote, text
   * with no escape, interpolation or directive up to the closing quote. Takes
   * it and the quote, or takes nothing and gives undefined.
   */
  scanPlainString(): { value: string; start: number; end: number } | undefined {
    const t = this.text;
    const start = this.pos;
    for (let i = start; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 34 /* " */) {
        this.pos = i + 1;
        return { value: t.slice(start, i), start, end: i };
      }
      if (c === 10 || c === 36 || c === 37 || c === 92) return undefined;
    }
    return undefined;
  }

  /** Skips the rest of a quoted string without reading it (error recovery). */
  skipQuoted(): void {
    const t = this.text;
    let i = this.pos;
    while (i < t.length && t[i] !== '"' && t[i] !== "\n") i += t[i] === "\\" ? 2 : 1;
    this.pos = Math.min(t.length, t[i] === '"' ? i + 1 : i);
  }

  /** Skips a heredoc's lines up to its closing marker line (error recovery). */
  skipHeredoc(opener: Token): void {
    const { marker } = heredocOpener(opener);
    const t = this.text;
    let pos = opener.end;
    while (pos < t.length) {
      const lineEnd = lineEndAt(t, pos);
      if (t.slice(pos, lineEnd).trim() === marker) {
        this.pos = lineEnd;
        return;
      }
      pos = lineEnd + 1;
    }
    this.pos = t.length;
  }
}

// ---------------------------------------------------------------- templates

/** How a template's text ends: a closing quote, a heredoc's marker line, or the end of the text (a JSON string). */
export type TemplateMode =
  | { readonly kind: "quoted" }
  | { readonly kind: "heredoc"; readonly marker: string; readonly indent: number }
  | { readonly kind: "bare" };

/** One piece of template text. */
export type TemplateToken =
  /** Text with escapes decoded and a flush heredoc's indentation removed. */
  | {
      readonly kind: "literal";
      readonly value: string;
      readonly start: number;
      readonly end: number;
    }
  /** `${` or `%{`, and whether a `~` follows (strip the whitespace before it). */
  | {
      readonly kind: "interpolation" | "directive";
      readonly strip: boolean;
      readonly start: number;
      readonly end: number;
    }
  /** The closing quote, the heredoc's closing marker line, or the end of a bare template. */
  | { readonly kind: "end"; readonly start: number; readonly end: number }
  | {
      readonly kind: "error";
      readonly message: string;
      readonly start: number;
      readonly end: number;
    };

const UNTERMINATED_STRING =
  "Unterminated template string; No closing marker was found for the string.";

const SIMPLE_ESCAPES: ReadonlyMap<string, string> = new Map([
  ["n", "\n"],
  ["r", "\r"],
  ["t", "\t"],
  ['"', '"'],
  ["\\", "\\"],
]);

/** Whether `pos` starts a `${`/`%{` sequence (not the escaped `$${`/`%%{`). */
function templateOpenerAt(t: string, pos: number): "$" | "%" | undefined {
  const c = t[pos];
  return (c === "$" || c === "%") && t[pos + 1] === "{" ? c : undefined;
}

/** The escape sequence after the backslash at `pos` in a quoted string: its value and length, or a message. */
export function decodeEscape(
  t: string,
  pos: number,
): { value: string; length: number } | { message: string; length: number } {
  const e = t[pos + 1];
  const simple = e === undefined ? undefined : SIMPLE_ESCAPES.get(e);
  if (simple !== undefined) return { value: simple, length: 2 };
  if (e === "u" || e === "U") {
    const len = e === "u" ? 4 : 8;
    const hex = t.slice(pos + 2, pos + 2 + len);
    if (hex.length !== len || !/^[0-9A-Fa-f]*$/.test(hex)) {
      return {
        message: `Invalid escape sequence; The \\${e} escape needs ${len} hexadecimal digits.`,
        length: 2 + hex.length,
      };
    }
    const cp = Number.parseInt(hex, 16);
    if (cp > 0x10ffff)
      return { message: "Invalid escape sequence; not a Unicode code point.", length: 2 + len };
    return { value: String.fromCodePoint(cp), length: 2 + len };
  }
  return {
    message: `Invalid escape sequence; The symbol "${e ?? ""}" is not a valid escape sequence selector.`,
    length: 2,
  };
}

/**
 * Where a heredoc's closing marker line is, and the indentation common to its
 * non-blank lines (removed from a flush `<<-` heredoc), or undefined when no
 * line closes it.
 */
export function heredocShape(
  t: string,
  bodyStart: number,
  marker: string,
  flush: boolean,
): { indent: number } | undefined {
  let indent = Number.POSITIVE_INFINITY;
  let pos = bodyStart;
  while (pos <= t.length) {
    const nl = t.indexOf("\n", pos);
    const lineEnd = nl < 0 ? t.length : nl;
    const line = t.slice(pos, lineEnd).replace(/\r$/, "");
    const trimmed = line.trim();
    if (trimmed === marker) return { indent: flush && Number.isFinite(indent) ? indent : 0 };
    if (flush && trimmed !== "") indent = Math.min(indent, /^[ \t]*/.exec(line)![0].length);
    if (nl < 0) return undefined;
    pos = nl + 1;
  }
  return undefined;
}

/** The `<<-EOT` opener's marker and whether it is flush (`<<-`). */
export function heredocOpener(opener: Token): { marker: string; flush: boolean } {
  const m = /^<<(-?)([^\s]+)/.exec(opener.text)!;
  return { marker: m[2]!, flush: m[1] === "-" };
}

function lineEndAt(t: string, pos: number): number {
  const nl = t.indexOf("\n", pos);
  return nl < 0 ? t.length : nl;
}

/** How many of up to `indent` spaces and tabs start the line at `pos`. */
function indentToSkip(t: string, pos: number, indent: number): number {
  let n = 0;
  while (n < indent && (t[pos + n] === " " || t[pos + n] === "\t")) n++;
  return n;
}

/**
 * The end of a run of template text that holds nothing special: up to the next
 * character that may mean something (a quote, backslash, `$`, `%`), or just
 * past a newline in a heredoc (whose next line may be the marker).
 */
function plainRunEnd(t: string, pos: number, heredoc: boolean): number {
  let end = pos + 1;
  if (t.charCodeAt(pos) === 10) return end;
  while (end < t.length) {
    const d = t.charCodeAt(end);
    if (d === 34 || d === 36 || d === 37 || d === 92) break;
    if (d === 10) return heredoc ? end + 1 : end;
    end++;
  }
  return end;
}
