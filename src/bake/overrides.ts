/**
 * `--set TARGET.KEY[.SUBKEY]=VALUE` overrides, with buildx's keys, target patterns
 * (`*`, `?`, `[...]`) and precedence. Several values for a list key accumulate;
 * overrides apply in the order given (deterministic, unlike buildx).
 */
import { didYouMean } from "../diagnostics/did-you-mean.js";
import { envValue } from "../eval/value.js";
import {
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
  /** `KEY+=VALUE`: append to the target's list instead of replacing it. */
  readonly append?: boolean;
  /** The text as given, for errors. */
  readonly text: string;
}

/**
 * Parses one --set. `TARGET.args.NAME` without a value takes NAME from the
 * environment, and is left out (undefined) when NAME is not set, as in buildx.
 */
export function parseOverride(
  text: string,
  env: Readonly<Record<string, string | undefined>> = {},
): Override | undefined {
  let eq = text.indexOf("=");
  let given = eq >= 0 ? text.slice(eq + 1) : undefined;
  if (eq < 0) {
    const parts = text.split(".");
    if (parts.length === 3 && parts[1] === "args" && parts[0] && parts[2]) {
      given = envValue(env, parts[2]);
      if (given === undefined) return undefined;
      eq = text.length;
    } else {
      throw new OverrideError(`invalid override "${text}": expected TARGET.KEY=VALUE`);
    }
  }
  let left = text.slice(0, eq);
  const append = left.endsWith("+");
  if (append) left = left.slice(0, -1);
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
  return {
    pattern,
    key,
    ...(subkey ? { subkey } : {}),
    value: given ?? "",
    ...(append ? { append } : {}),
    text,
  };
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

/** buildx's parseArrValue: empty texts are skipped (so `--set t.output=` clears the list). */
function entries<T>(values: readonly string[], parse: (s: string) => T, key: string): T[] {
  try {
    return values.filter((v) => v !== "").map(parse);
  } catch (err) {
    if (err instanceof EntryError)
      throw new OverrideError(`invalid value for ${key}: ${err.message}`);
    throw err;
  }
}

/** buildx's ParseCacheEntry: a text without "=" is a list of refs, each its own entry. */
function cacheEntries(values: readonly string[], key: string): Entry[] {
  const texts = values.flatMap((v) => (v !== "" && !v.includes("=") ? splitCsv(v) : [v]));
  return entries(texts, parseCache, key);
}

/** buildx's setPushOverride. */
function setPush(outputs: Entry[] | undefined, push: boolean): Entry[] | undefined {
  const list = outputs ?? [];
  if (!push) {
    return list
      .filter((o) => o.type !== "registry")
      .map((o) => (o.type === "image" ? { ...o, push: "false" } : o));
  }
  const onlyDocker = list.every((o) => o.type === "docker");
  const out = list.map((o) => (o.type === "image" ? { ...o, push: "true" } : o));
  return onlyDocker ? [...out, { type: "image", push: "true" }] : out;
}

/** buildx's setLoadOverride. */
function setLoad(outputs: Entry[] | undefined, load: boolean): Entry[] | undefined {
  if (!load) return outputs;
  for (const o of outputs ?? []) {
    if (o.type === "docker") {
      if (!o.dest) return outputs;
    } else if (o.type !== "image" && o.type !== "registry" && o.type !== "oci") return outputs;
  }
  return [...(outputs ?? []), { type: "docker" }];
}

/** List attributes whose --set values may be appended with +=. */
const listFields: Partial<Record<string, keyof Target>> = {
  tags: "tags",
  platform: "platforms",
  "cache-from": "cacheFrom",
  "cache-to": "cacheTo",
  secrets: "secret",
  ssh: "ssh",
  output: "output",
};

/** Applies the overrides that name this target, in order. */
export function applyOverrides(target: Target, overrides: readonly Override[]): void {
  const lists = new Map<string, string[]>();
  const originals = new Map<string, unknown>();
  for (const o of overrides) {
    if (!matchPattern(o.pattern, target.name)) continue;
    const listKey = o.key;
    const acc = [...(lists.get(listKey) ?? []), o.value];
    lists.set(listKey, acc);
    const t = target as { -readonly [K in keyof Target]: Target[K] };
    // As buildx: the values given for a key accumulate, and the last --set of the key
    // says whether they replace the target's list or are appended to it (+=).
    const field = listFields[o.key];
    if (field && !originals.has(o.key)) originals.set(o.key, t[field]);
    const before = <T>(): T[] =>
      o.append && field ? [...((originals.get(o.key) as T[] | undefined) ?? [])] : [];
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
        t.tags = [...before<string>(), ...acc];
        break;
      case "platform":
        t.platforms = [...before<string>(), ...acc.flatMap((v) => v.split(","))];
        break;
      case "cache-from":
        t.cacheFrom = removeDupesSwapping([...before<Entry>(), ...cacheEntries(acc, o.key)]);
        break;
      case "cache-to":
        t.cacheTo = removeDupesSwapping([...before<Entry>(), ...cacheEntries(acc, o.key)]);
        break;
      case "target":
        t.target = o.value;
        break;
      case "call":
        t.call = o.value;
        break;
      case "secrets":
        t.secret = dedupeEntries([...before<Entry>(), ...entries(acc, parseSecret, o.key)]);
        break;
      case "ssh":
        t.ssh = dedupeEntries([
          ...before<ReturnType<typeof parseSsh>>(),
          ...entries(acc, parseSsh, o.key),
        ]);
        break;
      case "output":
        t.output = removeDupesSwapping([...before<Entry>(), ...entries(acc, parseOutput, o.key)]);
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
