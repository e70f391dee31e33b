/**
 * `--set TARGET.KEY[.SUBKEY]=VALUE` overrides, with buildx's keys, target patterns
 * (`*`, `?`, `[...]`) and precedence. Several values for a list key accumulate;
 * overrides apply in the order given (deterministic, unlike buildx).
 */
import { didYouMean } from "../diagnostics/did-you-mean.js";
import {
  dedupeEntries,
  EntryError,
  parseAttest,
  parseCache,
  parseOutput,
  parseSecret,
  parseSsh,
} from "./entries.js";
import type { Entry, Target } from "./model.js";

export class OverrideError extends Error {
  override name = "OverrideError";
}

export const overrideKeys = [
  "context",
  "dockerfile",
  "args",
  "contexts",
  "labels",
  "tags",
  "cache-from",
  "cache-to",
  "target",
  "call",
  "secrets",
  "ssh",
  "platform",
  "output",
  "entitlements",
  "annotations",
  "attest",
  "no-cache",
  "no-cache-filter",
  "shm-size",
  "ulimits",
  "network",
  "pull",
  "push",
  "load",
  "extra-hosts",
] as const;

export interface Override {
  readonly pattern: string;
  readonly key: string;
  readonly subkey?: string;
  readonly value: string;
  /** The text as given, for errors. */
  readonly text: string;
}

export function parseOverride(text: string): Override {
  const eq = text.indexOf("=");
  if (eq < 0) throw new OverrideError(`invalid override "${text}": expected TARGET.KEY=VALUE`);
  const left = text.slice(0, eq);
  const dot = left.indexOf(".");
  const pattern = dot < 0 ? left : left.slice(0, dot);
  const rest = dot < 0 ? "" : left.slice(dot + 1);
  const dot2 = rest.indexOf(".");
  const key = dot2 < 0 ? rest : rest.slice(0, dot2);
  const subkey = dot2 < 0 ? undefined : rest.slice(dot2 + 1);
  if (!pattern || !key)
    throw new OverrideError(`invalid override "${text}": expected TARGET.KEY=VALUE`);
  if (!(overrideKeys as readonly string[]).includes(key)) {
    throw new OverrideError(
      `invalid override "${text}": unknown key "${key}"${didYouMean(key, overrideKeys)}`,
    );
  }
  if ((key === "args" || key === "contexts" || key === "labels") && !subkey) {
    throw new OverrideError(`invalid override "${text}": expecting ${key}.<name>=<value>`);
  }
  if (key === "extra-hosts" && !subkey) {
    throw new OverrideError(`invalid override "${text}": expecting extra-hosts.<hostname>=<ip>`);
  }
  return { pattern, key, ...(subkey ? { subkey } : {}), value: text.slice(eq + 1), text };
}

/** Go's path.Match for target names. */
export function matchPattern(pattern: string, name: string): boolean {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 1);
      if (close < 0) throw new OverrideError(`invalid target pattern "${pattern}": unclosed "["`);
      let cls = pattern.slice(i + 1, close);
      if (cls.startsWith("^")) cls = `!${cls.slice(1)}`;
      re += `[${cls.startsWith("!") ? `^${cls.slice(1)}` : cls}]`;
      i = close;
    } else if (c === "\\" && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`${re}$`).test(name);
}

function parseBool(value: string, key: string): boolean {
  if (/^(1|t|T|TRUE|true|True)$/.test(value)) return true;
  if (/^(0|f|F|FALSE|false|False)$/.test(value)) return false;
  throw new OverrideError(`invalid value ${value} for boolean key ${key}`);
}

function entries<T>(values: readonly string[], parse: (s: string) => T, key: string): T[] {
  try {
    return values.map(parse);
  } catch (err) {
    if (err instanceof EntryError)
      throw new OverrideError(`invalid value for ${key}: ${err.message}`);
    throw err;
  }
}

function setPush(outputs: Entry[] | undefined, push: boolean): Entry[] | undefined {
  if (!push) return outputs;
  let found = false;
  const out = (outputs ?? []).map((o) => {
    if (o.type === "image" || o.type === "registry") {
      found = true;
      return o.type === "image" ? { ...o, push: "true" } : o;
    }
    return o;
  });
  return found ? out : [...out, { type: "image", push: "true" }];
}

function setLoad(outputs: Entry[] | undefined, load: boolean): Entry[] | undefined {
  if (!load) return outputs;
  if ((outputs ?? []).some((o) => o.type === "docker")) return outputs;
  return [...(outputs ?? []), { type: "docker" }];
}

/** Applies the overrides that name this target, in order. */
export function applyOverrides(target: Target, overrides: readonly Override[]): void {
  const lists = new Map<string, string[]>();
  for (const o of overrides) {
    if (!matchPattern(o.pattern, target.name)) continue;
    const listKey = o.key;
    const acc = [...(lists.get(listKey) ?? []), o.value];
    lists.set(listKey, acc);
    const t = target as { -readonly [K in keyof Target]: Target[K] };
    switch (o.key) {
      case "context":
        t.context = o.value;
        break;
      case "dockerfile":
        t.dockerfile = o.value;
        break;
      case "args":
        t.args = { ...(t.args ?? {}), [o.subkey!]: o.value };
        break;
      case "labels":
        t.labels = { ...(t.labels ?? {}), [o.subkey!]: o.value };
        break;
      case "extra-hosts":
        t.extraHosts = { ...(t.extraHosts ?? {}), [o.subkey!]: o.value };
        break;
      case "contexts":
        t.contexts = { ...(t.contexts ?? {}), [o.subkey!]: o.value };
        break;
      case "tags":
        t.tags = acc;
        break;
      case "platform":
        t.platforms = acc.flatMap((v) => v.split(","));
        break;
      case "cache-from":
        t.cacheFrom = entries(acc, parseCache, o.key);
        break;
      case "cache-to":
        t.cacheTo = entries(acc, parseCache, o.key);
        break;
      case "target":
        t.target = o.value;
        break;
      case "call":
        t.call = o.value;
        break;
      case "secrets":
        t.secret = entries(acc, parseSecret, o.key);
        break;
      case "ssh":
        t.ssh = entries(acc, parseSsh, o.key);
        break;
      case "output":
        t.output = entries(acc, parseOutput, o.key);
        break;
      case "entitlements":
        t.entitlements = [...(t.entitlements ?? []), o.value];
        break;
      case "annotations":
        t.annotations = [...(t.annotations ?? []), o.value];
        break;
      case "attest":
        t.attest = dedupeEntries([...(t.attest ?? []), ...entries([o.value], parseAttest, o.key)]);
        break;
      case "no-cache":
        t.noCache = parseBool(o.value, o.key);
        break;
      case "no-cache-filter":
        t.noCacheFilter = acc;
        break;
      case "shm-size":
        t.shmSize = o.value;
        break;
      case "ulimits":
        t.ulimits = acc;
        break;
      case "network":
        t.network = o.value;
        break;
      case "pull":
        t.pull = parseBool(o.value, o.key);
        break;
      case "push":
        t.output = setPush(t.output, parseBool(o.value, o.key));
        break;
      case "load":
        t.output = setLoad(t.output, parseBool(o.value, o.key));
        break;
    }
  }
}
