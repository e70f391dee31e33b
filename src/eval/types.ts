/**
 * Type constraints as written in `variable "x" { type = list(string) }` and in
 * convert(), and cty's conversion rules between values.
 */
import type { SourceRange } from "../diagnostics/source.js";
import type { Expression } from "../hcl/ast.js";
import { declareType, setOrder } from "./cty-type.js";
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
        Record<
          string,
          { readonly type: TypeSpec; readonly optional: boolean; readonly default?: Value }
        >
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

/** Reads a type constraint expression. `evaluateDefault` evaluates optional() defaults. */
export function parseTypeExpr(
  expr: Expression,
  evaluateDefault?: (e: Expression) => Value,
): TypeSpec {
  const bad = (): never =>
    fail(
      "Invalid type specification; A type is string, number, bool, any, list(T), set(T), map(T), tuple([...]) or object({...}).",
      expr.range,
    );
  if (expr.kind === "Variable") {
    if (["string", "number", "bool", "any"].includes(expr.name))
      return { kind: expr.name as "string" };
    return bad();
  }
  if (expr.kind !== "FunctionCall") return bad();
  const [arg, second] = expr.args;
  switch (expr.name) {
    case "list":
    case "set":
    case "map":
      if (expr.args.length !== 1) return bad();
      return { kind: expr.name, elem: parseTypeExpr(arg!, evaluateDefault) };
    case "tuple":
      if (arg?.kind !== "Tuple" || expr.args.length !== 1) return bad();
      return { kind: "tuple", elems: arg.items.map((e) => parseTypeExpr(e, evaluateDefault)) };
    case "object": {
      if (arg?.kind !== "Object" || expr.args.length !== 1) return bad();
      const attrs = record<{ type: TypeSpec; optional: boolean; default?: Value }>();
      for (const item of arg.items) {
        const name =
          item.key.kind === "Literal"
            ? String(item.key.value)
            : item.key.kind === "Variable"
              ? item.key.name
              : bad();
        const v = item.value;
        if (v.kind === "FunctionCall" && v.name === "optional") {
          const [inner, def] = v.args;
          if (!inner || v.args.length > 2) return bad();
          attrs[name] = {
            type: parseTypeExpr(inner, evaluateDefault),
            optional: true,
            ...(def && evaluateDefault ? { default: evaluateDefault(def) } : {}),
          };
        } else attrs[name] = { type: parseTypeExpr(v, evaluateDefault), optional: false };
      }
      return { kind: "object", attrs };
    }
    default:
      void second;
      return bad();
  }
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
      return (v as Value[]).map((x, i) => convertValue(x, t.elems[i]!, range, `${path}[${i}]`));
    }
    case "object": {
      if (!isObject(v))
        fail(`Invalid value${where}: object required, but have ${typeName(v)}.`, range);
      const obj = v as Record<string, Value>;
      const out = record<Value>();
      for (const [k, a] of Object.entries(t.attrs)) {
        if (!Object.hasOwn(obj, k) || obj[k] === null) {
          if (!a.optional && !Object.hasOwn(obj, k))
            fail(`Invalid value${where}: attribute "${k}" is required.`, range);
          out[k] =
            a.default !== undefined ? convertValue(a.default, a.type, range, `${path}.${k}`) : null;
        } else out[k] = convertValue(obj[k]!, a.type, range, `${path}.${k}`);
      }
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
