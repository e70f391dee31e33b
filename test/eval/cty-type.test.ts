import { describe, expect, it } from "vitest";
import { DiagnosticError } from "../../src/diagnostics/index.js";
import {
  type CtyType,
  convertible,
  friendlyName,
  isSet,
  typeOf,
  unify,
} from "../../src/eval/cty-type.js";
import {
  builtinFunctions,
  type EvalContext,
  evaluate,
  unknownVariable,
  type Value,
} from "../../src/eval/index.js";
import { parseHclExpression } from "../../src/hcl/parse.js";

const str: CtyType = { kind: "string" };
const num: CtyType = { kind: "number" };
const bool: CtyType = { kind: "bool" };
const listOf = (elem: CtyType) => ({ kind: "list", elem }) as CtyType;
const setOf = (elem: CtyType) => ({ kind: "set", elem }) as CtyType;
const mapOf = (elem: CtyType) => ({ kind: "map", elem }) as CtyType;
const tuple = (...elems: CtyType[]) => ({ kind: "tuple", elems }) as CtyType;

function ev(text: string, vars: Record<string, Value> = {}, nulls: Record<string, CtyType> = {}) {
  const { expr } = parseHclExpression({ name: "expr.hcl", text });
  const ctx: EvalContext = {
    functions: builtinFunctions(),
    lookup: (name, range) =>
      Object.hasOwn(vars, name) ? vars[name]! : unknownVariable(name, range, Object.keys(vars)),
    nullType: (name) => nulls[name],
  };
  return evaluate(expr!, ctx);
}

function failure(text: string, vars: Record<string, Value> = {}, nulls = {}): string {
  try {
    ev(text, vars, nulls);
  } catch (err) {
    if (err instanceof DiagnosticError) return err.diagnostics[0]!.summary;
    throw err;
  }
  throw new Error(`expected ${text} to fail`);
}

describe("cty type unification", () => {
  it("prefers string among primitives and refuses number with bool", () => {
    expect(unify([num, str])).toEqual(str);
    expect(unify([str, bool])).toEqual(str);
    expect(unify([num, bool])).toBeUndefined();
  });

  it("unifies a set with a tuple to a set, a list with a tuple to a list", () => {
    expect(unify([setOf(str), tuple(str, num)])).toEqual(setOf(str));
    expect(unify([tuple(num), listOf(str)])).toEqual(listOf(str));
    expect(unify([tuple(num), tuple(str, str)])).toEqual(listOf(str));
  });

  it("unifies objects with different attributes as a map, and never an object with a tuple", () => {
    const o = (value: Record<string, Value>) => typeOf(value);
    expect(unify([o({ a: 1 }), o({ b: "x" })])).toEqual(mapOf(str));
    expect(unify([o({ a: 1 }), tuple(num)])).toBeUndefined();
    expect(unify([str, o({})])).toBeUndefined();
  });

  it("lets the type-less null of a variable without value convert to nothing but dynamic", () => {
    expect(convertible({ kind: "nil" }, str)).toBe(false);
    expect(convertible({ kind: "nil" }, { kind: "any" })).toBe(true);
    expect(convertible(listOf(num), str)).toBe(false);
    expect(convertible(num, str)).toBe(true);
    expect(friendlyName(mapOf(listOf(str)))).toBe("map of list of string");
  });
});

describe("conditional results", () => {
  it("convert to the unified type of both results", () => {
    expect(ev('true ? 1 : "x"')).toBe("1");
    expect(ev('false ? setunion(["b"]) : ["z", "a", "z"]')).toEqual(["a", "z"]);
    expect(isSet(ev('false ? setunion(["b"]) : ["z", "a", "z"]'))).toBe(true);
    expect(ev('true ? { a = 1 } : { b = "x" }')).toEqual({ a: "1" });
    expect(ev("true ? null : 1")).toBeNull();
  });

  it("fail when the results have no common type, whatever the condition", () => {
    expect(failure("true ? 1 : true")).toMatch(/^Inconsistent conditional result types/);
    expect(failure('nosuch ? "a" : [1]')).toMatch(/^Inconsistent conditional result types/);
    expect(failure('true ? L : "x"', { L: null }, { L: listOf(str) })).toMatch(
      /The 'true' value is list of string, but the 'false' value is string/,
    );
  });

  it("see a typed null through an attribute, an index, try(), convert(), a for expression and a conditional", () => {
    const vars = { L: null };
    const nulls = { L: listOf(str) };
    const inconsistent = /The 'true' value is list of string, but the 'false' value is string/;
    for (const reached of [
      "{ x = L }.x",
      "[L][0]",
      "(L)",
      "try(L, null)",
      "convert(null, list(string))",
      "[for x in [L] : x][0]",
      '{ for k in ["x"] : k => L }.x',
      "(false ? L : null)",
    ])
      expect(failure(`true ? ${reached} : "s"`, vars, nulls), reached).toMatch(inconsistent);
    // A null of no particular type converts to anything.
    expect(ev('true ? [null][0] : "s"')).toBeNull();
    expect(ev('true ? try(null, 1) : "s"')).toBeNull();
    expect(ev('true ? { x = L }.x : ["s"]', vars, nulls)).toBeNull();
  });

  it("see the lists built-ins return as lists, not tuples", () => {
    const inconsistent = /^Inconsistent conditional result types/;
    expect(failure("true ? range(0) : [true]")).toMatch(
      /The 'true' value is list of number, but the 'false' value is tuple/,
    );
    expect(failure("true ? chunklist([1, 2], 1) : [true]")).toMatch(inconsistent);
    expect(failure("true ? concat(range(1), distinct([2])) : [true]")).toMatch(inconsistent);
    expect(failure("true ? setproduct([1], [2]) : [true]")).toMatch(inconsistent);
    expect(typeOf(ev('split(",", "a,b")'))).toEqual(listOf(str));
    // A tuple stays a tuple: concat() of a tuple, flatten().
    expect(ev("true ? concat(range(1), [true]) : [5, false]")).toEqual([0, true]);
    // A list unifies with a tuple whose elements convert to its element type.
    expect(ev('true ? range(2) : ["x"]')).toEqual(["0", "1"]);
    // distinct() converts its argument to a list first, as cty does.
    expect(ev('distinct([1, "1"])')).toEqual(["1"]);
    // A function returning its argument does not change the argument's type.
    const t = ev("[[1]]") as Value[];
    expect(typeOf(ev("coalescelist(x)", { x: t }))).toEqual(tuple(tuple(num)));
  });

  it("ignore an error in the result not chosen", () => {
    expect(ev('true ? "ok" : nosuch(1)')).toBe("ok");
    expect(failure('false ? "ok" : nosuch(1)')).toMatch(/^Call to unknown function/);
  });
});

describe("coalesce", () => {
  it("returns its first non-null argument in the arguments' unified type", () => {
    expect(ev('coalesce(null, 1, "x")')).toBe("1");
    expect(failure('coalesce(L, "x")', { L: null }, { L: listOf(str) })).toMatch(
      /all arguments must have the same type/,
    );
  });
});
