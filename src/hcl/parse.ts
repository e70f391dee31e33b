/**
 * HCL native syntax to the syntax tree of ast.ts: a recursive-descent parser
 * following hashicorp/hcl's hclsyntax specification. Syntax errors are collected
 * as diagnostics (the parser recovers at the next line of the enclosing body).
 */
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { formatPosition, type SourceFile, type SourceRange } from "../diagnostics/source.js";
import type {
  Attribute,
  BinaryOperator,
  Block,
  Body,
  Expression,
  ObjectItem,
  SplatItemExpr,
  TemplateExpr,
  TemplatePart,
} from "./ast.js";
import { isIdentPart, isIdentStart, Scanner, type Token } from "./lexer.js";

export interface ParseResult {
  readonly body: Body;
  readonly diagnostics: Diagnostic[];
}

class ParseAbort extends Error {}

const stopAtEnd: ReadonlySet<"eof"> = new Set(["eof"]);

const binaryLevels: readonly (readonly BinaryOperator[])[] = [
  ["||"],
  ["&&"],
  ["==", "!="],
  ["<", ">", "<=", ">="],
  ["+", "-"],
  ["*", "/", "%"],
];

/** Each binary operator's precedence level (higher binds tighter). */
const binaryLevel: ReadonlyMap<string, number> = new Map(
  binaryLevels.flatMap((ops, level) => ops.map((op) => [op, level] as const)),
);

type MutablePart =
  | { kind: "TemplateLiteral"; value: string; range: SourceRange }
  | Exclude<TemplatePart, { kind: "TemplateLiteral" }>;

interface HeredocMode {
  readonly marker: string;
  readonly indent: number;
}

interface DirectiveEnd {
  readonly keyword: "else" | "endif" | "endfor" | "eof";
  readonly start: number;
  readonly end: number;
}

class Parser {
  private readonly scanner: Scanner;
  private peeked: Token | undefined;
  private newlineSkip = 0;
  /** Scanning a delimiter-less template (a JSON string): the end of text ends it. */
  rawMode = false;
  readonly diagnostics: Diagnostic[] = [];

  constructor(readonly file: SourceFile) {
    this.scanner = new Scanner(file);
  }

  range(start: number, end: number): SourceRange {
    return { file: this.file, start, end };
  }

  fail(summary: string, start: number, end: number, detail?: string): never {
    this.diagnostics.push({
      severity: "error",
      summary,
      range: this.range(start, Math.max(end, start + 1)),
      ...(detail ? { detail } : {}),
    });
    throw new ParseAbort(summary);
  }

  /** Where the scan of the peeked token began, and whether newlines were being skipped then. */
  private peekedFrom = 0;
  private peekedSkipping = false;

  peek(): Token {
    if (this.peeked && this.peekedSkipping && this.newlineSkip === 0) {
      // Peeked while newlines were insignificant; now they matter: scan again.
      this.scanner.pos = this.peekedFrom;
      this.peeked = undefined;
    }
    if (!this.peeked) {
      this.peekedFrom = this.scanner.pos;
      this.peekedSkipping = this.newlineSkip > 0;
      for (;;) {
        const t = this.scanner.next();
        if (t.kind === "newline" && this.newlineSkip > 0) continue;
        this.peeked = t;
        break;
      }
    }
    return this.peeked;
  }

  take(): Token {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  /** Rewinds the scanner to just after `token`, forgetting any peeked token. */
  private resumeAt(pos: number): void {
    this.peeked = undefined;
    this.scanner.pos = pos;
  }

  isPunct(t: Token, p: string): boolean {
    return t.kind === "punct" && t.text === p;
  }

  /** Takes the punctuator `p`, or reports `summary` (a full message) naming what was found. */
  expectPunct(p: string, summary: string): Token {
    const t = this.take();
    if (!this.isPunct(t, p)) this.unexpected(t, summary);
    return t;
  }

  unexpected(t: Token, summary: string): never {
    if (t.kind === "eof") {
      if (this.scanner.unterminatedCommentAt(t.start))
        this.fail("Unterminated comment", t.start, t.end);
      this.fail(`${summary}; the file ended first.`, Math.max(0, t.start - 1), t.start);
    }
    if (t.kind === "invalid") {
      this.fail(
        `Invalid character; This character is not used within the language: "${t.text}".`,
        t.start,
        t.end,
      );
    }
    const shown = t.kind === "newline" ? "a new line" : `"${t.text}"`;
    this.fail(`${summary}, found ${shown}.`, t.start, t.end);
  }

  withNewlinesSkipped<T>(fn: () => T): T {
    this.newlineSkip++;
    try {
      return fn();
    } finally {
      this.newlineSkip--;
    }
  }

  /** Runs fn with newlines significant again (inside an object constructor or a body). */
  withNewlinesSignificant<T>(fn: () => T): T {
    const saved = this.newlineSkip;
    this.newlineSkip = 0;
    if (this.peeked?.kind === "newline") {
      // nothing to undo: a peeked newline is already visible
    }
    try {
      return fn();
    } finally {
      this.newlineSkip = saved;
    }
  }

  // ---------------------------------------------------------------- bodies

  parseFile(): Body {
    const body = this.parseBody(undefined, 0);
    const comment = this.scanner.unterminatedComment;
    if (comment !== undefined) {
      this.diagnostics.push({
        severity: "error",
        summary:
          'Unterminated comment; There is no "*/" closing this comment before the end of the file.',
        range: this.range(comment, comment + 2),
      });
    }
    return body;
  }

  parseBody(closing: Token | undefined, start: number): Body {
    const attributes: Attribute[] = [];
    const blocks: Block[] = [];
    const seen = new Map<string, Attribute>();
    for (;;) {
      let t = this.peek();
      while (t.kind === "newline") {
        this.take();
        t = this.peek();
      }
      if (t.kind === "eof") {
        if (closing) {
          this.diagnostics.push({
            severity: "error",
            summary:
              "Unclosed configuration block; There is no closing brace for this block before the end of the file.",
            range: this.range(closing.start, closing.end),
          });
        }
        return { kind: "Body", attributes, blocks, range: this.range(start, t.start) };
      }
      if (closing && this.isPunct(t, "}")) {
        return { kind: "Body", attributes, blocks, range: this.range(start, t.start) };
      }
      try {
        const item = this.parseBodyItem();
        if (item.kind === "Attribute") {
          const previous = seen.get(item.name);
          if (previous) {
            this.diagnostics.push({
              severity: "error",
              summary: `Attribute redefined; The argument "${item.name}" was already set at ${formatPosition(previous.nameRange)}. Each argument may be set only once.`,
              range: item.nameRange,
              related: [{ message: `"${item.name}" is first set here`, range: previous.nameRange }],
            });
          } else seen.set(item.name, item);
          attributes.push(item);
        } else blocks.push(item);
      } catch (err) {
        if (!(err instanceof ParseAbort)) throw err;
        this.recoverFrom(t.start);
      }
    }
  }

  /**
   * After a syntax error in the item that starts at `itemStart`: skip the
   * whole item (rescanning it with brackets balanced) up to the newline that
   * ends it, or up to a `}` that closes the enclosing block.
   */
  recoverFrom(itemStart: number): void {
    this.newlineSkip = 0;
    this.resumeAt(itemStart);
    const open: string[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === "eof") return;
      if (t.kind === "newline") {
        this.take();
        if (open.length === 0) return;
        continue;
      }
      if (t.kind === "quote") {
        this.take();
        this.skipQuotedRaw();
        continue;
      }
      if (t.kind === "heredoc") {
        this.take();
        this.skipHeredocRaw(t);
        continue;
      }
      if (t.kind === "punct") {
        const opener = t.text === "}" ? "{" : t.text === "]" ? "[" : t.text === ")" ? "(" : "";
        if (t.text === "{" || t.text === "[" || t.text === "(") open.push(t.text);
        else if (opener !== "") {
          const at = open.lastIndexOf(opener);
          if (at >= 0) open.length = at;
          else if (opener === "{" && t.start !== itemStart) return;
        }
      }
      this.take();
    }
  }

  /** Skips a heredoc's lines up to its closing marker (during error recovery). */
  skipHeredocRaw(opener: Token): void {
    const marker = /^<<-?([^\s]+)/.exec(opener.text)?.[1] ?? "";
    const text = this.file.text;
    let pos = opener.end;
    while (pos < text.length) {
      const nl = text.indexOf("\n", pos);
      const lineEnd = nl < 0 ? text.length : nl;
      if (text.slice(pos, lineEnd).trim() === marker) {
        this.resumeAt(lineEnd);
        return;
      }
      pos = lineEnd + 1;
    }
    this.resumeAt(text.length);
  }

  skipQuotedRaw(): void {
    const text = this.file.text;
    let i = this.scanner.pos;
    while (i < text.length && text[i] !== '"' && text[i] !== "\n") i += text[i] === "\\" ? 2 : 1;
    this.resumeAt(Math.min(text.length, text[i] === '"' ? i + 1 : i));
  }

  parseBodyItem(): Attribute | Block {
    const nameTok = this.take();
    if (nameTok.kind !== "ident") {
      this.unexpected(
        nameTok,
        "Argument or block definition required; An argument or block definition is required here",
      );
    }
    const nameRange = this.range(nameTok.start, nameTok.end);
    const next = this.peek();
    if (this.isPunct(next, "=")) {
      this.take();
      const expr = this.parseExpression();
      this.expectItemEnd("argument");
      return {
        kind: "Attribute",
        name: nameTok.text,
        nameRange,
        expr,
        range: this.range(nameTok.start, expr.range.end),
      };
    }
    const labels: string[] = [];
    const labelRanges: SourceRange[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === "ident") {
        this.take();
        labels.push(t.text);
        labelRanges.push(this.range(t.start, t.end));
      } else if (t.kind === "quote") {
        this.take();
        const tmpl = this.parseQuotedTemplate(t.start);
        const literal = templateAsLiteral(tmpl);
        if (literal === undefined) {
          this.fail(
            "Invalid block label; Block labels must be plain strings, without interpolation.",
            tmpl.range.start,
            tmpl.range.end,
          );
        }
        labels.push(literal);
        labelRanges.push(tmpl.range);
      } else if (this.isPunct(t, "{")) {
        break;
      } else {
        this.unexpected(
          t,
          `Invalid argument or block definition; An argument named "${nameTok.text}" must be followed by "=", a block by its labels and "{"`,
        );
      }
    }
    const open = this.take();
    const first = this.withNewlinesSignificant(() => this.peek());
    const body =
      first.kind === "newline" || first.kind === "eof" || this.isPunct(first, "}")
        ? this.withNewlinesSignificant(() => this.parseBody(open, open.end))
        : this.withNewlinesSignificant(() => this.parseSingleLineBody(open));
    const close = this.take();
    if (!this.isPunct(close, "}")) {
      // parseBody reported the unclosed block already.
      return {
        kind: "Block",
        type: nameTok.text,
        typeRange: nameRange,
        labels,
        labelRanges,
        body,
        range: this.range(nameTok.start, close.start),
      };
    }
    this.expectItemEnd("block");
    return {
      kind: "Block",
      type: nameTok.text,
      typeRange: nameRange,
      labels,
      labelRanges,
      body,
      range: this.range(nameTok.start, close.end),
    };
  }

  /** `{ name = expr }` on one line: at most one argument, and the brace closes it on that line. */
  parseSingleLineBody(open: Token): Body {
    const nameTok = this.take();
    if (nameTok.kind !== "ident" || !this.isPunct(this.peek(), "=")) {
      this.fail(
        "Invalid single-argument block definition; A single-line block definition can contain only a single argument. To define a nested block, place it on a line of its own within its parent block.",
        nameTok.start,
        nameTok.end,
      );
    }
    this.take();
    const expr = this.parseExpression();
    const close = this.peek();
    if (!this.isPunct(close, "}")) {
      this.fail(
        "Invalid single-argument block definition; A single-line block definition must end with a closing brace immediately after its single argument definition.",
        close.start,
        close.end,
      );
    }
    const attribute: Attribute = {
      kind: "Attribute",
      name: nameTok.text,
      nameRange: this.range(nameTok.start, nameTok.end),
      expr,
      range: this.range(nameTok.start, expr.range.end),
    };
    return {
      kind: "Body",
      attributes: [attribute],
      blocks: [],
      range: this.range(open.end, close.start),
    };
  }

  expectItemEnd(what: string): void {
    const t = this.peek();
    if (t.kind === "newline") {
      this.take();
      return;
    }
    // Even a closing brace must wait for the next line (only one-line blocks differ).
    if (t.kind === "eof") return;
    this.unexpected(
      t,
      `Missing newline after ${what}; ${what === "block" ? "A block" : "An argument"} definition must end with a newline`,
    );
  }

  // ---------------------------------------------------------------- expressions

  parseExpression(): Expression {
    const condition = this.parseBinary(0);
    if (!this.isPunct(this.peek(), "?")) return condition;
    this.take();
    const then = this.withNewlinesSkipped(() => this.parseExpression());
    this.expectPunct(":", 'Missing false expression; Expected the ":" of a conditional expression');
    const otherwise = this.parseExpression();
    return {
      kind: "Conditional",
      condition,
      then,
      else: otherwise,
      range: this.range(condition.range.start, otherwise.range.end),
    };
  }

  /** Binary operators by precedence climbing: every level is left-associative. */
  parseBinary(minLevel: number): Expression {
    let left = this.parseUnary();
    for (;;) {
      const t = this.peek();
      const level = t.kind === "punct" ? binaryLevel.get(t.text) : undefined;
      if (level === undefined || level < minLevel) return left;
      this.take();
      const right = this.parseBinary(level + 1);
      left = {
        kind: "Binary",
        op: t.text as BinaryOperator,
        left,
        right,
        range: this.range(left.range.start, right.range.end),
      };
    }
  }

  parseUnary(): Expression {
    const t = this.peek();
    if (this.isPunct(t, "!") || this.isPunct(t, "-")) {
      this.take();
      const operand = this.parseUnary();
      return {
        kind: "Unary",
        op: t.text as "!" | "-",
        operand,
        range: this.range(t.start, operand.range.end),
      };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  parsePrimary(): Expression {
    const t = this.take();
    switch (t.kind) {
      case "number":
        return {
          kind: "Literal",
          value: Number(t.text),
          raw: t.text,
          range: this.range(t.start, t.end),
        };
      case "ident": {
        if (t.text === "true" || t.text === "false") {
          return { kind: "Literal", value: t.text === "true", range: this.range(t.start, t.end) };
        }
        if (t.text === "null")
          return { kind: "Literal", value: null, range: this.range(t.start, t.end) };
        if (this.isPunct(this.peek(), "(")) return this.parseCall(t);
        return { kind: "Variable", name: t.text, range: this.range(t.start, t.end) };
      }
      case "quote":
        return this.parseQuotedTemplate(t.start);
      case "heredoc":
        return this.parseHeredoc(t);
      case "punct":
        if (t.text === "(") {
          const expr = this.withNewlinesSkipped(() => {
            const inner = this.parseExpression();
            return inner;
          });
          const close = this.withNewlinesSkipped(() =>
            this.expectPunct(")", 'Unbalanced parentheses; Expected a closing ")"'),
          );
          return { kind: "Paren", expr, range: this.range(t.start, close.end) };
        }
        if (t.text === "[") return this.withNewlinesSkipped(() => this.parseTupleOrFor(t));
        if (t.text === "{") return this.withNewlinesSignificant(() => this.parseObjectOrFor(t));
        break;
      default:
        break;
    }
    return this.unexpected(t, "Invalid expression; Expected the start of an expression");
  }

  parseCall(name: Token): Expression {
    this.take(); // (
    return this.withNewlinesSkipped(() => {
      const args: Expression[] = [];
      let expandFinal = false;
      for (;;) {
        const t = this.peek();
        if (this.isPunct(t, ")")) break;
        args.push(this.parseExpression());
        const sep = this.peek();
        if (this.isPunct(sep, "...")) {
          this.take();
          expandFinal = true;
          const close = this.peek();
          if (!this.isPunct(close, ")")) {
            this.unexpected(
              close,
              'Missing closing parenthesis; An expanded argument ("...") must be the last argument',
            );
          }
          break;
        }
        if (this.isPunct(sep, ",")) {
          this.take();
          continue;
        }
        if (!this.isPunct(sep, ")"))
          this.unexpected(sep, 'Missing argument separator; A comma or ")" is required here');
      }
      const close = this.take();
      return {
        kind: "FunctionCall" as const,
        name: name.text,
        nameRange: this.range(name.start, name.end),
        args,
        expandFinal,
        range: this.range(name.start, close.end),
      };
    });
  }

  /** True when the next tokens are `for IDENT`: a for expression, not a variable named "for". */
  atForKeyword(): boolean {
    const t = this.peek();
    if (t.kind !== "ident" || t.text !== "for") return false;
    const saved = { pos: this.scanner.pos, peeked: this.peeked };
    this.take();
    const after = this.peek();
    this.scanner.pos = saved.pos;
    this.peeked = saved.peeked;
    return after.kind === "ident";
  }

  parseForIntro(): { keyVar?: string; valueVar: string; collection: Expression } {
    this.take(); // for
    const first = this.take();
    if (first.kind !== "ident")
      this.unexpected(first, "Invalid for expression; Expected an iterator variable name");
    let keyVar: string | undefined;
    let valueVar = first.text;
    if (this.isPunct(this.peek(), ",")) {
      this.take();
      const second = this.take();
      if (second.kind !== "ident")
        this.unexpected(
          second,
          "Invalid for expression; Expected a value variable name after the comma",
        );
      keyVar = first.text;
      valueVar = second.text;
    }
    const inTok = this.take();
    if (inTok.kind !== "ident" || inTok.text !== "in")
      this.unexpected(inTok, 'Invalid for expression; Expected "in"');
    const collection = this.parseExpression();
    this.expectPunct(":", 'Invalid for expression; Expected ":" after the collection');
    return { ...(keyVar !== undefined ? { keyVar } : {}), valueVar, collection };
  }

  parseTupleOrFor(open: Token): Expression {
    if (this.atForKeyword()) {
      const intro = this.parseForIntro();
      const valueExpr = this.parseExpression();
      let condition: Expression | undefined;
      const t = this.peek();
      if (t.kind === "ident" && t.text === "if") {
        this.take();
        condition = this.parseExpression();
      }
      const close = this.expectPunct("]", 'Invalid for expression; Expected "]"');
      return {
        kind: "For",
        ...intro,
        valueExpr,
        ...(condition ? { condition } : {}),
        group: false,
        range: this.range(open.start, close.end),
      };
    }
    const items: Expression[] = [];
    for (;;) {
      const t = this.peek();
      if (this.isPunct(t, "]")) break;
      items.push(this.parseExpression());
      const sep = this.peek();
      if (this.isPunct(sep, ",")) {
        this.take();
        continue;
      }
      if (!this.isPunct(sep, "]"))
        this.unexpected(sep, 'Missing item separator; Expected a comma or "]"');
    }
    const close = this.take();
    return { kind: "Tuple", items, range: this.range(open.start, close.end) };
  }

  skipNewlines(): void {
    while (this.peek().kind === "newline") this.take();
  }

  parseObjectOrFor(open: Token): Expression {
    this.skipNewlines();
    if (this.atForKeyword()) {
      return this.withNewlinesSkipped(() => {
        const intro = this.parseForIntro();
        const keyExpr = this.parseExpression();
        this.expectPunct("=>", 'Invalid for expression; Expected "=>" in an object for expression');
        const valueExpr = this.parseExpression();
        let group = false;
        if (this.isPunct(this.peek(), "...")) {
          this.take();
          group = true;
        }
        let condition: Expression | undefined;
        const t = this.peek();
        if (t.kind === "ident" && t.text === "if") {
          this.take();
          condition = this.parseExpression();
        }
        const close = this.expectPunct("}", 'Invalid for expression; Expected "}"');
        return {
          kind: "For" as const,
          ...intro,
          keyExpr,
          valueExpr,
          ...(condition ? { condition } : {}),
          group,
          range: this.range(open.start, close.end),
        };
      });
    }
    const items: ObjectItem[] = [];
    for (;;) {
      this.skipNewlines();
      const t = this.peek();
      if (this.isPunct(t, "}")) break;
      let key: Expression;
      let bareKey = false;
      if (t.kind === "ident" && !["true", "false", "null"].includes(t.text)) {
        // A bare name is a literal key unless more follows (e.g. a function call).
        const saved = { pos: this.scanner.pos, peeked: this.peeked };
        this.take();
        const after = this.peek();
        if (this.isPunct(after, "=") || this.isPunct(after, ":")) {
          key = { kind: "Literal", value: t.text, range: this.range(t.start, t.end) };
          bareKey = true;
        } else {
          this.scanner.pos = saved.pos;
          this.peeked = saved.peeked;
          key = this.withNewlinesSkipped(() => this.parseExpression());
        }
      } else {
        key = this.withNewlinesSkipped(() => this.parseExpression());
      }
      const eq = this.take();
      if (!this.isPunct(eq, "=") && !this.isPunct(eq, ":")) {
        this.unexpected(
          eq,
          'Missing key/value separator; Expected an equals sign ("=") to mark the beginning of the attribute value',
        );
      }
      const value = this.withNewlinesSkipped(() => this.parseExpression());
      items.push({ key, bareKey, value });
      const sep = this.peek();
      if (this.isPunct(sep, ",")) {
        this.take();
        continue;
      }
      if (sep.kind === "newline") continue;
      if (!this.isPunct(sep, "}")) {
        this.unexpected(
          sep,
          "Missing attribute separator; Expected a newline or comma to mark the end of the attribute",
        );
      }
    }
    const close = this.take();
    return { kind: "Object", items, range: this.range(open.start, close.end) };
  }

  parsePostfix(expr: Expression): Expression {
    for (;;) {
      const t = this.peek();
      if (this.isPunct(t, ".")) {
        this.take();
        const n = this.take();
        if (n.kind === "ident") {
          expr = {
            kind: "GetAttr",
            object: expr,
            name: n.text,
            range: this.range(expr.range.start, n.end),
          };
        } else if (n.kind === "number" && /^[0-9]+(\.[0-9]+)?$/.test(n.text)) {
          // Legacy index syntax: a.0 (and a.0.1, which the scanner saw as one number).
          let at = n.start;
          for (const digits of n.text.split(".")) {
            const key: Expression = {
              kind: "Literal",
              value: Number(digits),
              raw: digits,
              range: this.range(at, at + digits.length),
            };
            expr = {
              kind: "Index",
              collection: expr,
              key,
              range: this.range(expr.range.start, at + digits.length),
            };
            at += digits.length + 1;
          }
        } else if (this.isPunct(n, "*")) {
          expr = this.parseSplat(expr, "attr", n.end);
        } else {
          this.unexpected(
            n,
            'Invalid attribute name; An attribute name is required after a dot (".")',
          );
        }
      } else if (this.isPunct(t, "[")) {
        this.take();
        const next = this.withNewlinesSkipped(() => this.peek());
        if (this.isPunct(next, "*")) {
          this.take();
          const close = this.withNewlinesSkipped(() =>
            this.expectPunct(
              "]",
              'Missing close bracket on splat index; Expected a "]" after "[*"',
            ),
          );
          expr = this.parseSplat(expr, "full", close.end);
        } else {
          const key = this.withNewlinesSkipped(() => this.parseExpression());
          const close = this.withNewlinesSkipped(() =>
            this.expectPunct("]", 'Missing close bracket on index; Expected "]"'),
          );
          expr = {
            kind: "Index",
            collection: expr,
            key,
            range: this.range(expr.range.start, close.end),
          };
        }
      } else {
        return expr;
      }
    }
  }

  parseSplat(source: Expression, style: "attr" | "full", end: number): Expression {
    const item: SplatItemExpr = { kind: "SplatItem", range: this.range(end, end) };
    let each: Expression = item;
    for (;;) {
      const t = this.peek();
      if (this.isPunct(t, ".")) {
        const saved = { pos: this.scanner.pos, peeked: this.peeked };
        this.take();
        const n = this.peek();
        if (n.kind === "ident") {
          this.take();
          each = { kind: "GetAttr", object: each, name: n.text, range: this.range(end, n.end) };
          end = n.end;
          continue;
        }
        if (n.kind === "number" && /^[0-9]+$/.test(n.text)) {
          this.take();
          const key: Expression = {
            kind: "Literal",
            value: Number(n.text),
            raw: n.text,
            range: this.range(n.start, n.end),
          };
          each = { kind: "Index", collection: each, key, range: this.range(end, n.end) };
          end = n.end;
          continue;
        }
        if (style === "full" && this.isPunct(n, "*")) {
          // `list[*].a.*.b`: an attribute splat applied to every element.
          this.take();
          each = this.parseSplat(each, "attr", n.end);
          end = each.range.end;
          continue;
        }
        this.scanner.pos = saved.pos;
        this.peeked = saved.peeked;
        break;
      }
      if (style === "full" && this.isPunct(t, "[")) {
        this.take();
        if (
          this.isPunct(
            this.withNewlinesSkipped(() => this.peek()),
            "*",
          )
        ) {
          // `list[*].a[*].b`: a full splat of every element's `a`; it takes the rest.
          this.take();
          const close = this.withNewlinesSkipped(() =>
            this.expectPunct(
              "]",
              'Missing close bracket on splat index; Expected a "]" after "[*"',
            ),
          );
          each = this.parseSplat(each, "full", close.end);
          end = each.range.end;
          break;
        }
        const key = this.withNewlinesSkipped(() => this.parseExpression());
        const close = this.withNewlinesSkipped(() =>
          this.expectPunct("]", 'Missing close bracket on index; Expected "]"'),
        );
        each = { kind: "Index", collection: each, key, range: this.range(end, close.end) };
        end = close.end;
        continue;
      }
      break;
    }
    return { kind: "Splat", source, each, style, range: this.range(source.range.start, end) };
  }

  // ---------------------------------------------------------------- templates

  parseQuotedTemplate(start: number): TemplateExpr {
    this.peeked = undefined;
    // A quoted string inside a bare template's interpolation is an ordinary quoted string.
    const outerRaw = this.rawMode;
    this.rawMode = false;
    try {
      return this.parseQuotedTemplateBody(start);
    } finally {
      this.rawMode = outerRaw;
    }
  }

  private parseQuotedTemplateBody(start: number): TemplateExpr {
    {
      // Fast path: a plain string without escapes, interpolations or directives.
      const text = this.file.text;
      const from = this.scanner.pos;
      let i = from;
      for (;;) {
        const c = text.charCodeAt(i);
        if (c === 34) {
          this.resumeAt(i + 1);
          const parts: TemplatePart[] =
            i > from
              ? [
                  {
                    kind: "TemplateLiteral",
                    value: text.slice(from, i),
                    range: this.range(from, i),
                  },
                ]
              : [];
          return { kind: "Template", parts, range: this.range(start, i + 1) };
        }
        // Anything that may need decoding (or an unterminated string) takes the full path.
        if (c === 10 || c === 36 || c === 37 || c === 92 || Number.isNaN(c)) break;
        i++;
      }
    }
    const { parts, end } = this.parseTemplateSequence(undefined, stopAtEnd);
    return { kind: "Template", parts, range: this.range(start, end) };
  }

  parseHeredoc(opener: Token): TemplateExpr {
    const m = /^<<(-?)([^\s]+)/.exec(opener.text)!;
    const flush = m[1] === "-";
    const marker = m[2]!;
    const text = this.file.text;
    // Find the closing marker line to learn the common indentation of a flush heredoc.
    let indent = Number.POSITIVE_INFINITY;
    let pos = opener.end;
    let closed = false;
    while (pos <= text.length) {
      const nl = text.indexOf("\n", pos);
      const lineEnd = nl < 0 ? text.length : nl;
      const line = text.slice(pos, lineEnd).replace(/\r$/, "");
      if (line.trim() === marker) {
        closed = true;
        break;
      }
      if (flush && line.trim() !== "") indent = Math.min(indent, /^[ \t]*/.exec(line)![0].length);
      if (nl < 0) break;
      pos = nl + 1;
    }
    if (!closed) {
      this.fail(
        `Unterminated template string; There is no closing marker for the heredoc "${marker}" before the end of the file.`,
        opener.start,
        opener.end,
      );
    }
    this.peeked = undefined;
    const mode: HeredocMode = { marker, indent: flush && Number.isFinite(indent) ? indent : 0 };
    const { parts, end } = this.parseTemplateSequence(mode, stopAtEnd);
    return { kind: "Template", parts, heredoc: true, range: this.range(opener.start, end) };
  }

  /**
   * Scans template text from the scanner position up to the closing quote or
   * heredoc marker, or up to a `%{else}`/`%{endif}`/`%{endfor}` directive when
   * nested. Returns the parts and where it stopped.
   */
  parseTemplateSequence(
    heredoc: HeredocMode | undefined,
    stops: ReadonlySet<DirectiveEnd["keyword"]>,
  ): { parts: TemplatePart[]; end: number; stoppedAt: DirectiveEnd } {
    const text = this.file.text;
    const parts: MutablePart[] = [];
    let literal = "";
    let literalStart = this.scanner.pos;
    let stripNextLeading = false;
    let atLineStart = heredoc !== undefined;
    const flushLiteral = (end: number, stripTrailing: boolean) => {
      let value = literal;
      if (stripTrailing) value = value.replace(/\s+$/u, "");
      if (value !== "")
        parts.push({ kind: "TemplateLiteral", value, range: this.range(literalStart, end) });
      literal = "";
    };
    let pos = this.scanner.pos;
    for (;;) {
      if (heredoc && atLineStart) {
        // The closing marker ends the heredoc.
        const nl = text.indexOf("\n", pos);
        const lineEnd = nl < 0 ? text.length : nl;
        const line = text.slice(pos, lineEnd).replace(/\r$/, "");
        if (line.trim() === heredoc.marker) {
          if (stripNextLeading) literal = literal.replace(/^\s+/u, "");
          flushLiteral(pos, false);
          this.resumeAt(lineEnd);
          return {
            parts: finishParts(parts),
            end: lineEnd,
            stoppedAt: { keyword: "eof", start: pos, end: lineEnd },
          };
        }
        let skipped = 0;
        // Lines holding only spaces and tabs keep them (as HCL does).
        const blank = line.trim() === "";
        while (!blank && skipped < heredoc.indent && (text[pos] === " " || text[pos] === "\t")) {
          pos++;
          skipped++;
        }
        atLineStart = false;
        if (literal === "") literalStart = pos;
      }
      if (pos >= text.length && this.rawMode) {
        if (stripNextLeading) literal = literal.replace(/^\s+/u, "");
        flushLiteral(pos, false);
        this.resumeAt(pos);
        return {
          parts: finishParts(parts),
          end: pos,
          stoppedAt: { keyword: "eof", start: pos, end: pos },
        };
      }
      if (pos >= text.length) {
        this.fail(
          heredoc
            ? "Unterminated template string"
            : "Unterminated template string; No closing marker was found for the string.",
          Math.max(0, literalStart - 1),
          pos,
        );
      }
      const c = text[pos]!;
      if (!heredoc && !this.rawMode && c === '"') {
        if (stripNextLeading) literal = literal.replace(/^\s+/u, "");
        flushLiteral(pos, false);
        this.resumeAt(pos + 1);
        return {
          parts: finishParts(parts),
          end: pos + 1,
          stoppedAt: { keyword: "eof", start: pos, end: pos + 1 },
        };
      }
      if (!heredoc && !this.rawMode && c === "\n") {
        this.fail(
          "Unterminated template string; No closing marker was found for the string.",
          Math.max(0, literalStart - 1),
          pos,
        );
      }
      if ((c === "$" || c === "%") && text[pos + 1] === c && text[pos + 2] === "{") {
        literal += `${c}{`;
        pos += 3;
        continue;
      }
      if ((c === "$" || c === "%") && text[pos + 1] === "{") {
        const openStart = pos;
        let inner = pos + 2;
        const stripBefore = text[inner] === "~";
        if (stripBefore) inner++;
        if (stripNextLeading) literal = literal.replace(/^\s+/u, "");
        stripNextLeading = false;
        flushLiteral(openStart, stripBefore);
        if (c === "$") {
          this.resumeAt(inner);
          const expr = this.withNewlinesSkipped(() => this.parseExpression());
          const stripAfter = this.closeTemplateSequence(openStart);
          parts.push({
            kind: "TemplateInterpolation",
            expr,
            range: this.range(openStart, this.scanner.pos),
          });
          stripNextLeading = stripAfter;
        } else {
          this.resumeAt(inner);
          const directive = this.parseDirective(openStart, heredoc, stops);
          if (directive.kind === "end") {
            return { parts: finishParts(parts), end: openStart, stoppedAt: directive.end };
          }
          parts.push(directive.part);
          stripNextLeading = directive.stripAfter;
        }
        pos = this.scanner.pos;
        literalStart = pos;
        continue;
      }
      if (!heredoc && !this.rawMode && c === "\\") {
        const [decoded, length] = this.decodeEscape(pos);
        literal += decoded;
        pos += length;
        continue;
      }
      if (literal === "") literalStart = pos;
      if (stripNextLeading && /\s/u.test(c)) {
        pos++;
        if (c === "\n") atLineStart = heredoc !== undefined;
        continue;
      }
      stripNextLeading = false;
      if (c === "\n") {
        literal += c;
        pos++;
        atLineStart = heredoc !== undefined;
        continue;
      }
      // A run of plain text up to the next character that may mean something.
      let runEnd = pos + 1;
      while (runEnd < text.length) {
        const d = text.charCodeAt(runEnd);
        if (d === 10 || d === 34 || d === 36 || d === 37 || d === 92) break;
        runEnd++;
      }
      literal += text.slice(pos, runEnd);
      pos = runEnd;
    }
  }

  /** After a `${...` expression: the closing `}` (or `~}`); returns whether it strips. */
  closeTemplateSequence(openStart: number): boolean {
    let strip = false;
    const t = this.withNewlinesSkipped(() => this.peek());
    if (t.kind === "invalid" && t.text === "~") {
      this.take();
      strip = true;
    }
    const close = this.withNewlinesSkipped(() => this.take());
    if (!this.isPunct(close, "}")) {
      if (close.kind === "eof" || close.kind === "quote") {
        this.fail(
          "Unterminated template interpolation; Expected a closing brace to end the interpolation.",
          openStart,
          openStart + 2,
        );
      }
      this.unexpected(
        close,
        'Extra characters after interpolation expression; Expected a closing brace "}"',
      );
    }
    this.resumeAt(close.end);
    return strip;
  }

  parseDirective(
    openStart: number,
    heredoc: HeredocMode | undefined,
    stops: ReadonlySet<DirectiveEnd["keyword"]>,
  ):
    | { kind: "part"; part: TemplatePart; stripAfter: boolean }
    | { kind: "end"; end: DirectiveEnd } {
    const keyword = this.withNewlinesSkipped(() => this.take());
    if (keyword.kind !== "ident")
      this.unexpected(
        keyword,
        "Invalid template directive; Expected if, else, endif, for or endfor",
      );
    switch (keyword.text) {
      case "if": {
        const condition = this.withNewlinesSkipped(() => this.parseExpression());
        const stripAfter = this.closeTemplateSequence(openStart);
        const thenSeq = this.parseTemplateSequence(heredoc, new Set(["else", "endif"]));
        let elseParts: TemplatePart[] | undefined;
        let endAt = thenSeq.stoppedAt;
        if (thenSeq.stoppedAt.keyword === "else") {
          // `%{ else ~}` strips the whitespace that starts the else branch.
          const elseStrip = this.lastDirectiveStrip;
          const elseSeq = this.parseTemplateSequence(heredoc, new Set(["endif"]));
          elseParts = stripEdges(elseSeq.parts, elseStrip);
          endAt = elseSeq.stoppedAt;
        }
        if (endAt.keyword !== "endif") {
          this.fail(
            "Unterminated template directive; There is no %{endif} for this %{if}.",
            openStart,
            keyword.end,
          );
        }
        const part: TemplatePart = {
          kind: "TemplateIf",
          condition,
          then: stripEdges(thenSeq.parts, stripAfter),
          ...(elseParts ? { else: elseParts } : {}),
          range: this.range(openStart, endAt.end),
        };
        return { kind: "part", part, stripAfter: this.lastDirectiveStrip };
      }
      case "for": {
        const first = this.withNewlinesSkipped(() => this.take());
        if (first.kind !== "ident")
          this.unexpected(first, "Invalid template directive; Expected a variable name after for");
        let keyVar: string | undefined;
        let valueVar = first.text;
        if (
          this.isPunct(
            this.withNewlinesSkipped(() => this.peek()),
            ",",
          )
        ) {
          this.take();
          const second = this.withNewlinesSkipped(() => this.take());
          if (second.kind !== "ident")
            this.unexpected(second, "Invalid template directive; Expected a variable name");
          keyVar = first.text;
          valueVar = second.text;
        }
        const inTok = this.withNewlinesSkipped(() => this.take());
        if (inTok.kind !== "ident" || inTok.text !== "in")
          this.unexpected(inTok, 'Invalid template directive; Expected "in"');
        const collection = this.withNewlinesSkipped(() => this.parseExpression());
        const stripAfter = this.closeTemplateSequence(openStart);
        const bodySeq = this.parseTemplateSequence(heredoc, new Set(["endfor"]));
        if (bodySeq.stoppedAt.keyword !== "endfor") {
          this.fail(
            "Unterminated template directive; There is no %{endfor} for this %{for}.",
            openStart,
            keyword.end,
          );
        }
        const part: TemplatePart = {
          kind: "TemplateFor",
          ...(keyVar !== undefined ? { keyVar } : {}),
          valueVar,
          collection,
          body: stripEdges(bodySeq.parts, stripAfter),
          range: this.range(openStart, bodySeq.stoppedAt.end),
        };
        return { kind: "part", part, stripAfter: this.lastDirectiveStrip };
      }
      case "else":
      case "endif":
      case "endfor": {
        const strip = this.closeTemplateSequence(openStart);
        if (!stops.has(keyword.text)) {
          this.fail(
            `Unexpected "${keyword.text}" directive; There is no matching opening directive.`,
            openStart,
            keyword.end,
          );
        }
        this.lastDirectiveStrip = strip;
        return {
          kind: "end",
          end: { keyword: keyword.text, start: openStart, end: this.scanner.pos },
        };
      }
      default:
        return this.fail(
          `Invalid template directive; "${keyword.text}" is not a template directive.`,
          keyword.start,
          keyword.end,
        );
    }
  }

  /** Whether the last `%{else}`/`%{endif}`/`%{endfor}` ended with `~}`. */
  private lastDirectiveStrip = false;

  decodeEscape(pos: number): [string, number] {
    const text = this.file.text;
    const e = text[pos + 1];
    switch (e) {
      case "n":
        return ["\n", 2];
      case "r":
        return ["\r", 2];
      case "t":
        return ["\t", 2];
      case '"':
        return ['"', 2];
      case "\\":
        return ["\\", 2];
      case "u":
      case "U": {
        const len = e === "u" ? 4 : 8;
        const hex = text.slice(pos + 2, pos + 2 + len);
        if (!new RegExp(`^[0-9A-Fa-f]{${len}}$`).test(hex)) {
          this.fail(
            `Invalid escape sequence; The \\${e} escape needs ${len} hexadecimal digits.`,
            pos,
            pos + 2 + hex.length,
          );
        }
        const cp = Number.parseInt(hex, 16);
        if (cp > 0x10ffff)
          this.fail("Invalid escape sequence; not a Unicode code point.", pos, pos + 2 + len);
        return [String.fromCodePoint(cp), 2 + len];
      }
      default:
        return this.fail(
          `Invalid escape sequence; The symbol "${e ?? ""}" is not a valid escape sequence selector.`,
          pos,
          pos + 2,
        );
    }
  }
}

/** `${~` inside a directive body strips the body's first literal when the opener ends with `~}`. */
function stripEdges(parts: TemplatePart[], stripLeading: boolean): TemplatePart[] {
  if (!stripLeading || parts.length === 0) return parts;
  const first = parts[0]!;
  if (first.kind !== "TemplateLiteral") return parts;
  const value = first.value.replace(/^\s+/u, "");
  return value === "" ? parts.slice(1) : [{ ...first, value }, ...parts.slice(1)];
}

function finishParts(parts: MutablePart[]): TemplatePart[] {
  return parts as TemplatePart[];
}

/** The string of a template that has no interpolation or directive, else undefined. */
export function templateAsLiteral(t: TemplateExpr): string | undefined {
  let s = "";
  for (const p of t.parts) {
    if (p.kind !== "TemplateLiteral") return undefined;
    s += p.value;
  }
  return s;
}

/** A diagnostic for a stack overflow caused by absurd nesting (thousands of brackets), else undefined. */
function nestingTooDeep(err: unknown, file: SourceFile, at: number): Diagnostic | undefined {
  if (!(err instanceof RangeError) || !/call stack/i.test(err.message)) return undefined;
  return {
    severity: "error",
    summary: "Nesting too deep; This file nests expressions too deeply to read.",
    detail: "Split the deeply nested expression into smaller variables or locals.",
    range: { file, start: at, end: Math.min(at + 1, file.text.length) },
  };
}

/** Parses a file of HCL native syntax. */
export function parseHcl(file: SourceFile): ParseResult {
  const parser = new Parser(file);
  let body: Body;
  try {
    body = parser.parseFile();
  } catch (err) {
    const deep = nestingTooDeep(err, file, 0);
    if (deep) parser.diagnostics.push(deep);
    else if (!(err instanceof ParseAbort)) throw err;
    body = {
      kind: "Body",
      attributes: [],
      blocks: [],
      range: { file, start: 0, end: file.text.length },
    };
  }
  return { body, diagnostics: parser.diagnostics };
}

/** Parses one standalone expression (e.g. a --set value or a JSON string's template). */
export function parseHclExpression(file: SourceFile): {
  expr?: Expression;
  diagnostics: Diagnostic[];
} {
  const parser = new Parser(file);
  try {
    const expr = parser.withNewlinesSkipped(() => parser.parseExpression());
    const rest = parser.withNewlinesSkipped(() => parser.peek());
    if (rest.kind !== "eof") parser.unexpected(rest, "Extra characters after expression");
    return { expr, diagnostics: parser.diagnostics };
  } catch (err) {
    const deep = nestingTooDeep(err, file, 0);
    if (deep) return { diagnostics: [...parser.diagnostics, deep] };
    if (!(err instanceof ParseAbort)) throw err;
    return { diagnostics: parser.diagnostics };
  }
}

/**
 * Parses delimiter-less template text (a decoded JSON string) that came from
 * `file` at offset `at`. When the text is exactly what the file holds there
 * (no escapes were decoded), every range points at its real place; otherwise
 * all ranges point at `at`.
 */
export function parseTemplateString(
  text: string,
  file: SourceFile,
  at: number,
): { template?: TemplateExpr; diagnostics: Diagnostic[] } {
  const sub: SourceFile = { name: file.name, text };
  const parser = new Parser(sub);
  parser.rawMode = true;
  const exact = file.text.startsWith(text, at);
  const move = (r: SourceRange): SourceRange =>
    exact ? { file, start: at + r.start, end: at + r.end } : { file, start: at, end: at + 1 };
  const place = (d: Diagnostic): Diagnostic => (d.range ? { ...d, range: move(d.range) } : d);
  try {
    const { parts } = parser.parseTemplateSequence(undefined, stopAtEnd);
    const template: TemplateExpr = {
      kind: "Template",
      parts,
      range: { file: sub, start: 0, end: text.length },
    };
    return { template: moveRanges(template, move), diagnostics: parser.diagnostics.map(place) };
  } catch (err) {
    const deep = nestingTooDeep(err, file, at);
    if (deep) return { diagnostics: [...parser.diagnostics.map(place), deep] };
    if (!(err instanceof ParseAbort)) throw err;
    return { diagnostics: parser.diagnostics.map(place) };
  }
}

/** Re-points every range of a tree parsed from a substring into the real file. */
function moveRanges<T>(node: T, move: (r: SourceRange) => SourceRange): T {
  if (Array.isArray(node)) return node.map((n) => moveRanges(n, move)) as T;
  if (node && typeof node === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      if (v && typeof v === "object" && "file" in v && "start" in v && "end" in v) {
        out[k] = move(v as SourceRange);
      } else out[k] = moveRanges(v, move);
    }
    return out as T;
  }
  return node;
}

export { isIdentPart, isIdentStart };
