/**
 * Which built-ins return cty lists (not tuples), and of what element type: cty's range()
 * is a list(number), split() a list(string), distinct() the list its argument converts to.
 * A tuple and a list unify differently (`c ? range(0) : [true]` fails: list(number) and
 * tuple([bool]) have no common type), so their results are recorded as lists.
 */
import { declaredType, declareType, isSet, typeOf, unify } from "../cty-type.js";
import type { EagerFunction, HclFunction } from "../function.js";
import { convertValue, type TypeSpec } from "../types.js";
import type { Value } from "../value.js";

const str: TypeSpec = { kind: "string" };
const list = (elem: TypeSpec): TypeSpec => ({ kind: "list", elem });

/** The element type of a list, set or tuple as cty converts it to a list (undefined: none). */
function listElement(v: Value | undefined): TypeSpec | undefined {
  if (!Array.isArray(v)) return undefined;
  const declared = declaredType(v);
  if (declared?.kind === "list" || declared?.kind === "set") return declared.elem;
  if (v.length === 0) return { kind: "any" };
  const t = unify(v.map((x) => typeOf(x)));
  return t && t.kind !== "nil" ? t : undefined;
}

/** The element type of a list argument when it is a list (a tuple is not). */
function declaredListElement(v: Value | undefined): TypeSpec | undefined {
  const t = Array.isArray(v) ? declaredType(v) : undefined;
  return t?.kind === "list" ? t.elem : undefined;
}

/** An argument of a `list(any)` parameter, converted as cty converts it before the call. */
function asList(v: Value | undefined): Value | undefined {
  const elem = listElement(v);
  return elem && elem.kind !== "any" && !isSet(v!) ? convertValue(v!, list(elem)) : v;
}

interface Rule {
  /** Arguments as cty hands them to the function (lists converted). */
  readonly args?: (args: readonly Value[]) => Value[];
  /** The result's list type, or undefined when the result is not a list. */
  readonly type: (result: Value, args: readonly Value[]) => TypeSpec | undefined;
}

const rules: Record<string, Rule> = {
  range: { type: () => list({ kind: "number" }) },
  split: { type: () => list(str) },
  compact: { type: () => list(str) },
  sort: { type: () => list(str) },
  formatlist: { type: () => list(str) },
  cidrsubnets: { type: () => list(str) },
  regexall: {
    type: (r) => list(Array.isArray(r) && r.length > 0 ? (typeOf(r[0]!) as TypeSpec) : str),
  },
  csvdecode: {
    type: (r) => (Array.isArray(r) && r.length > 0 ? list(typeOf(r[0]!) as TypeSpec) : undefined),
  },
  distinct: {
    args: ([l]) => [asList(l)!],
    type: (_, [l]) => {
      const e = listElement(l);
      return e ? list(e) : undefined;
    },
  },
  chunklist: {
    args: ([l, size]) => [asList(l)!, size!],
    type: (r, [l]) => {
      const e = listElement(l);
      if (!e) return undefined;
      for (const chunk of r as Value[]) declareType(chunk, list(e));
      return list(list(e));
    },
  },
  keys: { type: (_, [m]) => (declaredType(m!)?.kind === "map" ? list(str) : undefined) },
  values: {
    type: (_, [m]) => {
      const t = declaredType(m!);
      return t?.kind === "map" ? list(t.elem) : undefined;
    },
  },
  concat: {
    type: (_, args) => {
      const elems = args.map(declaredListElement);
      if (elems.length === 0 || elems.some((e) => e === undefined)) return undefined;
      const e = unify(elems as TypeSpec[]);
      return e && e.kind !== "nil" ? list(e) : undefined;
    },
  },
  reverselist: {
    type: (_, [l]) => {
      const t = Array.isArray(l) ? declaredType(l) : undefined;
      return t?.kind === "list" || t?.kind === "set" ? list(t.elem) : undefined;
    },
  },
  slice: {
    type: (_, [l]) => {
      const e = declaredListElement(l);
      return e ? list(e) : undefined;
    },
  },
  setproduct: {
    // Lists and tuples only give a list of tuples; a set among them gives a set (as made).
    type: (r, args) => {
      if (isSet(r) || args.some((a) => Array.isArray(a) && isSet(a))) return undefined;
      const elems = args.map(listElement);
      if (elems.some((e) => e === undefined)) return undefined;
      return list({ kind: "tuple", elems: elems as TypeSpec[] });
    },
  },
};

/** The function table with the list-returning built-ins recording their results' types. */
export function withListResults(table: Record<string, HclFunction>): Record<string, HclFunction> {
  const out = { ...table };
  for (const [name, rule] of Object.entries(rules)) {
    const fn = table[name];
    if (!fn || fn.lazy) continue;
    out[name] = listResult(fn, rule);
  }
  return out;
}

function listResult(fn: EagerFunction, rule: Rule): EagerFunction {
  return {
    ...fn,
    call(args, range, types) {
      const given = rule.args ? rule.args(args) : args;
      let result = fn.call(given, range, types);
      if (!Array.isArray(result)) return result;
      const type = rule.type(result, given);
      if (!type) return result;
      // A result that is one of the arguments is copied before its type is recorded.
      if (args.includes(result) || given.includes(result)) result = [...result];
      return declareType(result, type);
    },
  };
}
