/**
 * One syntax tree for HCL native syntax and for HCL's JSON form.
 * Every node carries its source range; line:column is computed on demand
 * (src/diagnostics/source.ts). No bake knowledge here.
 */
import type { SourceRange } from "../diagnostics/source.js";

interface NodeBase {
  readonly range: SourceRange;
}

/** A file or block body: attributes and nested blocks, in source order. */
export interface Body extends NodeBase {
  readonly kind: "Body";
  readonly attributes: Attribute[];
  readonly blocks: Block[];
}

export interface Attribute extends NodeBase {
  readonly kind: "Attribute";
  readonly name: string;
  readonly nameRange: SourceRange;
  readonly expr: Expression;
}

export interface Block extends NodeBase {
  readonly kind: "Block";
  readonly type: string;
  readonly typeRange: SourceRange;
  /** Labels, quoted or bare (`target "app" {` and `target app {` both give "app"). */
  readonly labels: string[];
  readonly labelRanges: SourceRange[];
  readonly body: Body;
}

export type Expression =
  | LiteralExpr
  | TemplateExpr
  | VariableExpr
  | GetAttrExpr
  | IndexExpr
  | SplatExpr
  | FunctionCallExpr
  | ConditionalExpr
  | BinaryExpr
  | UnaryExpr
  | TupleExpr
  | ObjectExpr
  | ForExpr
  | ParenExpr
  | SplatItemExpr;

/** number (kept as its source text too, for exact decimals), string without interpolation, bool, null. */
export interface LiteralExpr extends NodeBase {
  readonly kind: "Literal";
  readonly value: number | string | boolean | null;
  /** For numbers: the literal text as written (e.g. "1.50", "1e3"). */
  readonly raw?: string;
}

/**
 * A quoted string or heredoc, with or without `${}` interpolations and `%{}`
 * directives. The parsers always produce a Template for strings: a plain
 * "abc" is a Template with one TemplateLiteral part, "" has no parts (JSON
 * strings too). String Literals appear only as bare object keys.
 */
export interface TemplateExpr extends NodeBase {
  readonly kind: "Template";
  readonly parts: TemplatePart[];
  /** True for heredocs (`<<EOT` / `<<-EOT`). */
  readonly heredoc?: boolean;
  /**
   * The string as a JSON file writes it: where HCL wants a name (a function's
   * parameters), a JSON file gives it as a string.
   */
  readonly json?: boolean;
}

export type TemplatePart = TemplateLiteral | TemplateInterpolation | TemplateIf | TemplateFor;

export interface TemplateLiteral extends NodeBase {
  readonly kind: "TemplateLiteral";
  /** The text with escapes already decoded (`$${` -> `${`, `%%{` -> `%{`, `\n` in quoted strings). */
  readonly value: string;
}

export interface TemplateInterpolation extends NodeBase {
  readonly kind: "TemplateInterpolation";
  readonly expr: Expression;
}

export interface TemplateIf extends NodeBase {
  readonly kind: "TemplateIf";
  readonly condition: Expression;
  readonly then: TemplatePart[];
  readonly else?: TemplatePart[];
}

export interface TemplateFor extends NodeBase {
  readonly kind: "TemplateFor";
  readonly keyVar?: string;
  readonly valueVar: string;
  readonly collection: Expression;
  readonly body: TemplatePart[];
}

/** A bare name: a variable, a for-variable, or a root like `target`. */
export interface VariableExpr extends NodeBase {
  readonly kind: "Variable";
  readonly name: string;
}

/** `expr.name` (also `expr.0` legacy index, which is an Index with a number key). */
export interface GetAttrExpr extends NodeBase {
  readonly kind: "GetAttr";
  readonly object: Expression;
  readonly name: string;
}

/** `expr[key]` */
export interface IndexExpr extends NodeBase {
  readonly kind: "Index";
  readonly collection: Expression;
  readonly key: Expression;
}

/**
 * `source.*.a.b` (attribute splat) or `source[*].a[0]` (full splat).
 * `each` is the traversal applied to every element, written against a
 * `SplatItem` placeholder expression.
 */
export interface SplatExpr extends NodeBase {
  readonly kind: "Splat";
  readonly source: Expression;
  readonly each: Expression;
  readonly style: "attr" | "full";
}

/** The element placeholder inside SplatExpr.each. */
export interface SplatItemExpr extends NodeBase {
  readonly kind: "SplatItem";
}

export interface FunctionCallExpr extends NodeBase {
  readonly kind: "FunctionCall";
  readonly name: string;
  readonly nameRange: SourceRange;
  readonly args: Expression[];
  /** The last argument is followed by `...` and expands as a list of arguments. */
  readonly expandFinal: boolean;
}

export interface ConditionalExpr extends NodeBase {
  readonly kind: "Conditional";
  readonly condition: Expression;
  readonly then: Expression;
  readonly else: Expression;
}

export type BinaryOperator =
  | "||"
  | "&&"
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "+"
  | "-"
  | "*"
  | "/"
  | "%";

export interface BinaryExpr extends NodeBase {
  readonly kind: "Binary";
  readonly op: BinaryOperator;
  readonly left: Expression;
  readonly right: Expression;
}

export interface UnaryExpr extends NodeBase {
  readonly kind: "Unary";
  readonly op: "!" | "-";
  readonly operand: Expression;
}

export interface TupleExpr extends NodeBase {
  readonly kind: "Tuple";
  readonly items: Expression[];
}

export interface ObjectItem {
  /**
   * The key: a bare identifier is a Literal string with `bareKey: true`
   * (HCL treats `{ a = 1 }` as the string "a", and `{ (a) = 1 }` as the variable).
   */
  readonly key: Expression;
  readonly bareKey: boolean;
  readonly value: Expression;
}

export interface ObjectExpr extends NodeBase {
  readonly kind: "Object";
  readonly items: ObjectItem[];
}

/** `[for k, v in coll : expr if cond]` or `{for k, v in coll : key => value... if cond}` */
export interface ForExpr extends NodeBase {
  readonly kind: "For";
  readonly keyVar?: string;
  readonly valueVar: string;
  readonly collection: Expression;
  /** Present for object for-expressions. */
  readonly keyExpr?: Expression;
  readonly valueExpr: Expression;
  readonly condition?: Expression;
  /** `...` after the value in an object for-expression: group values into lists. */
  readonly group: boolean;
}

export interface ParenExpr extends NodeBase {
  readonly kind: "Paren";
  readonly expr: Expression;
}

/** Every node kind, for exhaustive switches. */
export type Node = Body | Attribute | Block | Expression | SplatItemExpr | TemplatePart;
