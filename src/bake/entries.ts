/**
 * The comma-separated `key=value` forms of outputs, caches, secrets, ssh and attest
 * entries, as buildx's buildflags parse them.
 */
import { record } from "../eval/value.js";
import type { Entry, SshEntry } from "./model.js";

/** Splits a CSV record (Go's encoding/csv: double quotes group, "" is a quote). */
export function splitCsv(text: string): string[] {
  const out: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      out.push(field);
      field = "";
    } else field += c;
  }
  out.push(field);
  return out;
}

export class EntryError extends Error {
  override name = "EntryError";
}

function keyValues(text: string, what: string): Record<string, string> {
  const out = record<string>();
  for (const field of splitCsv(text)) {
    const eq = field.indexOf("=");
    if (eq < 0) throw new EntryError(`invalid ${what} "${text}": "${field}" is not key=value`);
    out[field.slice(0, eq).trim().toLowerCase()] = field.slice(eq + 1);
  }
  return out;
}

/** An output entry: `type=local,dest=out`, a bare path (local), or `-` (tar to stdout). */
export function parseOutput(text: string): Entry {
  if (text === "-") return { type: "tar", dest: "-" };
  if (!text.includes("=")) return { type: "local", dest: text };
  const kv = keyValues(text, "output");
  if (!kv.type)
    throw new EntryError(`invalid output "${text}": type is required (e.g. type=local,dest=./out)`);
  return kv;
}

/** A cache entry: `type=registry,ref=...` or a bare reference (registry). */
export function parseCache(text: string): Entry {
  if (!text.includes("=")) return { type: "registry", ref: text };
  const kv = keyValues(text, "cache option");
  if (!kv.type) throw new EntryError(`invalid cache option "${text}": type is required`);
  return kv;
}

/** A secret: `id=x,src=path`, `id=x,env=VAR`, or `type=file|env,...`. */
export function parseSecret(text: string): Entry {
  const kv = keyValues(text, "secret");
  const out = record<string>();
  const type = kv.type;
  if (kv.id) out.id = kv.id;
  const src = kv.src ?? kv.source;
  if (type === "env") {
    out.env = kv.env ?? src ?? kv.id ?? "";
  } else {
    if (src !== undefined) out.src = src;
    if (kv.env !== undefined) out.env = kv.env;
  }
  if (!out.id) out.id = out.env ?? (out.src ? (out.src.split("/").pop() ?? "") : "");
  return out;
}

/** An ssh entry: `default`, `id`, `id=path[,path]`. */
export function parseSsh(text: string): SshEntry {
  const eq = text.indexOf("=");
  if (eq < 0) return { id: text };
  return {
    id: text.slice(0, eq),
    paths: text
      .slice(eq + 1)
      .split(",")
      .filter(Boolean),
  };
}

/** Go's strconv.ParseBool. */
export function goParseBool(text: string): boolean | undefined {
  if (/^(1|t|T|TRUE|true|True)$/.test(text)) return true;
  if (/^(0|f|F|FALSE|false|False)$/.test(text)) return false;
  return undefined;
}

/**
 * An attestation as buildx's Attest holds it: a type, `disabled` only when true (a
 * boolean, kept here as "true"), and the other keys as written.
 */
function attestEntry(type: string, disabled: string | undefined, rest: [string, string][]): Entry {
  const out = record<string>();
  for (const [k, v] of rest) out[k] = v;
  out.type = type;
  if (disabled !== undefined) {
    const b = goParseBool(disabled);
    if (b === undefined)
      throw new EntryError(`invalid value disabled=${disabled}: it must be true or false`);
    if (b) out.disabled = "true";
  }
  return out;
}

/** An attestation: `type=sbom`, `type=provenance,mode=max`, `type=sbom,disabled=true`. */
export function parseAttest(text: string): Entry {
  let type = "";
  let disabled: string | undefined;
  const rest: [string, string][] = [];
  for (const field of splitCsv(text)) {
    const eq = field.indexOf("=");
    if (eq < 0) throw new EntryError(`invalid attest "${text}": "${field}" is not key=value`);
    const key = field.slice(0, eq);
    const value = field.slice(eq + 1);
    const known = key.trim().toLowerCase();
    if (known === "type") type = value;
    else if (known === "disabled") disabled = value;
    else rest.push([key, value]);
  }
  if (type === "") throw new EntryError(`invalid attest "${text}": type is required`);
  return attestEntry(type, disabled, rest);
}

/** An attestation written as an object (`{ type = "sbom", disabled = true }`): no key is required. */
export function attestFromObject(o: Readonly<Record<string, string>>): Entry {
  const rest = Object.entries(o).filter(([k]) => k !== "type" && k !== "disabled");
  return attestEntry(o.type ?? "", o.disabled, rest);
}

/**
 * buildx's removeDupes for cache and output entries: from the second-to-last entry
 * back to the first, an entry that repeats a later one sends that later one's place
 * to the last entry, and the list loses its end. Entries may change order.
 */
export function removeDupesSwapping<T>(entries: readonly T[]): T[] {
  const s = [...entries];
  const keyOf = (e: T) => JSON.stringify(Object.entries(e as object).sort());
  let n = s.length;
  for (let i = n - 2; i >= 0; i--) {
    const k = keyOf(s[i]!);
    for (let j = i + 1; j < n; j++) {
      if (keyOf(s[j]!) === k) {
        s[j] = s[n - 1]!;
        n--;
        break;
      }
    }
  }
  return s.slice(0, n);
}

/** Removes duplicate entries (same keys and values), keeping the first. */
export function dedupeEntries<T>(entries: readonly T[]): T[] {
  const seen = new Set<string>();
  return entries.filter((e) => {
    const key = JSON.stringify(Object.entries(e as object).sort());
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function dedupeStrings(items: readonly string[]): string[] {
  return [...new Set(items)];
}
