/**
 * `--print`: the resolved definition as buildx prints it (Go's json.MarshalIndent:
 * two-space indent, struct field order, map keys sorted, HTML characters escaped).
 */
import { posix } from "node:path";
import { compareStrings, record } from "../eval/value.js";
import { attributes } from "./attributes.js";
import type { Group, SshEntry, Target } from "./model.js";
import { escapeTemplates } from "./template-escape.js";

export type Json =
  | null
  | boolean
  | number
  | string
  | Json[]
  | { [k: string]: Json }
  | OrderedObject
  | RawJson;

/** An object whose keys print in the given order (Go structs), not sorted (Go maps). */
export class OrderedObject {
  constructor(readonly entries: [string, Json][]) {}
}

/**
 * JSON text printed as Go prints a json.RawMessage inside MarshalIndent: whitespace dropped,
 * HTML characters escaped, re-indented at its depth; keys and numbers stay as written.
 * The text must be valid JSON (see rawJson).
 */
export class RawJson {
  private constructor(readonly text: string) {}
  /** The text as a RawJson, or undefined when it is not valid JSON. */
  static of(text: string): RawJson | undefined {
    try {
      JSON.parse(text);
    } catch {
      return undefined;
    }
    return new RawJson(text);
  }
}

/** Go's HTML-safe escaping of the characters JSON.stringify leaves alone. */
function escapeHtml(s: string): string {
  return s
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Characters a Go JSON string cannot hold as they are (JSON's escapes, HTML's, surrogates). */
const needsEscape = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;

function goString(s: string): string {
  // Most strings (names, tags, paths) need no escape at all: no scan for each escape.
  if (!needsEscape.test(s)) return `"${s}"`;
  return escapeHtml(JSON.stringify(s));
}

/** Go's json.Compact (HTML-escaping) then json.Indent of valid JSON text, at `indent`. */
function indentRaw(text: string, indent: string): string {
  let out = "";
  let depth = 0;
  let needIndent = false;
  let inString = false;
  let escaped = false;
  const newline = (d: number) => `\n${indent}${"  ".repeat(d)}`;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      out += escapeHtml(ch);
      if (escaped) escaped = false;
      else if (ch === "\\") escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") continue;
    if (needIndent && ch !== "]" && ch !== "}") {
      needIndent = false;
      depth++;
      out += newline(depth);
    }
    if (ch === '"') inString = true;
    if (ch === "{" || ch === "[") {
      needIndent = true;
      out += ch;
    } else if (ch === ",") out += `,${newline(depth)}`;
    else if (ch === ":") out += ": ";
    else if (ch === "}" || ch === "]") {
      if (needIndent) needIndent = false;
      else {
        depth--;
        out += newline(depth);
      }
      out += ch;
    } else out += ch;
  }
  return out;
}

/**
 * The members of a JSON object's text, each value as its own text, as Go's json.Unmarshal
 * into map[string]json.RawMessage gives them (a repeated key keeps its last value);
 * undefined when the text is not a JSON object.
 */
export function rawMembers(text: string): Map<string, RawJson> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
  const members = new Map<string, RawJson>();
  let i = text.indexOf("{") + 1;
  const skipSpace = () => {
    while (/\s/.test(text[i] ?? "")) i++;
  };
  /** The end of the string starting at i (just past its closing quote). */
  const stringEnd = (start: number) => {
    let j = start + 1;
    while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
    return j + 1;
  };
  for (;;) {
    skipSpace();
    if (text[i] === "}") break;
    const keyEnd = stringEnd(i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = keyEnd;
    skipSpace();
    i++; // the colon
    skipSpace();
    const start = i;
    let depth = 0;
    while (i < text.length) {
      const ch = text[i]!;
      if (ch === '"') {
        i = stringEnd(i);
        continue;
      }
      if (depth === 0 && (ch === "," || ch === "}")) break;
      if (ch === "{" || ch === "[") depth++;
      else if (ch === "}" || ch === "]") depth--;
      i++;
    }
    members.set(key, RawJson.of(text.slice(start, i).trim())!);
    skipSpace();
    if (text[i] === ",") i++;
    else break;
  }
  return members;
}

/** Appends `v` as Go's json.MarshalIndent writes it at `indent` to `out` (joined once at the end). */
function encodeInto(out: string[], v: Json, indent: string): void {
  if (v === null) out.push("null");
  else if (v instanceof RawJson) out.push(indentRaw(v.text, indent));
  else if (typeof v === "string") out.push(goString(v));
  else if (typeof v === "number" || typeof v === "boolean") out.push(String(v));
  else if (Array.isArray(v)) {
    if (v.length === 0) {
      out.push("[]");
      return;
    }
    const inner = `${indent}  `;
    for (let i = 0; i < v.length; i++) {
      out.push(i === 0 ? `[\n${inner}` : `,\n${inner}`);
      encodeInto(out, v[i]!, inner);
    }
    out.push(`\n${indent}]`);
  } else {
    const entries =
      v instanceof OrderedObject
        ? v.entries
        : Object.keys(v)
            .sort(compareStrings)
            .map((k) => [k, (v as Record<string, Json>)[k]!] as [string, Json]);
    if (entries.length === 0) {
      out.push("{}");
      return;
    }
    const inner = `${indent}  `;
    for (let i = 0; i < entries.length; i++) {
      const [k, x] = entries[i]!;
      out.push(`${i === 0 ? "{\n" : ",\n"}${inner}${goString(k)}: `);
      encodeInto(out, x, inner);
    }
    out.push(`\n${indent}}`);
  }
}

function encode(v: Json, indent: string): string {
  const out: string[] = [];
  encodeInto(out, v, indent);
  return out.join("");
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

/** buildx's Attest as JSON: its keys sorted, `disabled` a boolean (present only when true). */
function attestJson(e: Readonly<Record<string, string>>): Json {
  const out = record<Json>();
  for (const [k, v] of Object.entries(e)) out[k] = k === "disabled" ? v === "true" : v;
  return out;
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

/**
 * Attributes buildx prints with template markers escaped again (`${` as `$${`, `%{` as
 * `%%{`), so that the printed definition reads back as the same values.
 */
const escapedFields: ReadonlySet<string> = new Set([
  "annotations",
  "dockerfileInline",
  "labels",
  "args",
  "extraHosts",
]);

export function targetJson(t: Target): Json {
  const out: [string, Json][] = [];
  for (const spec of attributes) {
    let v = t[spec.field] as unknown;
    if (spec.field === "context" && typeof v === "string") v = printedContext(v);
    if (v === undefined) continue;
    // buildx's Target holds most strings as pointers: set to "" they still print.
    if (spec.field === "description" && v === "") continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (spec.kind === "stringMap" || spec.kind === "nullableMap") {
      if (Object.keys(v as object).length === 0) continue;
    }
    if (escapedFields.has(spec.field)) v = escapeTemplates(v);
    let json: Json;
    if (spec.kind === "ssh") json = (v as SshEntry[]).map(sshJson);
    else if (spec.kind === "secrets") json = (v as Record<string, string>[]).map(secretJson);
    else if (spec.kind === "attest") json = (v as Record<string, string>[]).map(attestJson);
    else json = v as Json;
    out.push([spec.name, json]);
  }
  return new OrderedObject(out);
}

export interface PrintInput {
  readonly groups: Readonly<Record<string, Group>>;
  readonly targets: Readonly<Record<string, Target>>;
}

/**
 * The resolved definition as a Go value: `group` (when any) and `target`, each target's entry
 * made by `entry` from its printed attributes (by default those attributes themselves).
 */
export function definitionJson(
  res: PrintInput,
  entry: (name: string, attributes: Json) => Json = (_, a) => a,
): Json {
  const groups = record<Json>();
  for (const [name, g] of Object.entries(res.groups)) {
    groups[name] = new OrderedObject([
      ...(g.description ? [["description", g.description] as [string, Json]] : []),
      ["targets", g.nullTargets && g.targets.length === 0 ? null : [...g.targets]],
    ]);
  }
  const targets = record<Json>();
  for (const [name, t] of Object.entries(res.targets)) targets[name] = entry(name, targetJson(t));
  return new OrderedObject([
    ...(Object.keys(groups).length > 0 ? [["group", groups] as [string, Json]] : []),
    ["target", targets],
  ]);
}

/** A Go value as json.MarshalIndent(v, "", "  ") prints it (no final newline). */
export function encodeGoJson(v: Json): string {
  return encode(v, "");
}

export function printBake(res: PrintInput): string {
  return encode(definitionJson(res), "");
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
