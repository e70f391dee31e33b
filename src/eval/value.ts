/**
 * Values of the bake language as plain JavaScript data: null, booleans, numbers,
 * strings, arrays (HCL lists, tuples and sets) and objects (HCL maps and objects).
 * Object keys are iterated in sorted order, as cty does.
 */
import { DiagnosticError, error } from "../diagnostics/diagnostic.js";
import type { SourceRange } from "../diagnostics/source.js";

export type Value = null | boolean | number | string | readonly Value[] | ValueObject;
export interface ValueObject {
  readonly [key: string]: Value;
}

export function isObject(v: Value): v is ValueObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function isList(v: Value): v is readonly Value[] {
  return Array.isArray(v);
}

/** HCL's name for a value's type, for error messages. */
export function typeName(v: Value): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "tuple";
  if (typeof v === "object") return "object";
  return typeof v;
}

/** Sorted keys of an object, as HCL iterates them. */
export function sortedKeys(v: ValueObject): string[] {
  return Object.keys(v).sort(compareStrings);
}

/** Byte-wise string order (Go's sort of strings), not locale order. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A number as cty prints it: integers without a fraction, others in shortest form. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0);
  if (!Number.isFinite(n)) return n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN";
  const s = String(n);
  if (!s.includes("e")) return s;
  // Expand exponent notation the way Go's 'f' format with shortest precision does.
  return n.toFixed(20).replace(/\.?0+$/, "");
}

export function fail(summary: string, range: SourceRange | undefined, detail?: string): never {
  throw new DiagnosticError(error(summary, range, detail));
}

/** Converts a primitive to a string as HCL does in templates and string parameters. */
export function valueToString(v: Value, range?: SourceRange, what = "value"): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v === null) fail(`Invalid ${what}: the value is null; a string is required.`, range);
  fail(`Invalid ${what}: a string is required, but a ${typeName(v)} was given.`, range);
}

/** Converts to a number as cty does ("12" -> 12). */
export function valueToNumber(v: Value, range?: SourceRange, what = "value"): number {
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    const t = v.trim();
    if (t !== "" && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
    fail(`Invalid ${what}: a number is required; "${v}" is not a number.`, range);
  }
  if (v === null) fail(`Invalid ${what}: the value is null; a number is required.`, range);
  fail(`Invalid ${what}: a number is required, but a ${typeName(v)} was given.`, range);
}

/** Converts to a bool as cty does ("true" -> true). */
export function valueToBool(v: Value, range?: SourceRange, what = "value"): boolean {
  if (typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  if (v === null) fail(`Invalid ${what}: the value is null; a bool is required.`, range);
  fail(`Invalid ${what}: a bool is required, but a ${typeName(v)} was given.`, range);
}

/** Deep equality with HCL's type sensitivity ("1" != 1). */
export function valuesEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== typeof b) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => valuesEqual(x, b[i]!));
  }
  if (typeof a === "object") {
    if (Array.isArray(b)) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b as ValueObject);
    if (ka.length !== kb.length) return false;
    return ka.every(
      (k) =>
        Object.hasOwn(b as ValueObject, k) &&
        valuesEqual((a as ValueObject)[k]!, (b as ValueObject)[k]!),
    );
  }
  return false;
}

/**
 * An empty object for keys a user names: no prototype, so `__proto__`, `constructor`
 * or `toString` are ordinary keys, as they are in buildx.
 */
export function record<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** An environment variable, own entries only (`constructor` is not a variable of every environment). */
export function envValue(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  return Object.hasOwn(env, name) ? env[name] : undefined;
}

/** An object built from entries (a fresh object without prototype). */
export function objectFrom(entries: Iterable<readonly [string, Value]>): ValueObject {
  const out = record<Value>();
  for (const [k, v] of entries) out[k] = v;
  return out;
}
