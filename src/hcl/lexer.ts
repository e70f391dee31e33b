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

export function isIdentStart(c: string): boolean {
  return /[\p{ID_Start}_]/u.test(c);
}

export function isIdentPart(c: string): boolean {
  return /[\p{ID_Continue}_-]/u.test(c);
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
    while (this.pos < t.length) {
      const c = t[this.pos]!;
      if (c === " " || c === "\t" || c === "\r" || c === "\uFEFF") {
        this.pos++;
      } else if (c === "#" || (c === "/" && t[this.pos + 1] === "/")) {
        while (this.pos < t.length && t[this.pos] !== "\n") this.pos++;
      } else if (c === "/" && t[this.pos + 1] === "*") {
        const close = t.indexOf("*/", this.pos + 2);
        if (close < 0) this.unterminatedComment ??= this.pos;
        this.pos = close < 0 ? t.length : close + 2;
      } else {
        break;
      }
    }
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
      const m = /^<<(-?)([\p{ID_Start}_][\p{ID_Continue}_-]*)[ \t]*\r?\n/u.exec(
        t.slice(start, start + 200),
      );
      if (m) {
        this.pos = start + m[0].length;
        return { kind: "heredoc", text: m[0], start, end: this.pos };
      }
    }
    if (c >= "0" && c <= "9") {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(t.slice(start, start + 400))!;
      this.pos = start + m[0].length;
      return { kind: "number", text: m[0], start, end: this.pos };
    }
    if (isIdentStart(c)) {
      let end = start + 1;
      while (end < t.length && isIdentPart(t[end]!)) end++;
      this.pos = end;
      return { kind: "ident", text: t.slice(start, end), start, end };
    }
    for (const p of punctuators) {
      if (t.startsWith(p, start)) {
        this.pos = start + p.length;
        return { kind: "punct", text: p, start, end: this.pos };
      }
    }
    // One code point of something HCL does not know.
    const cp = t.codePointAt(start)!;
    this.pos = start + (cp > 0xffff ? 2 : 1);
    return { kind: "invalid", text: t.slice(start, this.pos), start, end: this.pos };
  }
}
