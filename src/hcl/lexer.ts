/**
 * The HCL native-syntax scanner. It is pulled by the parser one token at a time,
 * because string templates are scanned by the parser itself (their `${...}`
 * parts switch back to tokens).
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

export function isIdentStart(c: string): boolean {
  const code = c.charCodeAt(0);
  return code < 128 ? isAsciiLetter(code) : ID_START.test(c);
}

export function isIdentPart(c: string): boolean {
  const code = c.charCodeAt(0);
  return code < 128 ? isAsciiIdentCode(code) : ID_PART.test(c);
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
}
