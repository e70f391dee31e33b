/** Collection functions of cty's standard library (lists, maps, sets). */

import {
  declaredType,
  declareType,
  isSet,
  memberNullType,
  setOrder,
  typeOf,
  typesEqual,
  unify,
} from "../cty-type.js";
import type { HclFunction } from "../function.js";
import { convertValue, type TypeSpec } from "../types.js";
import {
  compareStrings,
  isObject,
  objectFrom,
  record,
  sortedKeys,
  type Value,
  type ValueObject,
  valuesEqual,
  valueToNumber,
  valueToString,
} from "../value.js";
import { define } from "./define.js";
import { graphemes } from "./strings.js";

/** The most elements setproduct may return (the same bound as for-expression iterations). */
const setProductLimit = 1_000_000;

function list(v: Value, what = "argument"): readonly Value[] {
  if (!Array.isArray(v)) throw new Error(`${what} must be a list, tuple or set`);
  return v;
}

function map(v: Value, what = "argument"): ValueObject {
  if (!isObject(v)) throw new Error(`${what} must be a map or object`);
  return v;
}

function int(v: Value, what: string): number {
  const n = valueToNumber(v);
  if (!Number.isInteger(n)) throw new Error(`${what} must be a whole number`);
  return n;
}

/** What cty's index() and hasindex() take: a tuple, a list or a map (not a set or object). */
function indexable(c: Value): "tuple" | "list" | "map" {
  const declared = declaredType(c);
  if (Array.isArray(c) && !isSet(c)) return declared?.kind === "list" ? "list" : "tuple";
  if (isObject(c) && declared?.kind === "map") return "map";
  throw new Error("collection must be a list, a map or a tuple");
}

/** cty's index(): the key must have the collection's key type exactly (no conversion). */
function indexed(c: Value, k: Value): Value {
  const kind = indexable(c);
  if (kind === "map") {
    if (typeof k !== "string") throw new Error("key for map must be string");
    if (!Object.hasOwn(c as object, k)) throw new Error("invalid index");
    return (c as ValueObject)[k]!;
  }
  const items = c as readonly Value[];
  if (typeof k !== "number") throw new Error(`key for ${kind} must be number`);
  if (kind === "tuple") {
    if (!Number.isInteger(k))
      throw new Error(
        "invalid key for tuple: value must be a whole number, between -9223372036854775808 and 9223372036854775807",
      );
    if (k < 0 || k >= items.length)
      throw new Error(`key must be between 0 and ${items.length} inclusive`);
  } else if (!Number.isInteger(k) || k < 0 || k >= items.length) throw new Error("invalid index");
  return items[k]!;
}

function distinctValues(values: readonly Value[]): Value[] {
  const out: Value[] = [];
  for (const v of values) if (!out.some((o) => valuesEqual(o, v))) out.push(v);
  return out;
}

/** A set function's result: cty's set order, known as a set. */
function asSet(values: readonly Value[]): Value[] {
  const out = setOrder(values);
  return declareType(out, { kind: "set", elem: elementType(out) });
}

/** The one element type of a set (its elements already share it), dynamic when empty. */
function elementType(values: readonly Value[]): TypeSpec {
  const t = values.length > 0 ? typeOf(values[0]!) : undefined;
  return t && t.kind !== "nil" ? t : { kind: "any" };
}

export const collectionFunctions: Record<string, HclFunction> = {
  length: define(["value"], ([v]) => {
    if (typeof v === "string") return graphemes(v).length;
    if (Array.isArray(v)) return v.length;
    if (isObject(v!)) return Object.keys(v!).length;
    throw new Error("collection must be a list, a map or a tuple");
  }),
  concat: define([], (lists) => lists.flatMap((l, i) => list(l, `argument ${i + 1}`)), {
    variadic: "seqs",
  }),
  // The arguments' types unify to the result's type: coalesce(null, 1, "x") is "1".
  coalesce: define(
    [],
    (vals, range, types = []) => {
      const type = unify(types);
      if (!type) throw new Error("all arguments must have the same type");
      const found = vals.findIndex((v) => v !== null);
      if (found < 0) throw new Error("no non-null arguments");
      const v = vals[found]!;
      return typesEqual(types[found]!, type) ? v : convertValue(v, type as TypeSpec, range);
    },
    { variadic: "vals", allowNull: ["vals"], typed: true },
  ),
  coalescelist: define(
    [],
    (vals) => {
      if (vals.length === 0) throw new Error("at least one argument is required");
      for (const v of vals) if (list(v).length > 0) return v;
      throw new Error("no non-empty list arguments");
    },
    { variadic: "vals" },
  ),
  compact: define(["list"], ([l]) =>
    list(l!)
      .filter((v) => v !== null && v !== "")
      .map((v) => valueToString(v)),
  ),
  contains: define(["list", "value"], ([l, v]) => list(l!).some((x) => valuesEqual(x, v!)), {
    allowNull: ["value"],
  }),
  distinct: define(["list"], ([l]) => distinctValues(list(l!))),
  element: {
    ...define(["list", "index"], ([l, i]) => {
      const items = list(l!);
      const n = int(i!, "index");
      if (items.length === 0) throw new Error("cannot use element function with an empty list");
      if (n < 0) throw new Error("cannot use element function with a negative index");
      return items[n % items.length]!;
    }),
    resultNullType: ([l, i]) => memberNullType(l!, valueToNumber(i!) % list(l!).length),
  },
  flatten: define(["list"], ([l]) => {
    const out: Value[] = [];
    const walk = (v: readonly Value[]) => {
      for (const x of v)
        if (Array.isArray(x)) walk(x);
        else out.push(x);
    };
    walk(list(l!));
    return out;
  }),
  index: {
    ...define(["collection", "key"], ([c, k]) => indexed(c!, k!)),
    resultNullType: ([c, k]) => memberNullType(c!, k as string | number),
  },
  indexof: define(
    ["list", "value"],
    ([l, v]) => {
      const items = list(l!, "list");
      if (items.length === 0) throw new Error("cannot search an empty list");
      const i = items.findIndex((x) => valuesEqual(x, v!));
      if (i < 0) throw new Error("item not found");
      return i;
    },
    { allowNull: ["value"] },
  ),
  hasindex: define(["collection", "key"], ([c, k]) => {
    const kind = indexable(c!);
    if (kind === "map") return typeof k === "string" && Object.hasOwn(c as object, k);
    return typeof k === "number" && Number.isInteger(k) && k >= 0 && k < (c as Value[]).length;
  }),
  keys: define(["inputMap"], ([m]) => sortedKeys(map(m!))),
  values: define(["values"], ([m]) => {
    const o = map(m!);
    return sortedKeys(o).map((k) => o[k]!);
  }),
  // cty's lookup refuses a null default, as most parameters do.
  lookup: {
    ...define(["inputMap", "key", "default"], ([m, k, d]) => {
      const o = map(m!);
      const key = valueToString(k!);
      return Object.hasOwn(o, key) ? o[key]! : d!;
    }),
    resultNullType: ([m, k]) => memberNullType(m!, valueToString(k!)),
  },
  merge: define(
    [],
    (maps) => {
      const out = record<Value>();
      for (const m of maps) {
        if (m === null) continue;
        Object.assign(out, map(m));
      }
      return out;
    },
    { variadic: "maps", allowNull: ["maps"] },
  ),
  zipmap: define(["keys", "values"], ([ks, vs]) => {
    const keys = list(ks!).map((k) => valueToString(k));
    const values = list(vs!);
    if (keys.length !== values.length)
      throw new Error(
        `number of keys (${keys.length}) does not match number of values (${values.length})`,
      );
    return objectFrom(keys.map((k, i) => [k, values[i]!]));
  }),
  slice: define(["list", "start_index", "end_index"], ([l, s, e]) => {
    const items = list(l!);
    const start = int(s!, "start_index");
    const end = int(e!, "end_index");
    if (start < 0) throw new Error("the start index must not be less than zero");
    if (end > items.length)
      throw new Error("the end index must not be greater than the length of the list");
    if (start > end) throw new Error("the start index must not be greater than the end index");
    return items.slice(start, end);
  }),
  chunklist: define(["list", "size"], ([l, s]) => {
    const items = list(l!);
    const size = int(s!, "size");
    if (size < 0) throw new Error("the size argument must be positive");
    if (size === 0) return [items];
    const out: Value[] = [];
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    return out;
  }),
  reverselist: define(["list"], ([l]) => [...list(l!)].reverse()),
  sort: define(["list"], ([l]) =>
    list(l!)
      .map((v) => {
        if (v === null)
          throw new Error("given list element is null; a null value cannot be sorted");
        return valueToString(v);
      })
      .sort(compareStrings),
  ),
  range: define(
    [],
    (args) => {
      const nums = args.map((a) => valueToNumber(a));
      let start = 0;
      let end: number;
      let step = 1;
      if (nums.length === 1) end = nums[0]!;
      else if (nums.length === 2) [start, end] = nums as [number, number];
      else if (nums.length === 3) [start, end, step] = nums as [number, number, number];
      else throw new Error("must have one, two, or three arguments");
      if (nums.length < 3 && end < start) step = -1;
      if (step === 0) throw new Error("step must not be zero");
      if (start < end && step < 0)
        throw new Error("step must be positive when start is less than end");
      if (start > end && step > 0)
        throw new Error("step must be negative when start is greater than end");
      const out: number[] = [];
      for (let v = start; step > 0 ? v < end : v > end; v += step) {
        out.push(v);
        if (out.length > 1024)
          throw new Error(
            "more than 1024 values were generated; either decrease the difference between start and end or use a smaller step",
          );
      }
      return out;
    },
    { variadic: "params" },
  ),
  // setproduct(range(1000), range(1000), range(1000)) would need gigabytes.
  setproduct: define(
    [],
    (sets) => {
      if (sets.length < 2) throw new Error("at least two arguments are required");
      const size = sets.reduce((n: number, s) => n * list(s).length, 1);
      if (size > setProductLimit)
        throw new Error(
          `the product has ${size.toLocaleString("en-US")} elements, more than the limit of ${setProductLimit.toLocaleString("en-US")}`,
        );
      let out: Value[][] = [[]];
      for (const s of sets) {
        const items = list(s);
        out = out.flatMap((prefix) => items.map((x) => [...prefix, x]));
      }
      // One set among the arguments makes the product a set (lists and tuples only: a list).
      return sets.some(isSet) ? asSet(out) : out;
    },
    { variadic: "sets" },
  ),
  setunion: define([], (sets) => asSet(sets.flatMap((s) => list(s))), {
    variadic: "sets",
  }),
  setintersection: define(
    ["first_set"],
    ([first, ...rest]) =>
      asSet(list(first!).filter((v) => rest.every((s) => list(s).some((x) => valuesEqual(x, v))))),
    { variadic: "other_sets" },
  ),
  setsubtract: define(["a", "b"], ([a, b]) =>
    asSet(list(a!).filter((v) => !list(b!).some((x) => valuesEqual(x, v)))),
  ),
  setsymmetricdifference: define(
    ["first_set"],
    (sets) => {
      const all = setOrder(sets.flatMap((s) => list(s)));
      return asSet(
        all.filter(
          (v) => sets.filter((s) => list(s).some((x) => valuesEqual(x, v))).length % 2 === 1,
        ),
      );
    },
    { variadic: "other_sets" },
  ),
  sethaselement: define(["set", "elem"], ([s, e]) => list(s!).some((x) => valuesEqual(x, e!)), {
    allowNull: ["elem"],
  }),
};
