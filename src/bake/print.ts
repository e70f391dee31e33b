/**
 * `--print`: the resolved definition as buildx prints it (Go's json.MarshalIndent:
 * two-space indent, struct field order, map keys sorted, HTML characters escaped).
 */
import { posix } from "node:path";
import { compareStrings, record } from "../eval/value.js";
import { attributes } from "./attributes.js";
import type { Group, SshEntry, Target } from "./model.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json } | OrderedObject;

/** An object whose keys print in the given order (Go structs), not sorted (Go maps). */
class OrderedObject {
  constructor(readonly entries: [string, Json][]) {}
}

function goString(s: string): string {
  return JSON.stringify(s)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function encode(v: Json, indent: string): string {
  if (v === null) return "null";
  if (typeof v === "string") return goString(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return `[\n${v.map((x) => inner + encode(x, inner)).join(",\n")}\n${indent}]`;
  }
  const entries =
    v instanceof OrderedObject
      ? v.entries
      : Object.keys(v)
          .sort(compareStrings)
          .map((k) => [k, (v as Record<string, Json>)[k]!] as [string, Json]);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, x]) => `${inner}${goString(k)}: ${encode(x, inner)}`).join(",\n")}\n${indent}}`;
}

function sshJson(e: SshEntry): Json {
  return new OrderedObject([
    ["id", e.id],
    ...(e.paths && e.paths.length > 0 ? [["paths", [...e.paths]] as [string, Json]] : []),
  ]);
}

function secretJson(e: Readonly<Record<string, string>>): Json {
  const order = ["id", "src", "env"];
  return new OrderedObject(
    order.filter((k) => e[k] !== undefined && e[k] !== "").map((k) => [k, e[k]!]),
  );
}

/** Go's path.Clean. */
function cleanPath(p: string): string {
  if (p === "") return ".";
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith("/") ? n.slice(0, -1) : n;
}

function isRemoteUrl(s: string): boolean {
  return /^(https?:\/\/|git:\/\/|ssh:\/\/|git@|github\.com\/)/.test(s);
}

/** The context as buildx prints it (toBuildOpt): cleaned, `cwd://` dropped, URLs as written. */
export function printedContext(context: string): string {
  if (context.startsWith("cwd://")) return cleanPath(context.slice("cwd://".length));
  return isRemoteUrl(context) ? context : cleanPath(context);
}

export function targetJson(t: Target): Json {
  const out: [string, Json][] = [];
  for (const spec of attributes) {
    let v = t[spec.field] as unknown;
    if (spec.field === "context" && typeof v === "string") v = printedContext(v);
    if (v === undefined) continue;
    if (spec.kind === "string" && v === "") continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (spec.kind === "stringMap" || spec.kind === "nullableMap") {
      if (Object.keys(v as object).length === 0) continue;
    }
    let json: Json;
    if (spec.kind === "ssh") json = (v as SshEntry[]).map(sshJson);
    else if (spec.kind === "secrets") json = (v as Record<string, string>[]).map(secretJson);
    else json = v as Json;
    out.push([spec.name, json]);
  }
  return new OrderedObject(out);
}

export interface PrintInput {
  readonly groups: Readonly<Record<string, Group>>;
  readonly targets: Readonly<Record<string, Target>>;
}

export function printBake(res: PrintInput): string {
  const groups = record<Json>();
  for (const [name, g] of Object.entries(res.groups)) {
    groups[name] = new OrderedObject([
      ...(g.description ? [["description", g.description] as [string, Json]] : []),
      ["targets", [...g.targets]],
    ]);
  }
  const targets = record<Json>();
  for (const [name, t] of Object.entries(res.targets)) targets[name] = targetJson(t);
  const root = new OrderedObject([
    ...(Object.keys(groups).length > 0 ? [["group", groups] as [string, Json]] : []),
    ["target", targets],
  ]);
  return encode(root, "");
}

/** Go's json.MarshalIndent of structs: objects keep their key order. Strings print as Go quotes them. */
export function goJson(v: unknown): string {
  const toJson = (x: unknown): Json => {
    if (Array.isArray(x)) return x.map(toJson);
    if (x !== null && typeof x === "object")
      return new OrderedObject(Object.entries(x).map(([k, y]) => [k, toJson(y)]));
    return x as Json;
  };
  return encode(toJson(v), "");
}
