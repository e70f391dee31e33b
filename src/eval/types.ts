/**
 * Type constraints as written in `variable "x" { type = list(string) }` and in
 * convert(), and cty's conversion rules between values.
 */
import type { SourceRange } from "../diagnostics/source.js";
import type { Expression } from "../hcl/ast.js";
import { declareNullMembers, declareType, setOrder } from "./cty-type.js";
import {
  fail,
  formatNumber,
  isObject,
  record,
  sortedKeys,
  typeName,
  type Value,
  valueToBool,
  valueToNumber,
  valueToString,
} from "./value.js";

export type TypeSpec =
  | { readonly kind: "string" | "number" | "bool" | "any" }
  | { readonly kind: "list" | "set" | "map"; readonly elem: TypeSpec }
  | { readonly kind: "tuple"; readonly elems: readonly TypeSpec[] }
  | {
      readonly kind: "object";
      readonly attrs: Readonly<
        Record<string, { readonly type: TypeSpec; readonly optional: boolean }>
      >;
    };

export function describeType(t: TypeSpec): string {
  switch (t.kind) {
    case "list":
    case "set":
    case "map":
      return `${t.kind}(${describeType(t.elem)})`;
    case "tuple":
      return `tuple([${t.elems.map(describeType).join(", ")}])`;
    case "object":
      return `object({${Object.entries(t.attrs)
        .map(([k, a]) => `${k}=${describeType(a.type)}`)
        .join(", ")}})`;
    default:
      return t.kind;
  }
}

/**
 * Reads a type constraint expression as HCL's typeexpr.TypeConstraint does (buildx reads
 * variable types and convert()'s second argument so): `optional(T)` marks an object
 * attribute and takes no default. Errors name the part of the expression buildx names.
 */
export function parseTypeExpr(expr: Expression): TypeSpec {
  const bad = (detail: string, range: SourceRange = expr.range): never =>
    fail(`Invalid type specification; ${detail}`, range);
  if (expr.kind === "Variable") {
    const kw = expr.name;
    if (["string", "number", "bool", "any"].includes(kw)) return { kind: kw as "string" };
    if (kw === "list" || kw === "set" || kw === "map")
      return bad(`The ${kw} type constructor requires one argument specifying the element type.`);
    if (kw === "object")
      return bad(
        "The object type constructor requires one argument specifying the attribute types and values as a map.",
      );
    if (kw === "tuple")
      return bad(
        "The tuple type constructor requires one argument specifying the element types as a list.",
      );
    return bad(`The keyword "${kw}" is not a valid type specification.`);
  }
  if (expr.kind !== "FunctionCall")
    return bad(
      "A type specification is either a primitive type keyword (bool, number, string) or a complex type constructor call, like list(string).",
    );
  const argsRange = callArgsRange(expr);
  const name = expr.name;
  if (name === "bool" || name === "string" || name === "number")
    return bad(`Primitive type keyword "${name}" does not expect arguments.`, argsRange);
  if (name === "any")
    return bad(`Type constraint keyword "${name}" does not expect arguments.`, argsRange);
  const args = expr.args;
  if (args.length !== 1 && ["list", "set", "map", "object", "tuple"].includes(name)) {
    // Too many arguments: the extra ones are named; too few: the parentheses.
    const extra =
      args.length > 1
        ? { file: expr.range.file, start: args[1]!.range.start, end: args.at(-1)!.range.end }
        : argsRange;
    if (name === "object")
      return bad(
        "The object type constructor requires one argument specifying the attribute types and values as a map.",
        extra,
      );
    if (name === "tuple")
      return bad(
        "The tuple type constructor requires one argument specifying the element types as a list.",
        extra,
      );
    return bad(
      `The ${name} type constructor requires one argument specifying the element type.`,
      extra,
    );
  }
  const arg = args[0]!;
  switch (name) {
    case "list":
    case "set":
    case "map":
      return { kind: name, elem: parseTypeExpr(arg) };
    case "tuple":
      if (arg.kind !== "Tuple")
        return bad("Tuple type constructor requires a list of element types.", arg.range);
      return { kind: "tuple", elems: arg.items.map((e) => parseTypeExpr(e)) };
    case "object":
      return objectType(arg, bad);
    case "optional":
      return bad(
        'Keyword "optional" is valid only as a modifier for object type attributes.',
        expr.nameRange,
      );
    default:
      return bad(`Keyword "${name}" is not a valid type constructor.`);
  }
}

function objectType(
  arg: Expression,
  bad: (detail: string, range?: SourceRange) => never,
): TypeSpec {
  if (arg.kind !== "Object")
    return bad(
      "Object type constructor requires a map whose keys are attribute names and whose values are the corresponding attribute types.",
      arg.range,
    );
  const attrs = record<{ type: TypeSpec; optional: boolean }>();
  for (const item of arg.items) {
    // Only a bare name is an attribute name ("a" and (a) are not); a repeated one takes
    // the last type, as buildx reads it.
    const name = item.bareKey && item.key.kind === "Literal" ? String(item.key.value) : undefined;
    if (name === undefined)
      return bad("Object constructor map keys must be attribute names.", item.key.range);
    const v = item.value;
    if (v.kind === "FunctionCall" && v.name === "optional") {
      if (v.args.length !== 1)
        return bad(
          v.args.length === 0
            ? "Optional attribute modifier requires the attribute type as its argument."
            : "Optional attribute modifier expects only one argument: the attribute type (buildx takes no default value).",
          callArgsRange(v),
        );
      attrs[name] = { type: parseTypeExpr(v.args[0]!), optional: true };
    } else attrs[name] = { type: parseTypeExpr(v), optional: false };
  }
  return { kind: "object", attrs };
}

/** A call's parentheses and what they hold: from its "(" to its end. */
function callArgsRange(call: Expression & { kind: "FunctionCall" }): SourceRange {
  const open = call.range.file.text.indexOf("(", call.nameRange.end);
  return {
    file: call.range.file,
    start: open < 0 ? call.nameRange.end : open,
    end: call.range.end,
  };
}

/** Converts a value to a type as cty's convert package does, or fails naming the mismatch. */
export function convertValue(v: Value, t: TypeSpec, range?: SourceRange, path = ""): Value {
  const where = path ? ` at ${path}` : "";
  if (v === null) return null;
  switch (t.kind) {
    case "any":
      return v;
    case "string":
      if (typeof v === "object")
        fail(`Invalid value${where}: string required, but have ${typeName(v)}.`, range);
      return typeof v === "string" ? v : valueToString(v, range);
    case "number":
      if (typeof v === "boolean" || typeof v === "object")
        fail(`Invalid value${where}: number required, but have ${typeName(v)}.`, range);
      return valueToNumber(v, range);
    case "bool":
      if (typeof v === "number" || typeof v === "object")
        fail(`Invalid value${where}: bool required, but have ${typeName(v)}.`, range);
      return valueToBool(v, range);
    case "list":
    case "set": {
      if (!Array.isArray(v))
        fail(
          `Invalid value${where}: ${t.kind} of ${describeType(t.elem)} required, but have ${typeName(v)}.`,
          range,
        );
      const items = (v as Value[]).map((x, i) => convertValue(x, t.elem, range, `${path}[${i}]`));
      return declared(t.kind === "set" ? setOrder(items) : items, t);
    }
    case "map": {
      if (!isObject(v))
        fail(
          `Invalid value${where}: map of ${describeType(t.elem)} required, but have ${typeName(v)}.`,
          range,
        );
      const out = record<Value>();
      for (const k of sortedKeys(v as Record<string, Value>))
        out[k] = convertValue((v as Record<string, Value>)[k]!, t.elem, range, `${path}["${k}"]`);
      return declared(out, t);
    }
    case "tuple": {
      if (!Array.isArray(v) || v.length !== t.elems.length) {
        fail(`Invalid value${where}: tuple of ${t.elems.length} elements required.`, range);
      }
      const items = (v as Value[]).map((x, i) =>
        convertValue(x, t.elems[i]!, range, `${path}[${i}]`),
      );
      // A null element keeps the type it was converted to.
      declareNullMembers(
        items,
        new Map(t.elems.flatMap((e, i) => (items[i] === null ? [[String(i), e]] : []))),
      );
      return items;
    }
    case "object": {
      if (!isObject(v))
        fail(`Invalid value${where}: object required, but have ${typeName(v)}.`, range);
      const obj = v as Record<string, Value>;
      const out = record<Value>();
      const nulls = new Map<string, TypeSpec>();
      for (const [k, a] of Object.entries(t.attrs)) {
        if (!Object.hasOwn(obj, k) || obj[k] === null) {
          if (!a.optional && !Object.hasOwn(obj, k))
            fail(`Invalid value${where}: attribute "${k}" is required.`, range);
          out[k] = null;
        } else out[k] = convertValue(obj[k]!, a.type, range, `${path}.${k}`);
        if (out[k] === null) nulls.set(k, a.type);
      }
      declareNullMembers(out, nulls);
      return out;
    }
  }
}

/** A converted collection, known to be of its type when the type names no `any`. */
function declared<T extends Value>(v: T, t: TypeSpec): T {
  return isConcrete(t) ? declareType(v, t) : v;
}

function isConcrete(t: TypeSpec): boolean {
  switch (t.kind) {
    case "any":
      return false;
    case "list":
    case "set":
    case "map":
      return isConcrete(t.elem);
    case "tuple":
      return t.elems.every(isConcrete);
    case "object":
      return Object.values(t.attrs).every((a) => isConcrete(a.type));
    default:
      return true;
  }
}

/** Whether a value already has a type's shape, for error messages and choices. */
export function formatTypedNumber(n: number): string {
  return formatNumber(n);
}
