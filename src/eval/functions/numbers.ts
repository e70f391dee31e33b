/** Number and logic functions of cty's standard library. */
import type { HclFunction } from "../function.js";
import { type Value, valuesEqual, valueToBool, valueToNumber, valueToString } from "../value.js";
import { define } from "./define.js";

const num = (v: Value) => valueToNumber(v);
const bool = (v: Value) => valueToBool(v);

export const numberFunctions: Record<string, HclFunction> = {
  absolute: define(["num"], ([n]) => Math.abs(num(n!))),
  add: define(["a", "b"], ([a, b]) => num(a!) + num(b!)),
  subtract: define(["a", "b"], ([a, b]) => num(a!) - num(b!)),
  multiply: define(["a", "b"], ([a, b]) => num(a!) * num(b!)),
  divide: define(["a", "b"], ([a, b]) => {
    if (num(b!) === 0) throw new Error("can't divide by zero");
    return num(a!) / num(b!);
  }),
  modulo: define(["a", "b"], ([a, b]) => {
    if (num(b!) === 0) throw new Error("can't use modulo by zero");
    return num(a!) % num(b!);
  }),
  negate: define(["num"], ([n]) => -num(n!)),
  ceil: define(["num"], ([n]) => Math.ceil(num(n!))),
  floor: define(["num"], ([n]) => Math.floor(num(n!))),
  int: define(["num"], ([n]) => Math.trunc(num(n!))),
  log: define(["num", "base"], ([n, b]) => Math.log(num(n!)) / Math.log(num(b!))),
  pow: define(["num", "power"], ([n, p]) => num(n!) ** num(p!)),
  signum: define(["num"], ([n]) => Math.sign(num(n!))),
  max: define(
    [],
    (ns) => {
      if (ns.length === 0) throw new Error("must pass at least one number");
      return Math.max(...ns.map(num));
    },
    { variadic: "numbers" },
  ),
  min: define(
    [],
    (ns) => {
      if (ns.length === 0) throw new Error("must pass at least one number");
      return Math.min(...ns.map(num));
    },
    { variadic: "numbers" },
  ),
  parseint: define(["number", "base"], ([s, b]) => {
    const base = num(b!);
    if (!Number.isInteger(base) || base < 2 || base > 62)
      throw new Error("base must be a whole number between 2 and 62 inclusive");
    const text = valueToString(s!);
    const digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".slice(0, base);
    const m = /^([+-]?)(.+)$/.exec(text);
    const body = m?.[2] ?? "";
    const lower = base <= 36 ? body.toLowerCase() : body;
    if (body === "" || [...lower].some((c) => !digits.includes(c))) {
      throw new Error(`cannot parse "${text}" as a base ${base} integer`);
    }
    let n = 0n;
    for (const c of lower) n = n * BigInt(base) + BigInt(digits.indexOf(c));
    return Number(m?.[1] === "-" ? -n : n);
  }),
  equal: define(["a", "b"], ([a, b]) => valuesEqual(a!, b!), { allowNull: ["a", "b"] }),
  notequal: define(["a", "b"], ([a, b]) => !valuesEqual(a!, b!), { allowNull: ["a", "b"] }),
  greaterthan: define(["a", "b"], ([a, b]) => num(a!) > num(b!)),
  greaterthanorequalto: define(["a", "b"], ([a, b]) => num(a!) >= num(b!)),
  lessthan: define(["a", "b"], ([a, b]) => num(a!) < num(b!)),
  lessthanorequalto: define(["a", "b"], ([a, b]) => num(a!) <= num(b!)),
  and: define(["a", "b"], ([a, b]) => bool(a!) && bool(b!)),
  or: define(["a", "b"], ([a, b]) => bool(a!) || bool(b!)),
  not: define(["val"], ([v]) => !bool(v!)),
};
