/**
 * Compose files as bake files, as buildx reads them: every service with a `build`
 * section becomes a target (in the "default" group) and the file is handed on as the
 * equivalent docker-bake.json. Compose's `${VAR}` interpolation (with :-, -, :?, ?, :+,
 * + and $$) is applied first, from the environment given (the caller adds .env).
 */
import { posix } from "node:path";
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from "yaml";
import { DiagnosticError, error } from "../diagnostics/diagnostic.js";
import type { SourceFile } from "../diagnostics/source.js";
import { envValue } from "../eval/value.js";
import { goIntTag, goNumberString } from "./compose-numbers.js";
import { bytesSize, composeBool, composeTypeError, ramInBytes } from "./compose-types.js";
import { escapeTemplates } from "./template-escape.js";

export function isComposeFile(file: SourceFile): boolean {
  if (/\.ya?ml$/i.test(file.name)) return true;
  if (/\.(hcl|json)$/i.test(file.name) || file.name === "-") return false;
  // buildx tries a file of another name as compose first: a YAML map with services is one.
  if (!/^(services|include)\s*:/m.test(file.text)) return false;
  try {
    const doc = parseDocument(file.text, { prettyErrors: false });
    return doc.errors.length === 0 && isMap(doc.contents) && doc.contents.has("services");
  } catch {
    return false;
  }
}

type Env = Readonly<Record<string, string | undefined>>;
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

class ComposeError extends Error {}

/** Compose's variable interpolation in one string. */
export function interpolate(text: string, env: Env, where: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (next === "{") {
      let depth = 1;
      let j = i + 2;
      while (j < text.length && depth > 0) {
        if (text[j] === "{") depth++;
        else if (text[j] === "}") depth--;
        if (depth > 0) j++;
      }
      if (depth > 0) throw new ComposeError(`${where}: unclosed "\${" in "${text}"`);
      out += substitute(text.slice(i + 2, j), env, where);
      i = j + 1;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))?.[0];
    if (name) {
      out += envValue(env, name) ?? "";
      i += 1 + name.length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

function substitute(expr: string, env: Env, where: string): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(expr);
  if (!m) throw new ComposeError(`${where}: invalid interpolation "\${${expr}}"`);
  const [, name, op, rest] = m as unknown as [string, string, string | undefined, string];
  const value = envValue(env, name!);
  const emptyCounts = op?.startsWith(":");
  const unset = value === undefined || (emptyCounts && value === "");
  switch (op) {
    case undefined:
      return value ?? "";
    case ":-":
    case "-":
      return unset ? interpolate(rest, env, where) : value!;
    case ":?":
    case "?":
      if (unset)
        throw new ComposeError(
          `${where}: required variable ${name} is missing a value${rest ? `: ${interpolate(rest, env, where)}` : ""}`,
        );
      return value!;
    case ":+":
    case "+":
      return unset ? "" : interpolate(rest, env, where);
    default:
      return value ?? "";
  }
}

function interpolateAll(v: unknown, env: Env, where: string): Json {
  if (typeof v === "string") return interpolate(v, env, where);
  if (Array.isArray(v)) return v.map((x) => interpolateAll(x, env, where));
  if (v && typeof v === "object") {
    const o: { [k: string]: Json } = Object.create(null);
    for (const [k, x] of Object.entries(v)) o[k] = interpolateAll(x, env, `${where}.${k}`);
    return o;
  }
  return (v ?? null) as Json;
}

const isObj = (v: Json | undefined): v is { [k: string]: Json } =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function str(v: Json | undefined, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number") return goNumberString(v);
  if (typeof v === "boolean") return String(v);
  throw new ComposeError(`${where} must be a string`);
}

function strList(v: Json | undefined, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === "string") return v.split(/\s+/).filter(Boolean);
  if (!Array.isArray(v)) throw new ComposeError(`${where} must be a list of strings`);
  return v.map((x, i) => str(x, `${where}[${i}]`) ?? "");
}

/** A compose mapping written as a map or as a list of KEY=VALUE (KEY alone: null). */
function mapping(v: Json | undefined, where: string, sep = /=/): Record<string, string | null> {
  if (v === undefined || v === null) return {};
  if (Array.isArray(v)) {
    const out: Record<string, string | null> = Object.create(null);
    for (const [i, item] of v.entries()) {
      const s = str(item, `${where}[${i}]`) ?? "";
      const m = sep.exec(s);
      if (m) out[s.slice(0, m.index)] = s.slice(m.index + m[0].length);
      else out[s] = null;
    }
    return out;
  }
  if (!isObj(v)) throw new ComposeError(`${where} must be a map or a list of KEY=VALUE`);
  const out: Record<string, string | null> = Object.create(null);
  for (const [k, x] of Object.entries(v))
    out[k] = x === null ? null : (str(x, `${where}.${k}`) ?? null);
  return out;
}

/** buildx's target name for a service. */
export function sanitizeTargetName(name: string): string {
  return name.replace(/\./g, "_");
}

function namedContexts(m: Record<string, string | null>): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(m)) {
    if (v === null) continue;
    const dep = /^(service|target):(.+)$/.exec(v);
    out[k] = dep ? `target:${sanitizeTargetName(dep[2]!)}` : v;
  }
  return out;
}

/**
 * Build ulimits. buildx formats each one from its soft and hard limits only, so the
 * short form (`nproc: 65535`, a single value) comes out as `nproc=0:0`: kept as buildx does.
 */
function ulimits(v: Json | undefined, where: string): string[] {
  if (!isObj(v)) return [];
  // buildx reads only soft and hard: the short form (a single number) comes out as NAME=0:0.
  // It lists them in Go's map order, which changes between runs; the file's order is the
  // one it prints most often.
  return Object.entries(v).map(([name, x]) => {
    if (typeof x === "number") return `${name}=0:0`;
    if (isObj(x))
      return `${name}=${str(x.soft, `${where}.${name}.soft`)}:${str(x.hard, `${where}.${name}.hard`)}`;
    throw new ComposeError(`${where}.${name} must be a number or {soft, hard}`);
  });
}

/** A compose boolean: true, or a string compose reads as true ("true", "yes", "on", "y", any case). */
function flag(v: Json | undefined): boolean {
  return v === true || (typeof v === "string" && composeBool(v) === true);
}

/** shm_size as buildx prints it: bytes in binary units (64MiB); 0 or less is no size. */
function shmSize(v: Json | undefined): string | undefined {
  const bytes = typeof v === "number" ? v : typeof v === "string" ? ramInBytes(v) : undefined;
  return bytes !== undefined && bytes > 0 ? bytesSize(bytes) : undefined;
}

/** The keys the compose specification allows under a service's `build` (and x-* extensions). */
const buildKeys = new Set([
  "context",
  "dockerfile",
  "dockerfile_inline",
  "entitlements",
  "args",
  "ssh",
  "labels",
  "cache_from",
  "cache_to",
  "no_cache",
  "additional_contexts",
  "network",
  "provenance",
  "sbom",
  "pull",
  "target",
  "shm_size",
  "extra_hosts",
  "isolation",
  "privileged",
  "secrets",
  "tags",
  "ulimits",
  "platforms",
]);

function serviceTarget(
  name: string,
  service: { [k: string]: Json },
  topSecrets: { [k: string]: Json },
  env: Env,
): { [k: string]: Json } {
  const where = `service "${name}"`;
  const b = typeof service.build === "string" ? { context: service.build } : service.build;
  if (!isObj(b)) throw new ComposeError(`${where}: build must be a path or a map`);
  for (const key of Object.keys(b)) {
    if (!buildKeys.has(key) && !key.startsWith("x-"))
      throw new ComposeError(
        `services.${name}.build additional properties '${key}' not allowed (the compose specification's build keys: ${[...buildKeys].join(", ")})`,
      );
  }
  const t: { [k: string]: Json } = Object.create(null);
  const set = (key: string, v: Json | undefined) => {
    if (v === undefined || v === null) return;
    if (Array.isArray(v) && v.length === 0) return;
    if (isObj(v) && Object.keys(v).length === 0) return;
    t[key] = v;
  };
  set("context", str(b.context, `${where}: build.context`));
  set("dockerfile", str(b.dockerfile, `${where}: build.dockerfile`));
  set(
    "dockerfile-inline",
    str(b.dockerfile_inline, `${where}: build.dockerfile_inline`) || undefined,
  );
  set(
    "contexts",
    namedContexts(mapping(b.additional_contexts, `${where}: build.additional_contexts`)),
  );
  // Args without a value come from the service's environment, then the process's.
  const serviceEnv = mapping(service.environment, `${where}: environment`);
  const args: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(mapping(b.args, `${where}: build.args`))) {
    const value = v ?? serviceEnv[k] ?? envValue(env, k);
    if (value !== undefined && value !== null) args[k] = value;
  }
  set("args", args);
  const labels: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(mapping(b.labels, `${where}: build.labels`)))
    labels[k] = v ?? "";
  set("labels", labels);
  let tags = strList(b.tags, `${where}: build.tags`);
  set("target", str(b.target, `${where}: build.target`) || undefined);
  set("platforms", strList(b.platforms, `${where}: build.platforms`));
  set("cache-from", strList(b.cache_from, `${where}: build.cache_from`));
  set("cache-to", strList(b.cache_to, `${where}: build.cache_to`));
  set("network", str(b.network, `${where}: build.network`) || undefined);
  set("shm-size", shmSize(b.shm_size));
  set("ulimits", ulimits(b.ulimits, `${where}: build.ulimits`));
  // A host given several addresses (a list) comes out as one comma-separated value.
  const hostMap = isObj(b.extra_hosts)
    ? Object.fromEntries(
        Object.entries(b.extra_hosts).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : v]),
      )
    : b.extra_hosts;
  const hosts = mapping(hostMap, `${where}: build.extra_hosts`, /[=:]/);
  set("extra-hosts", Object.fromEntries(Object.entries(hosts).filter(([, v]) => v !== null)));
  const ssh = Array.isArray(b.ssh)
    ? strList(b.ssh, `${where}: build.ssh`)
    : Object.entries(mapping(b.ssh, `${where}: build.ssh`)).map(([k, v]) => (v ? `${k}=${v}` : k));
  set("ssh", ssh.sort());
  const secrets: string[] = [];
  for (const [i, s] of (Array.isArray(b.secrets) ? b.secrets : []).entries()) {
    const source =
      typeof s === "string"
        ? s
        : isObj(s)
          ? str(s.source, `${where}: build.secrets[${i}].source`)
          : undefined;
    if (!source) throw new ComposeError(`${where}: build.secrets[${i}] needs a source`);
    const top = topSecrets[source];
    if (!isObj(top))
      throw new ComposeError(
        `${where}: secret "${source}" is not defined under the top-level secrets`,
      );
    if (top.external === true)
      throw new ComposeError(`${where}: external secret "${source}" is not supported`);
    const file = str(top.file, `secrets.${source}.file`);
    const environment = str(top.environment, `secrets.${source}.environment`);
    secrets.push(
      `id=${source}${file ? `,src=${file}` : ""}${environment ? `,env=${environment}` : ""}`,
    );
  }
  set("secret", secrets);
  const attest: string[] = [];
  for (const kind of ["sbom", "provenance"] as const) {
    const v = b[kind];
    if (v === undefined || v === null) continue;
    if (v === true || v === "true") attest.push(`type=${kind}`);
    else if (v === false || v === "false") attest.push(`type=${kind},disabled=true`);
    else attest.push(`type=${kind},${str(v, `${where}: build.${kind}`)}`);
  }
  set("attest", attest);
  if (flag(b.no_cache)) t["no-cache"] = true;
  if (flag(b.pull)) t.pull = true;
  // x-bake: fields compose's build section lacks.
  const x = b["x-bake"];
  if (isObj(x)) {
    const xw = `${where}: build.x-bake`;
    tags = [...new Set([...tags, ...strList(x.tags, `${xw}.tags`)])];
    const append = (key: string, v: string[]) => {
      if (v.length === 0) return;
      t[key] = [...new Set([...((t[key] as string[] | undefined) ?? []), ...v])];
    };
    append("cache-from", strList(x["cache-from"], `${xw}.cache-from`));
    append("cache-to", strList(x["cache-to"], `${xw}.cache-to`));
    append("secret", strList(x.secret, `${xw}.secret`));
    append("ssh", strList(x.ssh, `${xw}.ssh`));
    append("platforms", strList(x.platforms, `${xw}.platforms`));
    append("output", strList(x.output, `${xw}.output`));
    append("no-cache-filter", strList(x["no-cache-filter"], `${xw}.no-cache-filter`));
    if (typeof x.pull === "boolean") t.pull = x.pull;
    if (typeof x["no-cache"] === "boolean") t["no-cache"] = x["no-cache"];
    const contexts = namedContexts(mapping(x.contexts, `${xw}.contexts`));
    if (Object.keys(contexts).length > 0)
      t.contexts = { ...((t.contexts as Record<string, string>) ?? {}), ...contexts };
  }
  const image = str(service.image, `${where}: image`);
  if (tags.length === 0 && image) tags = [image];
  set("tags", tags);
  return t;
}

/**
 * Compose's reading of a volume in its short syntax (`source:target:options`), kept only
 * for the errors it raises: buildx refuses the file when one fails. A one-letter section
 * followed by ":" is a Windows drive and stays part of the path; specs of one or two bytes
 * are taken whole.
 */
export function volumeSpecError(spec: string): string | undefined {
  const bytes = Buffer.byteLength(spec, "utf8");
  if (bytes === 0) return "invalid empty volume spec";
  if (bytes <= 2) return undefined;
  let source: string | undefined;
  let target: string | undefined;
  let buffer: string[] = [];
  const chars = [...Array.from(spec), null];
  for (const c of chars) {
    if (c === ":" && buffer.length === 1 && /^\p{L}$/u.test(buffer[0]!)) {
      buffer.push(c);
      continue;
    }
    if (c !== ":" && c !== null) {
      buffer.push(c);
      continue;
    }
    const section = buffer.join("");
    buffer = [];
    if (section === "") return "empty section between colons";
    if (source === undefined && c === null) target = section;
    else if (source === undefined) source = section;
    else if (target === undefined) target = section;
    else if (c === ":") return "too many colons";
  }
  return undefined;
}

/**
 * The short-syntax volume specs of every service, parsed as compose parses them once
 * the types are checked (see composeTypeError).
 */
function checkVolumeSpecs(services: { [k: string]: Json }): void {
  for (const s of Object.values(services)) {
    if (!isObj(s) || !Array.isArray(s.volumes)) continue;
    for (const v of s.volumes) {
      const problem = typeof v === "string" ? volumeSpecError(v) : undefined;
      if (problem) throw new ComposeError(`invalid spec: ${v}: ${problem}`);
    }
  }
}

/** What compose checks of every service when it loads the project. */
function checkService(
  name: string,
  service: { [k: string]: Json },
  fileExists: (path: string) => boolean,
): void {
  const missing = (v: Json | undefined) => v === undefined || v === null;
  // An image that interpolates to "" (an unset variable) is no image, as compose sees it.
  if ((missing(service.image) || service.image === "") && missing(service.build))
    throw new ComposeError(
      `service "${name}" has neither an image nor a build context specified: invalid compose project`,
    );
  const envFiles = service.env_file;
  const list = Array.isArray(envFiles) ? envFiles : missing(envFiles) ? [] : [envFiles!];
  for (const [i, f] of list.entries()) {
    const path = typeof f === "string" ? f : isObj(f) ? f.path : undefined;
    if (typeof path !== "string")
      throw new ComposeError(`services.${name}.env_file.${i} must be a string`);
    const required = !(isObj(f) && (f.required === false || f.required === "false"));
    if (required && !fileExists(path)) throw new ComposeError(`env file ${path} not found`);
  }
}

function yamlError(file: SourceFile, doc: Document.Parsed): never {
  const e = doc.errors[0]!;
  throw new DiagnosticError(
    error(e.message.split("\n")[0]!, {
      file,
      start: e.pos[0],
      end: Math.max(e.pos[1], e.pos[0] + 1),
    }),
  );
}

/** A compose file read and interpolated: its top-level map. */
function readCompose(file: SourceFile, env: Env): { [k: string]: Json } {
  const doc = parseDocument(file.text, {
    prettyErrors: false,
    uniqueKeys: true,
    merge: true,
    // Integers in the forms Go's YAML reads (0755 as octal, 1_000) before the core schema's.
    customTags: (tags) => [goIntTag, ...tags],
  });
  if (doc.errors.length > 0) yamlError(file, doc);
  const root = doc.contents;
  if (!isMap(root) && !(isScalar(root) && root.value === null))
    throw new DiagnosticError(error(`${file.name}: a compose file is a map with "services"`));
  // An alias of its own ancestor (directly or through a `<<` merge) never ends: the yaml
  // library would recurse until the stack overflows.
  const cycle = aliasCycle(doc);
  if (cycle !== undefined)
    throw new DiagnosticError(
      error(
        `${file.name}: cycle detected: the node at ${cycle} is an alias of a node that contains it`,
      ),
    );
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    // The yaml library refuses alias "bombs" (aliases that expand exponentially).
    throw new DiagnosticError(
      error(`${file.name}: cannot read the file: ${(err as Error).message}`),
    );
  }
  const raw = interpolateAll(data, env, file.name);
  return isObj(raw) ? raw : {};
}

/** A service's build as a map (`build: ./dir` is `build: { context: ./dir }`). */
function buildMap(v: Json | undefined): Json | undefined {
  return typeof v === "string" ? { context: v } : v;
}

/**
 * One value over another as compose merges project files: maps key by key, lists
 * joined without repeats, anything else replaced.
 */
function mergeCompose(base: Json | undefined, over: Json): Json {
  if (isObj(base) && isObj(over)) {
    const out: { [k: string]: Json } = Object.create(null);
    for (const [k, v] of Object.entries(base)) out[k] = v;
    for (const [k, v] of Object.entries(over)) {
      const b = k === "build" ? buildMap(out[k]) : out[k];
      out[k] = mergeCompose(b, k === "build" ? buildMap(v)! : v);
    }
    return out;
  }
  if (Array.isArray(base) && Array.isArray(over)) {
    const seen = new Set<string>();
    return [...base, ...over].filter((x) => {
      const key = JSON.stringify(x);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
  return over;
}

/**
 * Compose files as the equivalent docker-bake.json: several files form one project
 * (a later file adds services or keys to earlier ones), as buildx loads them.
 */
export function composeFilesToBake(
  files: readonly SourceFile[],
  env: Env,
  fileExists: (path: string) => boolean = () => true,
  /** Reads a file that a compose file includes (undefined when it does not exist). */
  readFile: (path: string) => string | undefined = () => undefined,
): SourceFile {
  const first = files[0]!;
  let where = first.name;
  try {
    let project: { [k: string]: Json } = {};
    const reading: string[] = [];
    const load = (file: SourceFile, included: boolean): void => {
      if (reading.includes(file.name) || reading.length > 16)
        throw new ComposeError(`include cycle: ${[...reading, file.name].join(" -> ")}`);
      reading.push(file.name);
      where = file.name;
      const raw = readCompose(file, env);
      // `include:` brings in other compose files first (their paths relative to this one).
      for (const path of includePaths(raw.include, file.name)) {
        const text = readFile(path);
        if (text === undefined) throw new ComposeError(`open ${path}: no such file or directory`);
        load({ name: path, text }, true);
      }
      where = file.name;
      if (!included && (!isObj(raw.services) || Object.keys(raw.services).length === 0))
        throw new ComposeError(`${file.name} has no services`);
      if (included) rebaseContexts(raw.services, file.name);
      const { include: _include, ...rest } = raw;
      project = mergeCompose(project, rest) as { [k: string]: Json };
      reading.pop();
    };
    for (const file of files) load(file, false);
    where = first.name;
    const services = project.services as { [k: string]: Json };
    const topSecrets = isObj(project.secrets) ? project.secrets : {};
    const targets: { [k: string]: Json } = Object.create(null);
    // Short volume specs (SRC:DST[:MODE]) of every service are parsed when compose loads the project.
    const typeError = composeTypeError(services);
    if (typeError) throw new ComposeError(typeError);
    checkVolumeSpecs(services);
    for (const [name, s] of Object.entries(services)) {
      const service = isObj(s) ? s : {};
      checkService(name, service, fileExists);
      if (service.build === undefined || service.build === null) continue;
      const targetName = sanitizeTargetName(name);
      if (!/^[a-zA-Z0-9_-]+$/.test(targetName))
        throw new ComposeError(
          `invalid service name "${name}": use letters, digits, "_", "-" and "."`,
        );
      // Services whose names differ only by "." and "_" become one target, merged.
      const target = serviceTarget(name, service, topSecrets, env);
      targets[targetName] =
        targetName in targets ? mergeCompose(targets[targetName], target) : target;
    }
    const bake: { [k: string]: Json } = {
      // No buildable service: buildx's default group holds a nil list (printed as null).
      group: {
        default: { targets: Object.keys(targets).length > 0 ? Object.keys(targets) : null },
      },
      // Template markers in values and map keys (an extra host's name, an arg's name) must
      // stay literal once the file is read as bake JSON.
      target: escapeTemplates(targets, { keys: true }),
    };
    return { name: `${first.name}.json`, text: `${JSON.stringify(bake, null, 2)}\n` };
  } catch (err) {
    if (err instanceof ComposeError) throw new DiagnosticError(error(`${where}: ${err.message}`));
    throw err;
  }
}

/**
 * The path of an alias that names one of its own ancestors, or undefined. Walks the
 * document's nodes without recursion, following each alias once to its anchored node.
 */
export function aliasCycle(doc: Document): string | undefined {
  // A `<<` merge key is a symbol in the yaml library's nodes.
  const keyText = (k: unknown) => (typeof k === "symbol" ? (k.description ?? "?") : String(k));
  type Frame = { node: unknown; path: string; children: [unknown, string][]; next: number };
  const open = new Set<unknown>();
  const frames: Frame[] = [];
  const childrenOf = (node: unknown, path: string): [unknown, string][] => {
    const at = (key: string) => (path === "" ? key : `${path}.${key}`);
    if (isMap(node))
      return node.items
        .filter(isPair)
        .map((p) => [p.value, at(isScalar(p.key) ? keyText(p.key.value) : "?")]);
    if (isSeq(node)) return node.items.map((item, i) => [item, at(String(i))]);
    return [];
  };
  const enter = (node: unknown, path: string) => {
    open.add(node);
    frames.push({ node, path, children: childrenOf(node, path), next: 0 });
  };
  enter(doc.contents, "");
  while (frames.length > 0) {
    const top = frames[frames.length - 1]!;
    if (top.next === top.children.length) {
      open.delete(top.node);
      frames.pop();
      continue;
    }
    const [child, path] = top.children[top.next++]!;
    if (isAlias(child)) {
      if (open.has(child.resolve(doc))) return path;
      continue;
    }
    if (isMap(child) || isSeq(child)) enter(child, path);
  }
  return undefined;
}

/** An included file's build contexts are relative to its own folder. */
function rebaseContexts(services: Json | undefined, from: string): void {
  const dir = posix.dirname(from);
  if (!isObj(services) || dir === ".") return;
  for (const s of Object.values(services)) {
    if (!isObj(s) || s.build === undefined || s.build === null) continue;
    const build = buildMap(s.build);
    if (!isObj(build)) continue;
    const context = typeof build.context === "string" ? build.context : ".";
    if (!context.startsWith("/") && !/^[a-z][a-z0-9+.-]*:\/\/|^git@/i.test(context))
      build.context = posix.normalize(posix.join(dir, context));
    s.build = build;
  }
}

/** The files an `include:` list names: strings, or maps with a path (one or a list). */
function includePaths(include: Json | undefined, from: string): string[] {
  if (include === undefined || include === null) return [];
  if (!Array.isArray(include)) throw new ComposeError("include must be a list");
  const dir = from.includes("/") ? from.slice(0, from.lastIndexOf("/") + 1) : "";
  return include.flatMap((entry, i) => {
    const path = isObj(entry) ? entry.path : entry;
    const paths = Array.isArray(path) ? path : [path];
    return paths.map((p) => {
      if (typeof p !== "string") throw new ComposeError(`include.${i} must name a file`);
      return p.startsWith("/") ? p : `${dir}${p}`;
    });
  });
}

/** One compose file as the equivalent docker-bake.json. */
export function composeToBake(
  file: SourceFile,
  env: Env,
  fileExists: (path: string) => boolean = () => true,
): SourceFile {
  return composeFilesToBake([file], env, fileExists);
}

/** A .env file's KEY=VALUE lines (comments, `export`, single and double quotes). */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    const q = value[0];
    if ((q === '"' || q === "'") && value.lastIndexOf(q) > 0) {
      value = value.slice(1, value.lastIndexOf(q));
      if (q === '"') value = value.replace(/\\n/g, "\n").replace(/\\(["\\])/g, "$1");
    } else {
      value = value.replace(/\s+#.*$/, "").trim();
    }
    out[m[1]!] = value;
  }
  return out;
}
