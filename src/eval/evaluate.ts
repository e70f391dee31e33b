/**
 * Evaluates expressions of the syntax tree to values, with HCL's semantics.
 * Errors are DiagnosticErrors that point at the expression.
 */
import { DiagnosticError, error } from "../diagnostics/diagnostic.js";
import { didYouMean } from "../diagnostics/did-you-mean.js";
import type { SourceRange } from "../diagnostics/source.js";
import type { BinaryExpr, Expression, FunctionCallExpr, TemplatePart } from "../hcl/ast.js";
import { unreachable } from "../support/unreachable.js";
import { evaluateConditional } from "./conditional.js";
import {
  type CtyType,
  declareNullMembers,
  memberNullType,
  nullMemberType,
  typeOf,
} from "./cty-type.js";
import type { FunctionTable } from "./function.js";
import type { EvalBudget } from "./limits.js";
import {
  fail,
  isObject,
  objectFrom,
  record,
  sortedKeys,
  typeName,
  type Value,
  type ValueObject,
  valuesEqual,
  valueToBool,
  valueToNumber,
  valueToString,
} from "./value.js";

export interface EvalContext {
  /** The value of a root name; throws a DiagnosticError when there is none. */
  lookup(name: string, range: SourceRange): Value;
  readonly functions: FunctionTable;
  /** Shared bound on `for` iterations (contexts made with withLocals share their parent's). */
  readonly budget?: EvalBudget;
  /** The type of a root name whose value is null, when it has one (a typed variable). */
  nullType?(name: string): CtyType | undefined;
}

/**
 * A context with extra local names (for-expression variables, function parameters);
 * `nullTypes` gives the types of those whose value is a typed null.
 */
export function withLocals(
  ctx: EvalContext,
  locals: ReadonlyMap<string, Value>,
  nullTypes?: ReadonlyMap<string, CtyType>,
): EvalContext {
  return {
    functions: ctx.functions,
    lookup: (name, range) => (locals.has(name) ? locals.get(name)! : ctx.lookup(name, range)),
    nullType: (name) => (locals.has(name) ? nullTypes?.get(name) : ctx.nullType?.(name)),
    ...(ctx.budget ? { budget: ctx.budget } : {}),
  };
}

/** The "Unknown variable" error, with a suggestion from the names in scope. */
export function unknownVariable(name: string, range: SourceRange, known: Iterable<string>): never {
  throw new DiagnosticError(
    error(
      `Unknown variable; There is no variable named "${name}"${didYouMean(name, known)}.`,
      range,
    ),
  );
}

export function evaluate(expr: Expression, ctx: EvalContext, splatItem?: Value): Value {
  switch (expr.kind) {
    case "Literal":
      return expr.value;
    case "Template": {
      const v = evaluateTemplate(expr.parts, ctx, true);
      const only = expr.parts.length === 1 ? expr.parts[0]! : undefined;
      return v === null && only?.kind === "TemplateInterpolation"
        ? typedNull(expr, nullTypeOf(only.expr, v))
        : v;
    }
    case "Variable": {
      const v = ctx.lookup(expr.name, expr.range);
      return v === null ? typedNull(expr, ctx.nullType?.(expr.name)) : v;
    }
    case "SplatItem":
      return splatItem ?? null;
    case "Paren": {
      const v = evaluate(expr.expr, ctx, splatItem);
      return v === null ? typedNull(expr, nullTypeOf(expr.expr, v)) : v;
    }
    case "GetAttr": {
      const obj = evaluate(expr.object, ctx, splatItem);
      const v = getAttr(obj, expr.name, expr.range);
      return v === null ? typedNull(expr, memberNullType(obj, expr.name)) : v;
    }
    case "Index": {
      const coll = evaluate(expr.collection, ctx, splatItem);
      const key = evaluate(expr.key, ctx, splatItem);
      const v = index(coll, key, expr.range);
      return v === null ? typedNull(expr, memberNullType(coll, indexKey(coll, key))) : v;
    }
    case "Splat": {
      const source = evaluate(expr.source, ctx, splatItem);
      if (source === null) return [];
      const items = Array.isArray(source)
        ? source
        : isObject(source) && expr.style === "full"
          ? [source]
          : [source];
      const nulls = new Map<string, CtyType>();
      const out = items.map((item, i) => {
        const v = evaluate(expr.each, ctx, item);
        if (v === null) noteNullType(nulls, String(i), expr.each, v);
        return v;
      });
      declareNullMembers(out, nulls);
      return out;
    }
    case "FunctionCall":
      return callFunction(expr, ctx, splatItem);
    case "Conditional": {
      const r = evaluateConditional(expr, {
        value: (e) => evaluate(e, ctx, splatItem),
        nullType: (e, v) => nullTypeOf(e, v),
      });
      return r.value === null ? typedNull(expr, r.nullType) : r.value;
    }
    case "Binary":
      return binaryChain(expr, ctx, splatItem);
    case "Unary": {
      const v = evaluate(expr.operand, ctx, splatItem);
      if (expr.op === "!") return !valueToBool(v, expr.operand.range, "operand");
      return -valueToNumber(v, expr.operand.range, "operand");
    }
    case "Tuple": {
      const nulls = new Map<string, CtyType>();
      const out = expr.items.map((item, i) => {
        const v = evaluate(item, ctx, splatItem);
        noteNullType(nulls, String(i), item, v);
        return v;
      });
      declareNullMembers(out, nulls);
      return out;
    }
    case "Object": {
      const out = record<Value>();
      const nulls = new Map<string, CtyType>();
      for (const item of expr.items) {
        const keyValue = evaluate(item.key, ctx, splatItem);
        if (keyValue === null)
          fail("Null value as key; Can't use a null value as a key.", item.key.range);
        const key = valueToString(keyValue, item.key.range, "object key");
        out[key] = evaluate(item.value, ctx, splatItem);
        noteNullType(nulls, key, item.value, out[key]);
      }
      declareNullMembers(out, nulls);
      return out;
    }
    case "For":
      return evaluateFor(expr, ctx, splatItem);
    default:
      return unreachable(expr, "expression");
  }
}

/**
 * The type each expression's null value had when it was last evaluated, where it had one:
 * a typed variable that is null, reached directly or through parentheses, a template's
 * only interpolation, an attribute or element of a value that records its members' types,
 * a conditional, a function's result or a for expression's element. A literal null (a null
 * of no particular type) has none. Read right after evaluating the expression.
 */
const nullTypes = new WeakMap<Expression, CtyType>();

/**
 * Records (or forgets) the type of the null `expr` evaluated to, and returns null. Every
 * kind of expression that records a type passes each null it gives through here, so no
 * type is left over from an earlier evaluation of the same expression.
 */
function typedNull(expr: Expression, type: CtyType | undefined): null {
  if (type && type.kind !== "any") nullTypes.set(expr, type);
  else nullTypes.delete(expr);
  return null;
}

/** The type of the null value `expr` just evaluated to, when that null has one. */
export function nullTypeOf(expr: Expression, v: Value): CtyType | undefined {
  return v === null ? nullTypes.get(expr) : undefined;
}

function noteNullType(nulls: Map<string, CtyType>, key: string, expr: Expression, v: Value): void {
  const t = nullTypeOf(expr, v);
  if (t) nulls.set(key, t);
  else nulls.delete(key);
}

/** An index value as the key a collection's member types are recorded under. */
function indexKey(coll: Value, key: Value): string {
  return Array.isArray(coll) ? String(Number(key)) : String(key);
}

function evaluateTemplate(parts: readonly TemplatePart[], ctx: EvalContext, top: boolean): Value {
  // A template that is just one interpolation yields its value unchanged.
  if (top && parts.length === 1 && parts[0]!.kind === "TemplateInterpolation") {
    return evaluate(parts[0]!.expr, ctx);
  }
  let out = "";
  for (const p of parts) {
    switch (p.kind) {
      case "TemplateLiteral":
        out += p.value;
        break;
      case "TemplateInterpolation": {
        const v = evaluate(p.expr, ctx);
        if (v === null) {
          fail(
            "Invalid template interpolation value; The expression result is null. Cannot include a null value in a string template.",
            p.expr.range,
          );
        }
        out += valueToString(v, p.expr.range, "template interpolation value");
        break;
      }
      case "TemplateIf": {
        const c = evaluate(p.condition, ctx);
        const branch = valueToBool(c, p.condition.range, "if directive condition")
          ? p.then
          : (p.else ?? []);
        out += evaluateTemplate(branch, ctx, false) as string;
        break;
      }
      case "TemplateFor": {
        const coll = evaluate(p.collection, ctx);
        const pairs = iterate(coll, p.collection.range);
        ctx.budget?.iterate(pairs.length, p.collection.range);
        for (const [k, v] of pairs) {
          const locals = new Map<string, Value>([[p.valueVar, v]]);
          if (p.keyVar) locals.set(p.keyVar, k);
          out += evaluateTemplate(p.body, withLocals(ctx, locals), false) as string;
        }
        break;
      }
      default:
        unreachable(p, "template part");
    }
  }
  return out;
}

function iterate(coll: Value, range: SourceRange): [Value, Value][] {
  if (Array.isArray(coll)) return coll.map((v, i) => [i, v]);
  if (isObject(coll)) return sortedKeys(coll).map((k) => [k, coll[k]!]);
  if (coll === null)
    fail(
      "Iteration over null value; A null value cannot be used as the collection in a 'for' expression.",
      range,
    );
  return fail(
    `Iteration over non-iterable value; A value of type ${typeName(coll)} cannot be used as the collection in a 'for' expression.`,
    range,
  );
}

function evaluateFor(
  expr: Extract<Expression, { kind: "For" }>,
  ctx: EvalContext,
  splatItem: Value | undefined,
): Value {
  const coll = evaluate(expr.collection, ctx, splatItem);
  const pairs = iterate(coll, expr.collection.range);
  ctx.budget?.iterate(pairs.length, expr.collection.range);
  /** The context for one element, or undefined when the `if` condition leaves it out. */
  const selected = (k: Value, v: Value): EvalContext | undefined => {
    const locals = new Map<string, Value>([[expr.valueVar, v]]);
    if (expr.keyVar) locals.set(expr.keyVar, k);
    const t = v === null ? memberNullType(coll, String(k)) : undefined;
    const local = withLocals(ctx, locals, t ? new Map([[expr.valueVar, t]]) : undefined);
    if (!expr.condition) return local;
    const keep = valueToBool(
      evaluate(expr.condition, local),
      expr.condition.range,
      "for expression condition",
    );
    return keep ? local : undefined;
  };
  const nulls = new Map<string, CtyType>();
  if (!expr.keyExpr) {
    const out: Value[] = [];
    for (const [k, v] of pairs) {
      const local = selected(k, v);
      if (!local) continue;
      const value = evaluate(expr.valueExpr, local);
      if (value === null) noteNullType(nulls, String(out.length), expr.valueExpr, value);
      out.push(value);
    }
    declareNullMembers(out, nulls);
    return out;
  }
  const out = record<Value>();
  const grouped = record<Value[]>();
  for (const [k, v] of pairs) {
    const local = selected(k, v);
    if (!local) continue;
    const keyValue = evaluate(expr.keyExpr, local);
    if (keyValue === null)
      fail(
        "Invalid object key; Key expression in 'for' expression must not produce a null value.",
        expr.keyExpr.range,
      );
    const key = valueToString(keyValue, expr.keyExpr.range, "object key");
    const value = evaluate(expr.valueExpr, local);
    if (expr.group) {
      (grouped[key] ??= []).push(value);
    } else {
      if (Object.hasOwn(out, key)) {
        fail(
          `Duplicate object key; Two different items produced the key "${key}" in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key.`,
          expr.keyExpr.range,
        );
      }
      out[key] = value;
      if (value === null) noteNullType(nulls, key, expr.valueExpr, value);
    }
  }
  if (expr.group) return grouped;
  declareNullMembers(out, nulls);
  return out;
}

export function getAttr(obj: Value, name: string, range: SourceRange): Value {
  if (obj === null)
    fail(
      `Attempt to get attribute from null value; This value is null, so it does not have any attributes (looking for "${name}").`,
      range,
    );
  if (!isObject(obj)) {
    fail(
      `Unsupported attribute; Can't access attributes on a ${typeName(obj)} value (looking for "${name}").`,
      range,
    );
  }
  if (!Object.hasOwn(obj, name)) {
    fail(
      `Unsupported attribute; This object does not have an attribute named "${name}"${didYouMean(name, Object.keys(obj))}.`,
      range,
    );
  }
  return obj[name]!;
}

export function index(coll: Value, key: Value, range: SourceRange): Value {
  if (coll === null)
    fail(
      "Attempt to index null value; This value is null, so it does not have any indices.",
      range,
    );
  if (Array.isArray(coll)) {
    const n = valueToNumber(key, range, "index");
    if (!Number.isInteger(n))
      fail(
        `Invalid index; The given key does not identify an element in this collection value: ${n} is not a whole number.`,
        range,
      );
    if (n < 0 || n >= coll.length) {
      fail(
        `Invalid index; The given key does not identify an element in this collection value: the collection has ${coll.length} elements, index ${n} is out of range.`,
        range,
      );
    }
    return coll[n]!;
  }
  if (isObject(coll)) {
    const k = valueToString(key, range, "index");
    if (!Object.hasOwn(coll, k))
      fail(
        `Invalid index; The given key does not identify an element in this collection value${didYouMean(k, Object.keys(coll))}.`,
        range,
      );
    return coll[k]!;
  }
  return fail(
    `Invalid index; This value of type ${typeName(coll)} does not have any indices.`,
    range,
  );
}

/**
 * A binary expression and the binary expressions down its left side
 * (`1 + 2 + ... + n` leans left), evaluated in a loop so that a chain of any
 * length needs no deeper stack.
 */
function binaryChain(expr: BinaryExpr, ctx: EvalContext, splatItem: Value | undefined): Value {
  const chain: BinaryExpr[] = [];
  let leftmost: Expression = expr;
  while (leftmost.kind === "Binary") {
    chain.push(leftmost);
    leftmost = leftmost.left;
  }
  let left = evaluate(leftmost, ctx, splatItem);
  for (let i = chain.length - 1; i >= 0; i--) {
    const node = chain[i]!;
    // A logical operator's left side must be a bool before its right side is looked at.
    if (node.op === "&&" || node.op === "||") valueToBool(left, node.left.range, "operand");
    left = binary(node, left, evaluate(node.right, ctx, splatItem));
  }
  return left;
}

/** One operator applied to its evaluated operands (HCL evaluates both sides of && and ||). */
function binary(expr: BinaryExpr, left: Value, right: Value): Value {
  const { op, range } = expr;
  const leftRange = expr.left.range;
  const rightRange = expr.right.range;
  if (op === "&&" || op === "||") {
    const l = valueToBool(left, leftRange, "operand");
    const r = valueToBool(right, rightRange, "operand");
    return op === "&&" ? l && r : l || r;
  }
  if (op === "==") return valuesEqual(left, right);
  if (op === "!=") return !valuesEqual(left, right);
  const a = valueToNumber(left, leftRange, "operand");
  const b = valueToNumber(right, rightRange, "operand");
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      if (b === 0) fail("Operation failed; Error during operation: can't divide by zero.", range);
      return a / b;
    case "%":
      if (b === 0)
        fail("Operation failed; Error during operation: can't use modulo by zero.", range);
      return a % b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    default:
      return unreachable(op, "operator");
  }
}

export function callFunction(expr: FunctionCallExpr, ctx: EvalContext, splatItem?: Value): Value {
  const fn = ctx.functions.get(expr.name);
  if (!fn) {
    fail(
      `Call to unknown function; There is no function named "${expr.name}"${didYouMean(expr.name, ctx.functions.keys())}.`,
      expr.nameRange,
    );
  }
  if (fn.lazy) {
    // try() gives the value of the argument it evaluated last, typed null included.
    let last: CtyType | undefined;
    const ev = (e: Expression) => {
      const v = evaluate(e, ctx, splatItem);
      last = nullTypeOf(e, v);
      return v;
    };
    const v = fn.callLazy(expr.args, ev, expr.range);
    return v === null ? typedNull(expr, fn.nullType?.(expr.args) ?? last) : v;
  }
  let args = expr.args.map((a) => evaluate(a, ctx, splatItem));
  const types = fn.typed ? args.map((a, i) => typeOf(a, nullTypeOf(expr.args[i]!, a))) : [];
  if (expr.expandFinal) {
    const last = args[args.length - 1];
    if (!Array.isArray(last)) {
      fail(
        "Invalid expanding argument value; The expanding argument (indicated by ...) must be of a tuple, list, or set type.",
        expr.args[expr.args.length - 1]!.range,
      );
    }
    args = [...args.slice(0, -1), ...(last as Value[])];
    if (fn.typed)
      types.splice(-1, 1, ...(last as Value[]).map((x, i) => typeOf(x, nullMemberType(last, i))));
  }
  const min = fn.params.length;
  if (args.length < min || (!fn.variadic && args.length > min)) {
    const expected = fn.variadic ? `at least ${min}` : String(min);
    fail(
      `${args.length < min ? "Not enough" : "Too many"} function arguments; Function "${expr.name}" expects ${expected} argument(s)${
        args.length < min ? `. Missing value for "${fn.params[args.length]!.name}"` : ""
      }.`,
      expr.range,
    );
  }
  args.forEach((a, i) => {
    const spec = i < min ? fn.params[i]! : fn.variadic!;
    if (a === null && !spec.allowNull) {
      fail(
        `Invalid function argument; Invalid value for "${spec.name}" parameter: argument must not be null.`,
        expr.args[Math.min(i, expr.args.length - 1)]!.range,
      );
    }
  });
  try {
    const v = fn.typed ? fn.call(args, expr.range, types) : fn.call(args, expr.range);
    return v === null ? typedNull(expr, fn.resultNullType?.(args)) : v;
  } catch (err) {
    if (err instanceof DiagnosticError) {
      // A function's own check (a parameter of the wrong type) knows no position: the call has one.
      if (err.diagnostics.every((d) => d.range)) throw err;
      throw new DiagnosticError(
        err.diagnostics.map((d) => (d.range ? d : { ...d, range: expr.range })),
      );
    }
    const message = err instanceof Error ? err.message : String(err);
    return fail(
      `Error in function call; Call to function "${expr.name}" failed: ${message}.`,
      expr.range,
    );
  }
}

export type { ValueObject };
export { objectFrom };
