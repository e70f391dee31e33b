/**
 * HCL native syntax to the syntax tree of ast.ts: a recursive-descent parser
 * following hashicorp/hcl's hclsyntax specification. Syntax errors are collected
 * as diagnostics (the parser recovers at the next line of the enclosing body).
 */
import { type Diagnostic, MAX_ERRORS_PER_FILE, tooManyErrors } from "../diagnostics/diagnostic.js";
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
import { heredocOpener, heredocShape, Scanner, type TemplateMode, type Token } from "./lexer.js";

export interface ParseResult {
  readonly body: Body;
  readonly diagnostics: Diagnostic[];
}

class ParseAbort extends Error {}

/**
 * How deeply expressions and blocks may nest. buildx has no limit of its own
 * (Go's stack grows to 1 GB, and buildx crashes somewhere past 5,000 levels);
 * this bound keeps parsing and evaluation well inside Node's default stack,
 * and no hand-written bake file comes near it.
 */
export const MAX_NESTING = 500;

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

type DirectiveKeyword = "else" | "endif" | "endfor" | "end";

/** Where a template's parts stopped: at its end, or at a directive that ends a nested body. */
interface DirectiveEnd {
  readonly keyword: DirectiveKeyword;
  readonly start: number;
  readonly end: number;
  /** Whether it closed with `~}` (strip the whitespace after it). */
  readonly strip: boolean;
}

/** What a `${...}` or `%{...}` sequence gave: a part, or the end of a directive's body. */
type TemplateStep =
  | { readonly kind: "part"; readonly part: TemplatePart; readonly stripAfter: boolean }
  | { readonly kind: "end"; readonly end: DirectiveEnd };

/** Where the parser stands: the scanner position and the token peeked there. */
interface SavedPosition {
  readonly pos: number;
  readonly peeked: Token | undefined;
  readonly peekedFrom: number;
  readonly peekedSkipping: boolean;
}

const QUOTED: TemplateMode = { kind: "quoted" };
const BARE: TemplateMode = { kind: "bare" };
const END_ONLY: ReadonlySet<DirectiveKeyword> = new Set(["end"]);
const ELSE_OR_ENDIF: ReadonlySet<DirectiveKeyword> = new Set(["else", "endif"]);
const ENDIF: ReadonlySet<DirectiveKeyword> = new Set(["endif"]);
const ENDFOR: ReadonlySet<DirectiveKeyword> = new Set(["endfor"]);

class Parser {
  private readonly scanner: Scanner;
  private peeked: Token | undefined;
  private newlineSkip = 0;
  readonly diagnostics: Diagnostic[] = [];
  /** Errors past MAX_ERRORS_PER_FILE: counted, not kept. */
  private errorsNotKept = 0;
  /** How many expressions and blocks enclose the one being read. */
  private depth = 0;

  constructor(readonly file: SourceFile) {
    this.scanner = new Scanner(file);
  }

  /** Keeps a diagnostic, or only counts it once the file has given MAX_ERRORS_PER_FILE. */
  report(d: Diagnostic): void {
    if (this.diagnostics.length < MAX_ERRORS_PER_FILE) this.diagnostics.push(d);
    else this.errorsNotKept++;
  }

  /** The diagnostics kept, and one saying how many more there were. */
  allDiagnostics(): Diagnostic[] {
    if (this.errorsNotKept === 0) return this.diagnostics;
    return [...this.diagnostics, tooManyErrors(this.errorsNotKept, this.file.name)];
  }

  range(start: number, end: number): SourceRange {
    return { file: this.file, start, end };
  }

  fail(summary: string, start: number, end: number, detail?: string): never {
    this.report({
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

  /**
   * Runs `fn` to look at what follows, then puts the scanner back where it was
   * (TypeScript's parser has the same `lookAhead`).
   */
  lookAhead<T>(fn: () => T): T {
    const saved = this.savePosition();
    try {
      return fn();
    } finally {
      this.restorePosition(saved);
    }
  }

  /** Runs `fn`; when it gives undefined, puts the scanner back where it was (TypeScript's `tryParse`). */
  tryParse<T>(fn: () => T | undefined): T | undefined {
    const saved = this.savePosition();
    const result = fn();
    if (result === undefined) this.restorePosition(saved);
    return result;
  }

  private savePosition(): SavedPosition {
    const { peeked, peekedFrom, peekedSkipping } = this;
    return { pos: this.scanner.pos, peeked, peekedFrom, peekedSkipping };
  }

  private restorePosition(saved: SavedPosition): void {
    this.scanner.pos = saved.pos;
    this.peeked = saved.peeked;
    this.peekedFrom = saved.peekedFrom;
    this.peekedSkipping = saved.peekedSkipping;
  }

  /** Moves the scanner to `pos`, forgetting any peeked token. */
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
      this.report({
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
          this.report({
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
            this.report({
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
        this.scanner.skipQuoted();
        continue;
      }
      if (t.kind === "heredoc") {
        this.take();
        this.scanner.skipHeredoc(t);
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
      } else if (labels.length === 0 && t.kind !== "eof" && t.kind !== "invalid") {
        // Neither "=" nor a label nor "{" after the name: hcl names the name itself.
        this.fail(
          `Argument or block definition required; An argument named "${nameTok.text}" must be followed by "=", a block by its labels and "{", found "${t.text}".`,
          nameTok.start,
          nameTok.end,
        );
      } else {
        this.unexpected(
          t,
          `Invalid argument or block definition; An argument named "${nameTok.text}" must be followed by "=", a block by its labels and "{"`,
        );
      }
    }
    const open = this.take();
    const first = this.withNewlinesSignificant(() => this.peek());
    const body = this.nested(
      () =>
        first.kind === "newline" || first.kind === "eof" || this.isPunct(first, "}")
          ? this.withNewlinesSignificant(() => this.parseBody(open, open.end))
          : this.withNewlinesSignificant(() => this.parseSingleLineBody(open)),
      nameTok,
    );
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
    // nested(), written out: this is the hottest path of deep nesting.
    if (this.depth >= MAX_NESTING) this.tooDeep();
    this.depth++;
    try {
      return this.parseConditional();
    } finally {
      this.depth--;
    }
  }

  /**
   * Runs `fn` one nesting level deeper: expressions inside expressions and
   * blocks inside blocks. Past MAX_NESTING it refuses, at the token where the
   * limit was passed, rather than overflow the stack.
   */
  nested<T>(fn: () => T, at?: Token): T {
    if (this.depth >= MAX_NESTING) this.tooDeep(at);
    this.depth++;
    try {
      return fn();
    } finally {
      this.depth--;
    }
  }

  /**
   * A chain of `.name` and `[index]` steps nests each step inside the one
   * before in the tree, so a long chain counts as nesting too.
   */
  private checkChainLength(steps: number): void {
    if (this.depth + steps > MAX_NESTING) this.tooDeep();
  }

  private tooDeep(at?: Token): never {
    const t = at ?? this.peek();
    this.fail(
      `Nesting too deep; Expressions and blocks may nest at most ${MAX_NESTING} levels deep.`,
      t.start,
      t.end,
      "Split the deeply nested expression into smaller variables or locals.",
    );
  }

  private parseConditional(): Expression {
    const condition = this.parseBinary();
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

  /**
   * Binary operators by precedence climbing in a loop (no recursion, so a
   * sum of any length parses): operands and pending operators wait on two
   * stacks; an operator first combines the pending ones that bind at least
   * as tightly, which makes every level left-associative.
   */
  parseBinary(): Expression {
    const first = this.parseUnary();
    const next = this.peek();
    if (next.kind !== "punct" || !binaryLevel.has(next.text)) return first;
    const operands: Expression[] = [first];
    const operators: BinaryOperator[] = [];
    const combine = (): void => {
      const right = operands.pop()!;
      const left = operands.pop()!;
      const op = operators.pop()!;
      const range = this.range(left.range.start, right.range.end);
      operands.push({ kind: "Binary", op, left, right, range });
    };
    for (;;) {
      const t = this.peek();
      const level = t.kind === "punct" ? binaryLevel.get(t.text) : undefined;
      if (level === undefined) break;
      while (operators.length > 0 && binaryLevel.get(operators.at(-1)!)! >= level) combine();
      this.take();
      operators.push(t.text as BinaryOperator);
      operands.push(this.parseUnary());
    }
    while (operators.length > 0) combine();
    return operands[0]!;
  }

  /** Prefix `!` and `-` (any number, read in a loop) before a postfix expression. */
  parseUnary(): Expression {
    const t = this.peek();
    if (!this.isPunct(t, "!") && !this.isPunct(t, "-"))
      return this.parsePostfix(this.parsePrimary());
    const prefixes: Token[] = [];
    for (let t = this.peek(); this.isPunct(t, "!") || this.isPunct(t, "-"); t = this.peek()) {
      prefixes.push(this.take());
    }
    let expr = this.parsePostfix(this.parsePrimary());
    for (let i = prefixes.length - 1; i >= 0; i--) {
      const t = prefixes[i]!;
      const range = this.range(t.start, expr.range.end);
      expr = { kind: "Unary", op: t.text as "!" | "-", operand: expr, range };
    }
    return expr;
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
          const expr = this.withNewlinesSkipped(() => this.parseExpression());
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
    let expandFinal = false;
    const parseArgument = () => {
      const arg = this.parseExpression();
      if (this.isPunct(this.peek(), "...")) {
        this.take();
        expandFinal = true;
        const close = this.peek();
        if (!this.isPunct(close, ")")) {
          this.unexpected(
            close,
            'Missing closing parenthesis; An expanded argument ("...") must be the last argument',
          );
        }
      }
      return arg;
    };
    const { items: args, close } = this.withNewlinesSkipped(() =>
      this.parseDelimitedList(
        ")",
        'Missing argument separator; A comma or ")" is required here',
        parseArgument,
      ),
    );
    return {
      kind: "FunctionCall",
      name: name.text,
      nameRange: this.range(name.start, name.end),
      args,
      expandFinal,
      range: this.range(name.start, close.end),
    };
  }

  /**
   * Items separated by commas up to `closer` (a trailing comma is allowed); in
   * an object (`newlines`) a newline separates items too. Returns the items and
   * the closing token (TypeScript's parser has the same `parseDelimitedList`).
   */
  parseDelimitedList<T>(
    closer: string,
    missingSeparator: string,
    parseItem: () => T,
    newlines = false,
  ): { items: T[]; close: Token } {
    const items: T[] = [];
    for (;;) {
      if (newlines) this.skipNewlines();
      if (this.isPunct(this.peek(), closer)) break;
      items.push(parseItem());
      const sep = this.peek();
      if (this.isPunct(sep, ",")) this.take();
      else if (!(newlines && sep.kind === "newline") && !this.isPunct(sep, closer))
        this.unexpected(sep, missingSeparator);
    }
    return { items, close: this.take() };
  }

  /** True when the next tokens are `for IDENT`: a for expression, not a variable named "for". */
  atForKeyword(): boolean {
    const t = this.peek();
    if (t.kind !== "ident" || t.text !== "for") return false;
    return this.lookAhead(() => {
      this.take();
      return this.peek().kind === "ident";
    });
  }

  /** `for x in` or `for k, v in` (after the `for`); `what` names the construct in errors. */
  parseForVariables(what: string): { keyVar?: string; valueVar: string } {
    const first = this.take();
    if (first.kind !== "ident")
      this.unexpected(first, `${what}; Expected an iterator variable name`);
    let keyVar: string | undefined;
    let valueVar = first.text;
    if (this.isPunct(this.peek(), ",")) {
      this.take();
      const second = this.take();
      if (second.kind !== "ident")
        this.unexpected(second, `${what}; Expected a value variable name after the comma`);
      keyVar = first.text;
      valueVar = second.text;
    }
    const inTok = this.take();
    if (inTok.kind !== "ident" || inTok.text !== "in")
      this.unexpected(inTok, `${what}; Expected "in"`);
    return { ...(keyVar !== undefined ? { keyVar } : {}), valueVar };
  }

  /** `for ... in collection :` of a for expression. */
  parseForIntro(): { keyVar?: string; valueVar: string; collection: Expression } {
    this.take(); // for
    const vars = this.parseForVariables("Invalid for expression");
    const collection = this.parseExpression();
    this.expectPunct(":", 'Invalid for expression; Expected ":" after the collection');
    return { ...vars, collection };
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
    const { items, close } = this.parseDelimitedList(
      "]",
      'Missing item separator; Expected a comma or "]"',
      () => this.parseExpression(),
    );
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
    const { items, close } = this.parseDelimitedList(
      "}",
      "Missing attribute separator; Expected a newline or comma to mark the end of the attribute",
      () => this.parseObjectItem(),
      true,
    );
    return { kind: "Object", items, range: this.range(open.start, close.end) };
  }

  /** `key = value` (or `key: value`) in an object constructor. */
  private parseObjectItem(): ObjectItem {
    // A bare name is a literal key unless more follows (e.g. a function call).
    const bare = this.tryParse(() => this.parseBareKey());
    const key = bare ?? this.withNewlinesSkipped(() => this.parseExpression());
    const eq = this.take();
    if (!this.isPunct(eq, "=") && !this.isPunct(eq, ":")) {
      this.unexpected(
        eq,
        'Missing key/value separator; Expected an equals sign ("=") to mark the beginning of the attribute value',
      );
    }
    const value = this.withNewlinesSkipped(() => this.parseExpression());
    return { key, bareKey: bare !== undefined, value };
  }

  /** An object key written as a bare name (`name = value`), or undefined. */
  private parseBareKey(): Expression | undefined {
    const t = this.take();
    if (t.kind !== "ident" || t.text === "true" || t.text === "false" || t.text === "null") {
      return undefined;
    }
    const after = this.peek();
    if (!this.isPunct(after, "=") && !this.isPunct(after, ":")) return undefined;
    return { kind: "Literal", value: t.text, range: this.range(t.start, t.end) };
  }

  parsePostfix(expr: Expression): Expression {
    for (let steps = 1; ; steps++) {
      const t = this.peek();
      if (this.isPunct(t, ".") || this.isPunct(t, "[")) this.checkChainLength(steps);
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
    for (let steps = 1; ; steps++) {
      const t = this.peek();
      if (this.isPunct(t, ".") || this.isPunct(t, "[")) this.checkChainLength(steps);
      if (this.isPunct(t, ".")) {
        const step = this.tryParse(() => this.parseSplatDotStep(each, style, end));
        if (step === undefined) break;
        each = step;
        end = step.range.end;
        continue;
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

  /**
   * One `.name`, `.0` or (in a full splat) `.*` applied to each element, or
   * undefined when what follows the dot is not one of these.
   */
  private parseSplatDotStep(
    each: Expression,
    style: "attr" | "full",
    start: number,
  ): Expression | undefined {
    this.take(); // .
    const n = this.peek();
    if (n.kind === "ident") {
      this.take();
      return { kind: "GetAttr", object: each, name: n.text, range: this.range(start, n.end) };
    }
    if (n.kind === "number" && /^[0-9]+$/.test(n.text)) {
      this.take();
      const key: Expression = {
        kind: "Literal",
        value: Number(n.text),
        raw: n.text,
        range: this.range(n.start, n.end),
      };
      return { kind: "Index", collection: each, key, range: this.range(start, n.end) };
    }
    if (style === "full" && this.isPunct(n, "*")) {
      // `list[*].a.*.b`: an attribute splat applied to every element.
      this.take();
      return this.parseSplat(each, "attr", n.end);
    }
    return undefined;
  }

  // ---------------------------------------------------------------- templates

  /** A quoted string, after its opening quote. */
  parseQuotedTemplate(start: number): TemplateExpr {
    const plain = this.scanner.scanPlainString();
    if (plain !== undefined) {
      const parts: TemplatePart[] =
        plain.value === ""
          ? []
          : [
              {
                kind: "TemplateLiteral",
                value: plain.value,
                range: this.range(plain.start, plain.end),
              },
            ];
      return { kind: "Template", parts, range: this.range(start, plain.end + 1) };
    }
    const { parts, end } = this.parseTemplateParts(QUOTED, END_ONLY, false);
    return { kind: "Template", parts, range: this.range(start, end) };
  }

  parseHeredoc(opener: Token): TemplateExpr {
    const { marker, flush } = heredocOpener(opener);
    const shape = heredocShape(this.file.text, opener.end, marker, flush);
    if (!shape) {
      this.fail(
        `Unterminated template string; There is no closing marker for the heredoc "${marker}" before the end of the file.`,
        opener.start,
        opener.end,
      );
    }
    const mode: TemplateMode = { kind: "heredoc", marker, indent: shape.indent };
    const { parts, end } = this.parseTemplateParts(mode, END_ONLY, false);
    return { kind: "Template", parts, heredoc: true, range: this.range(opener.start, end) };
  }

  /**
   * The parts of a template from the scanner position up to its end, or up to
   * a `%{else}`/`%{endif}`/`%{endfor}` in `stops` when nested in a directive.
   * `stripLeading`: what came before ended with `~}`, so the first literal
   * loses its leading whitespace.
   */
  parseTemplateParts(
    mode: TemplateMode,
    stops: ReadonlySet<DirectiveKeyword>,
    stripLeading: boolean,
  ): { parts: TemplatePart[]; end: number; stoppedAt: DirectiveEnd } {
    this.peeked = undefined;
    const parts: TemplatePart[] = [];
    let strip = stripLeading;
    for (;;) {
      const tok = this.scanner.scanTemplate(mode);
      if (tok.kind === "error") this.fail(tok.message, tok.start, tok.end);
      if (tok.kind === "end") {
        const stoppedAt: DirectiveEnd = { keyword: "end", start: tok.start, end: tok.end, strip };
        return { parts, end: tok.end, stoppedAt };
      }
      if (tok.kind === "literal") {
        const value = strip ? tok.value.replace(/^\s+/u, "") : tok.value;
        if (value !== "") {
          parts.push({ kind: "TemplateLiteral", value, range: this.range(tok.start, tok.end) });
        }
        strip = false;
        continue;
      }
      if (tok.strip) stripTrailingSpace(parts);
      const step =
        tok.kind === "interpolation"
          ? this.parseInterpolation(tok.start)
          : this.parseDirective(tok.start, mode, stops);
      if (step.kind === "end") return { parts, end: tok.start, stoppedAt: step.end };
      parts.push(step.part);
      strip = step.stripAfter;
    }
  }

  /** `${ expr }`, after the `${`. */
  private parseInterpolation(openStart: number): TemplateStep {
    this.peeked = undefined;
    const expr = this.withNewlinesSkipped(() => this.parseExpression());
    const stripAfter = this.closeTemplateSequence(openStart);
    const range = this.range(openStart, this.scanner.pos);
    return { kind: "part", part: { kind: "TemplateInterpolation", expr, range }, stripAfter };
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

  /** `%{ if ... }`, `%{ for ... }` with their bodies, or the `%{ else/endif/endfor }` that ends a body. */
  parseDirective(
    openStart: number,
    mode: TemplateMode,
    stops: ReadonlySet<DirectiveKeyword>,
  ): TemplateStep {
    this.peeked = undefined;
    const keyword = this.withNewlinesSkipped(() => this.take());
    if (keyword.kind !== "ident")
      this.unexpected(
        keyword,
        "Invalid template directive; Expected if, else, endif, for or endfor",
      );
    switch (keyword.text) {
      case "if":
        return this.parseIfDirective(openStart, keyword, mode);
      case "for":
        return this.parseForDirective(openStart, keyword, mode);
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
        const end = { keyword: keyword.text, start: openStart, end: this.scanner.pos, strip };
        return { kind: "end", end };
      }
      default:
        return this.fail(
          `Invalid template directive; "${keyword.text}" is not a template directive.`,
          keyword.start,
          keyword.end,
        );
    }
  }

  private parseIfDirective(openStart: number, keyword: Token, mode: TemplateMode): TemplateStep {
    const condition = this.withNewlinesSkipped(() => this.parseExpression());
    const stripAfter = this.closeTemplateSequence(openStart);
    const thenSeq = this.parseTemplateParts(mode, ELSE_OR_ENDIF, stripAfter);
    let elseParts: TemplatePart[] | undefined;
    let endAt = thenSeq.stoppedAt;
    if (endAt.keyword === "else") {
      // `%{ else ~}` strips the whitespace that starts the else branch.
      const elseSeq = this.parseTemplateParts(mode, ENDIF, endAt.strip);
      elseParts = elseSeq.parts;
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
      then: thenSeq.parts,
      ...(elseParts ? { else: elseParts } : {}),
      range: this.range(openStart, endAt.end),
    };
    return { kind: "part", part, stripAfter: endAt.strip };
  }

  private parseForDirective(openStart: number, keyword: Token, mode: TemplateMode): TemplateStep {
    const vars = this.withNewlinesSkipped(() =>
      this.parseForVariables("Invalid template directive"),
    );
    const collection = this.withNewlinesSkipped(() => this.parseExpression());
    const stripAfter = this.closeTemplateSequence(openStart);
    const bodySeq = this.parseTemplateParts(mode, ENDFOR, stripAfter);
    if (bodySeq.stoppedAt.keyword !== "endfor") {
      this.fail(
        "Unterminated template directive; There is no %{endfor} for this %{for}.",
        openStart,
        keyword.end,
      );
    }
    const part: TemplatePart = {
      kind: "TemplateFor",
      ...vars,
      collection,
      body: bodySeq.parts,
      range: this.range(openStart, bodySeq.stoppedAt.end),
    };
    return { kind: "part", part, stripAfter: bodySeq.stoppedAt.strip };
  }
}

/** `${~` strips the whitespace that ends the literal just before it. */
function stripTrailingSpace(parts: TemplatePart[]): void {
  const last = parts[parts.length - 1];
  if (last?.kind !== "TemplateLiteral") return;
  const value = last.value.replace(/\s+$/u, "");
  if (value === "") parts.pop();
  else parts[parts.length - 1] = { ...last, value };
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
    if (deep) parser.report(deep);
    else if (!(err instanceof ParseAbort)) throw err;
    body = {
      kind: "Body",
      attributes: [],
      blocks: [],
      range: { file, start: 0, end: file.text.length },
    };
  }
  return { body, diagnostics: parser.allDiagnostics() };
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
  const exact = file.text.startsWith(text, at);
  const move = (r: SourceRange): SourceRange =>
    exact ? { file, start: at + r.start, end: at + r.end } : { file, start: at, end: at + 1 };
  const place = (d: Diagnostic): Diagnostic => (d.range ? { ...d, range: move(d.range) } : d);
  try {
    const { parts } = parser.parseTemplateParts(BARE, END_ONLY, false);
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

/**
 * Re-points every range of a tree parsed from a substring into the real file.
 * The tree is fresh, so it is changed in place, in a loop (a long operator
 * chain is a deep tree).
 */
function moveRanges<T extends object>(root: T, move: (r: SourceRange) => SourceRange): T {
  const seen = new Set<object>();
  const stack: object[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Record<string, unknown>;
    if (seen.has(node)) continue;
    seen.add(node);
    for (const key of Object.keys(node)) {
      const v = node[key];
      if (!v || typeof v !== "object") continue;
      if ("file" in v && "start" in v && "end" in v) node[key] = move(v as SourceRange);
      else stack.push(v);
    }
  }
  return root;
}
