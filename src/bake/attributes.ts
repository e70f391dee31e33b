/**
 * The one table of target attributes: for each, its name in bake files and in
 * --print, how a value converts to the model, how `inherits` merges it (buildx's
 * Target.Merge) and how it prints. Every other module reads this table.
 */
import type { SourceRange } from "../diagnostics/source.js";
import { type CtyType, convertible, friendlyName, nullMemberType } from "../eval/cty-type.js";
import type { TypeSpec } from "../eval/types.js";
import {
  fail,
  formatNumber,
  isObject,
  record,
  sortedKeys,
  type Value,
  valueToString,
} from "../eval/value.js";
import {
  attestFromObject,
  dedupeEntries,
  EntryError,
  parseAttest,
  parseCache,
  parseOutput,
  parseSecret,
  parseSsh,
  removeDupesSwapping,
  splitCsv,
} from "./entries.js";
import type { Entry, SshEntry, Target } from "./model.js";

/** Where a typed null in a value (at its top or one level down) does not convert to `want`. */
function typedNullMismatch(v: Value, want: TypeSpec, nullType?: CtyType): string | undefined {
  const refused = (t: CtyType | undefined, to: TypeSpec) => t !== undefined && !convertible(t, to);
  if (v === null) return refused(nullType, want) ? `${friendlyName(want)} required` : undefined;
  if (want.kind !== "list" && want.kind !== "map") return undefined;
  const keys = Array.isArray(v) ? v.map((_, i) => i) : isObject(v) ? sortedKeys(v) : [];
  for (const k of keys) {
    const member = (v as Record<string | number, Value>)[k];
    if (member === null && refused(nullMemberType(v, k), want.elem))
      return `element ${typeof k === "number" ? k : JSON.stringify(k)}: ${friendlyName(want.elem)} required`;
  }
  return undefined;
}

export type AttributeKind =
  | "string"
  | "bool"
  | "strings"
  | "stringMap"
  | "nullableMap"
  | "outputs"
  | "caches"
  | "secrets"
  | "ssh"
  | "attest";

/** How a parent's value and a child's value combine under `inherits`. */
export type MergeRule = "replace" | "append" | "mapSkipNull" | "mapAll" | "entriesMerge";

export interface AttributeSpec {
  /** The name in HCL/JSON and in --print. */
  readonly name: string;
  readonly field: Exclude<keyof Target, "name">;
  readonly kind: AttributeKind;
  readonly merge: MergeRule;
}

/** In buildx's --print order (its Target struct's field order). */
export const attributes: readonly AttributeSpec[] = [
  { name: "description", field: "description", kind: "string", merge: "replace" },
  { name: "annotations", field: "annotations", kind: "strings", merge: "append" },
  { name: "attest", field: "attest", kind: "attest", merge: "entriesMerge" },
  { name: "context", field: "context", kind: "string", merge: "replace" },
  { name: "contexts", field: "contexts", kind: "stringMap", merge: "mapAll" },
  { name: "dockerfile", field: "dockerfile", kind: "string", merge: "replace" },
  { name: "dockerfile-inline", field: "dockerfileInline", kind: "string", merge: "replace" },
  { name: "args", field: "args", kind: "nullableMap", merge: "mapSkipNull" },
  { name: "labels", field: "labels", kind: "nullableMap", merge: "mapSkipNull" },
  { name: "tags", field: "tags", kind: "strings", merge: "replace" },
  { name: "cache-from", field: "cacheFrom", kind: "caches", merge: "entriesMerge" },
  { name: "cache-to", field: "cacheTo", kind: "caches", merge: "replace" },
  { name: "target", field: "target", kind: "string", merge: "replace" },
  { name: "secret", field: "secret", kind: "secrets", merge: "entriesMerge" },
  { name: "ssh", field: "ssh", kind: "ssh", merge: "entriesMerge" },
  { name: "platforms", field: "platforms", kind: "strings", merge: "replace" },
  { name: "output", field: "output", kind: "outputs", merge: "replace" },
  { name: "pull", field: "pull", kind: "bool", merge: "replace" },
  { name: "no-cache", field: "noCache", kind: "bool", merge: "replace" },
  { name: "network", field: "network", kind: "string", merge: "replace" },
  { name: "no-cache-filter", field: "noCacheFilter", kind: "strings", merge: "append" },
  { name: "shm-size", field: "shmSize", kind: "string", merge: "replace" },
  { name: "ulimits", field: "ulimits", kind: "strings", merge: "append" },
  { name: "call", field: "call", kind: "string", merge: "replace" },
  { name: "entitlements", field: "entitlements", kind: "strings", merge: "append" },
  { name: "extra-hosts", field: "extraHosts", kind: "nullableMap", merge: "mapSkipNull" },
];

/** Attributes a target block may have that are not printed target fields. */
export const controlAttributes = new Set(["inherits", "matrix", "name"]);

export const attributesByName: ReadonlyMap<string, AttributeSpec> = new Map(
  attributes.map((a) => [a.name, a]),
);

function scalarString(v: Value, range: SourceRange, what: string): string {
  if (typeof v === "number") return formatNumber(v);
  return valueToString(v, range, what);
}

function list(v: Value, range: SourceRange, what: string): readonly Value[] {
  if (!Array.isArray(v))
    fail(
      `Invalid value for ${what}; a list is required, but a ${v === null ? "null" : typeof v} was given.`,
      range,
    );
  return v;
}

function entriesOf<T>(
  v: Value,
  range: SourceRange,
  what: string,
  parse: (text: string) => T,
  fromObject: (o: Record<string, string>) => T,
): T[] {
  return list(v, range, what).flatMap((item) => {
    if (item === null) return [];
    try {
      if (isObject(item)) {
        const o = record<string>();
        for (const k of sortedKeys(item)) {
          const x = item[k]!;
          if (x !== null)
            o[k] = Array.isArray(x)
              ? x.map((e) => scalarString(e, range, what)).join(",")
              : scalarString(x, range, what);
        }
        return [fromObject(o)];
      }
      const text = scalarString(item, range, what);
      // buildx skips empty texts; a cache text without "=" is a list of refs, one entry each.
      if (text === "") return [];
      if (parse === (parseCache as unknown) && !text.includes("="))
        return splitCsv(text).map((ref) => parse(ref));
      return [parse(text)];
    } catch (err) {
      if (err instanceof EntryError)
        return fail(`Invalid value for ${what}; ${err.message}.`, range);
      throw err;
    }
  });
}

/** Converts an evaluated attribute value to the model's representation. */
/** The cty type buildx decodes an attribute of each kind into, where it is one type. */
const decodedTypes: Partial<Record<AttributeKind, TypeSpec>> = {
  string: { kind: "string" },
  bool: { kind: "bool" },
  strings: { kind: "list", elem: { kind: "string" } },
  stringMap: { kind: "map", elem: { kind: "string" } },
  nullableMap: { kind: "map", elem: { kind: "string" } },
};

/**
 * Converts an attribute's value to the model. `nullType` is the type of the value when
 * it is a typed null: cty converts a null only to a type its own type converts to (a
 * null list of numbers is no string), and a typed variable without any value converts
 * to none, so buildx refuses them where plain nulls pass.
 */
export function convertAttribute(
  spec: AttributeSpec,
  v: Value,
  range: SourceRange,
  nullType?: CtyType,
): unknown {
  const want = decodedTypes[spec.kind];
  const mismatch = want && typedNullMismatch(v, want, nullType);
  if (mismatch) fail(`Unsuitable value type; Unsuitable value: ${mismatch}`, range);
  if (v === null) return undefined;
  const what = `"${spec.name}"`;
  switch (spec.kind) {
    case "string":
      return scalarString(v, range, what);
    case "bool":
      if (typeof v === "boolean") return v;
      if (v === "true" || v === "false") return v === "true";
      return fail(`Invalid value for ${what}; a bool is required.`, range);
    case "strings":
      return list(v, range, what)
        .filter((x) => x !== null)
        .map((x) => scalarString(x, range, what));
    case "stringMap":
    case "nullableMap": {
      if (!isObject(v))
        return fail(
          `Invalid value for ${what}; a map is required, but a ${Array.isArray(v) ? "list" : typeof v} was given.`,
          range,
        );
      const out = record<string | null>();
      for (const k of sortedKeys(v)) {
        const x = v[k]!;
        if (x === null) {
          if (spec.kind === "nullableMap") out[k] = null;
          continue;
        }
        out[k] = scalarString(x, range, `${what} key "${k}"`);
      }
      return out;
    }
    case "outputs":
      return entriesOf(v, range, what, parseOutput, (o) => o as Entry);
    case "caches":
      return entriesOf(v, range, what, parseCache, (o) => o as Entry);
    case "secrets":
      return entriesOf(v, range, what, parseSecret, (o) => o as Entry);
    case "attest":
      return entriesOf(v, range, what, parseAttest, attestFromObject);
    case "ssh":
      return entriesOf<SshEntry>(v, range, what, parseSsh, (o) => ({
        id: o.id ?? "default",
        ...(o.paths ? { paths: o.paths.split(",") } : {}),
      }));
  }
}

export type MutableTarget = { -readonly [K in keyof Target]: Target[K] };

const attributeByField: ReadonlyMap<string, AttributeSpec> = new Map(
  attributes.map((spec) => [spec.field as string, spec]),
);

/** buildx's Target.Merge: `child` over `into`, attribute by attribute. */
export function mergeTarget(into: MutableTarget, child: Target): void {
  // A target sets a few of the attributes: only those are visited.
  for (const field of Object.keys(child)) {
    const spec = attributeByField.get(field);
    if (spec === undefined) continue;
    const value = child[spec.field] as unknown;
    if (value === undefined) continue;
    const current = into[spec.field] as unknown;
    let next: unknown;
    switch (spec.merge) {
      case "replace":
        next = value;
        break;
      case "append":
        next = [...((current as unknown[] | undefined) ?? []), ...(value as unknown[])];
        break;
      case "entriesMerge":
        next = (
          spec.kind === "caches" || spec.kind === "outputs" ? removeDupesSwapping : dedupeEntries
        )([...((current as unknown[] | undefined) ?? []), ...(value as unknown[])]);
        break;
      case "mapSkipNull":
      case "mapAll": {
        const m = Object.assign(
          record<unknown>(),
          (current as Record<string, unknown> | undefined) ?? {},
        );
        for (const [k, x] of Object.entries(value as Record<string, unknown>)) {
          if (x === null && spec.merge === "mapSkipNull") continue;
          m[k] = x;
        }
        next = Object.keys(m).length > 0 || current !== undefined ? m : undefined;
        break;
      }
    }
    (into as Record<string, unknown>)[spec.field] = next;
  }
  if (child.description) into.description = child.description;
}
