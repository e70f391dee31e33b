/**
 * The type checks compose-go makes of a service's keys before buildx sees the project,
 * with the messages it gives. They come in the order compose-go runs them: its
 * transforms (list and map forms), then the compose specification's schema, then the
 * service keys read later (environment, labels, ports), then decoding into typed fields
 * (booleans and sizes written as strings, extra hosts).
 */

import { isIP } from "node:net";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: Json | undefined): v is Obj =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The Go type compose-go decodes a YAML value to, as its errors name it. */
export function goTypeName(v: Json): string {
  if (v === null) return "<nil>";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") {
    if (!Number.isInteger(v)) return "float64";
    return v > 2 ** 63 - 1 ? "uint64" : "int";
  }
  if (Array.isArray(v)) return "[]interface {}";
  return typeof v === "string" ? "string" : "map[string]interface {}";
}

const isScalar = (v: Json) => v === null || typeof v !== "object";

/** A map or a list of KEY=VALUE strings (args, labels, environment). */
function mappingForm(v: Json, at: string): string | undefined {
  if (Array.isArray(v)) {
    const i = v.findIndex((x) => typeof x !== "string");
    return i < 0 ? undefined : `${at}.[${i}]: unexpected type ${goTypeName(v[i]!)}`;
  }
  return isObj(v) ? undefined : `${at} must be a mapping`;
}

/** Map values of a mapping must be scalars. */
function mappingValues(v: Json, at: string): string | undefined {
  if (!isObj(v)) return undefined;
  const bad = Object.keys(v).find((k) => !isScalar(v[k]!));
  return bad === undefined ? undefined : `${at}.${bad} must be a boolean, null, number or string`;
}

/** compose-go's transforms of a build section. */
function buildTransformError(b: Obj, at: string): string | undefined {
  const has = (k: string) => k in b;
  for (const key of ["args", "labels"]) {
    if (has(key)) {
      const e = mappingForm(b[key]!, `${at}.${key}`);
      if (e) return e;
    }
  }
  if (has("extra_hosts") && !Array.isArray(b.extra_hosts) && !isObj(b.extra_hosts!))
    return `${at}.extra_hosts must be a mapping`;
  if (Array.isArray(b.tags)) {
    const i = b.tags.findIndex((x) => typeof x !== "string");
    if (i >= 0) return `${at}.tags.[${i}]: unexpected type ${goTypeName(b.tags[i]!)}`;
  }
  if (has("additional_contexts")) {
    const c = b.additional_contexts!;
    if (Array.isArray(c)) {
      const i = c.findIndex((x) => typeof x !== "string");
      if (i >= 0) return `${at}.additional_contexts.[${i}]: unexpected type ${goTypeName(c[i]!)}`;
      const plain = c.find((x) => !(x as string).includes("="));
      if (plain !== undefined)
        return `${at}.additional_contexts: invalid value ${plain as string}, expected key=value`;
    } else if (!isObj(c)) {
      return `${at}.additional_contexts: invalid type ${goTypeName(c)}`;
    } else {
      const bad = Object.keys(c).find((k) => typeof c[k] !== "string");
      if (bad !== undefined) return `${at}.additional_contexts.${bad} must be a string`;
    }
  }
  if (has("ssh")) {
    const s = b.ssh!;
    if (Array.isArray(s)) {
      const bad = s.find((x) => typeof x !== "string");
      if (bad !== undefined) return `invalid ssh key type ${goTypeName(bad)}`;
    } else if (!isObj(s)) {
      return `${at}.ssh: invalid type ${goTypeName(s)} for ssh`;
    }
  }
  const secrets = b.secrets;
  if (Array.isArray(secrets)) {
    const bad = secrets.find((x) => typeof x !== "string" && !isObj(x));
    if (bad !== undefined) return `${at}.secrets.[]: unsupported type ${goTypeName(bad)}`;
  } else if (isObj(secrets)) {
    const bad = Object.keys(secrets).find(
      (k) => typeof secrets[k] !== "string" && !isObj(secrets[k]!),
    );
    if (bad !== undefined)
      return `${at}.secrets.${bad}: unsupported type ${goTypeName(secrets[bad]!)}`;
  }
  if (has("ulimits")) {
    const u = b.ulimits!;
    // A list is no mapping; its entries are read first, where only integers and maps pass.
    const item = Array.isArray(u) ? u.find((x) => !Number.isInteger(x) && !isObj(x)) : undefined;
    if (item !== undefined)
      return `${at}.ulimits.[]: invalid type ${goTypeName(item)} for external`;
    if (!isObj(u)) return `${at}.ulimits must be a mapping`;
    const bad = Object.keys(u).find((k) => typeof u[k] !== "number" && !isObj(u[k]!));
    if (bad !== undefined)
      return `${at}.ulimits.${bad}: invalid type ${goTypeName(u[bad]!)} for external`;
  }
  return undefined;
}

/** The compose specification's schema for a build section. */
function buildSchemaError(b: Obj, at: string): string | undefined {
  const has = (k: string) => k in b;
  for (const key of ["context", "dockerfile", "dockerfile_inline", "target", "network"]) {
    if (has(key) && typeof b[key] !== "string") return `${at}.${key} must be a string`;
  }
  for (const key of ["args", "labels"]) {
    const e = mappingValues(b[key] ?? null, `${at}.${key}`);
    if (e) return e;
  }
  if (has("ssh")) {
    const e = mappingValues(b.ssh!, `${at}.ssh`);
    if (e) return e;
  }
  for (const key of ["tags", "platforms", "cache_from", "cache_to", "secrets"]) {
    if (has(key) && !Array.isArray(b[key])) return `${at}.${key} must be a array`;
  }
  for (const key of ["platforms", "cache_from", "cache_to", "extra_hosts"]) {
    const list = b[key];
    if (!Array.isArray(list)) continue;
    const i = list.findIndex((x) => typeof x !== "string");
    if (i >= 0) return `${at}.${key}.${i} must be a string`;
  }
  if (isObj(b.extra_hosts ?? null)) {
    const hosts = b.extra_hosts as Obj;
    const bad = Object.keys(hosts).find(
      (k) => typeof hosts[k] !== "string" && !Array.isArray(hosts[k]),
    );
    if (bad !== undefined) return `${at}.extra_hosts.${bad} must be a string`;
  }
  if (Array.isArray(b.secrets)) {
    const allowed = new Set(["source", "target", "uid", "gid", "mode"]);
    for (const [i, s] of b.secrets.entries()) {
      if (!isObj(s)) continue;
      const bad = Object.keys(s).find((k) => !allowed.has(k) && !k.startsWith("x-"));
      if (bad !== undefined) return `${at}.secrets.${i} additional properties '${bad}' not allowed`;
    }
  }
  for (const key of ["no_cache", "pull", "privileged"]) {
    if (has(key) && typeof b[key] !== "boolean" && typeof b[key] !== "string")
      return `${at}.${key} must be a boolean or string`;
  }
  const shm = b.shm_size;
  if (has("shm_size") && typeof shm !== "string" && !Number.isInteger(shm))
    return `${at}.shm_size must be a integer or string`;
  if (isObj(b.ulimits ?? null)) {
    const u = b.ulimits as Obj;
    for (const [name, v] of Object.entries(u)) {
      if (!isObj(v)) continue;
      const extra = Object.keys(v).find((k) => k !== "soft" && k !== "hard");
      if (extra !== undefined)
        return `${at}.ulimits.${name} additional properties '${extra}' not allowed`;
      const limit = (x: Json | undefined) =>
        x === undefined || typeof x === "string" || Number.isInteger(x);
      // Both limits are required: a map with one of them is neither form.
      if (v.soft === undefined || v.hard === undefined || !limit(v.soft) || !limit(v.hard))
        return `${at}.ulimits.${name} must be a integer or string`;
    }
  }
  return undefined;
}

/** A port or a port range (80, 8000-8010) as Docker reads one: [start, end], or undefined. */
function portRange(text: string): [number, number] | undefined {
  const port = (p: string) => (/^\d+$/.test(p) && Number(p) <= 65535 ? Number(p) : undefined);
  const dash = text.indexOf("-");
  if (dash < 0) {
    const p = port(text);
    return p === undefined ? undefined : [p, p];
  }
  const start = port(text.slice(0, dash));
  const end = port(text.slice(dash + 1));
  return start === undefined || end === undefined || end < start ? undefined : [start, end];
}

/**
 * A port in the short syntax, [[IP:]HOST:]CONTAINER[/PROTOCOL], checked as Docker parses
 * it: the error, "zero" when the container port is 0 (compose: no target), or undefined.
 */
export function portSpecError(spec: string): string | undefined {
  const parts = spec.split(":");
  const n = parts.length;
  const ip = n > 2 ? parts.slice(0, n - 2).join(":") : "";
  const host = n > 1 ? parts[n - 2]! : "";
  const slash = parts[n - 1]!.indexOf("/");
  const container = slash < 0 ? parts[n - 1]! : parts[n - 1]!.slice(0, slash);
  const proto = slash < 0 ? "tcp" : parts[n - 1]!.slice(slash + 1);
  const bare = ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip;
  // An IPv6 address is written in brackets: bare, its colons split it.
  if (ip.includes(":") && bare === ip)
    return `Invalid ip address ${ip}: address ${ip}:: too many colons in address`;
  if (ip !== "" && isIP(bare) === 0) return `Invalid ip address: ${bare}`;
  if (container === "") return `No port specified: ${spec}<empty>`;
  const inside = portRange(container);
  if (!inside) return `Invalid containerPort: ${container}`;
  const outside = host === "" ? undefined : portRange(host);
  if (host !== "" && !outside) return `Invalid hostPort: ${host}`;
  if (outside && inside[1] !== inside[0] && outside[1] - outside[0] !== inside[1] - inside[0])
    return `Invalid ranges specified for container and host Ports: ${container} and ${host}`;
  if (!["tcp", "udp", "sctp"].includes(proto.toLowerCase())) return `Invalid proto: ${proto}`;
  return inside[0] === 0 && inside[1] === 0 ? "zero" : undefined;
}

/** compose-go's transforms of a service's own keys, in the order it reaches them. */
function serviceTransformError(name: string, s: Obj): string | undefined {
  const at = `services.${name}`;
  if ("depends_on" in s) {
    const d = s.depends_on!;
    if (Array.isArray(d)) {
      const i = d.findIndex((x) => typeof x !== "string");
      if (i >= 0) return `${at}.depends_on.[${i}]: unexpected type ${goTypeName(d[i]!)}`;
    } else if (!isObj(d)) {
      return `${at}.depends_on: invalid type ${goTypeName(d)} for depend_on`;
    } else {
      const bad = Object.keys(d).find((k) => !isObj(d[k]!));
      if (bad !== undefined)
        return `${at}.depends_on.${bad}: unsupported value ${JSON.stringify(d[bad])} (give a map such as {condition: service_started})`;
    }
  }
  if ("env_file" in s) {
    const f = s.env_file!;
    if (Array.isArray(f)) {
      const i = f.findIndex((x) => isObj(x) && !("path" in x));
      if (i >= 0) return `environment path attribute ${at}.env_file.[${i}] is missing`;
    } else if (typeof f !== "string") {
      return `${at}.env_file: invalid type ${goTypeName(f)} for env_file`;
    }
  }
  if (Array.isArray(s.environment)) {
    const e = mappingForm(s.environment, `${at}.environment`);
    if (e) return e;
  }
  if (Array.isArray(s.labels)) {
    const i = s.labels.findIndex((x) => typeof x !== "string");
    if (i >= 0) return `${at}.labels.[${i}]: unexpected type ${goTypeName(s.labels[i]!)}`;
  }
  if ("ports" in s) {
    const ports = s.ports!;
    if (!Array.isArray(ports)) return `${at}.ports: invalid type ${goTypeName(ports)} for port`;
    for (const [i, p] of ports.entries()) {
      const missing = `service ports ${at}.ports.[${i}] is missing a target port`;
      if (typeof p === "number" || typeof p === "string") {
        const e = portSpecError(String(p));
        if (e === "zero") return missing;
        if (e) return e;
      } else if (isObj(p)) {
        const target = p.target;
        if (typeof target === "string" && !/^[+-]?\d+$/.test(target))
          return `error while interpolating ${at}.ports.[].target: failed to cast to expected type: strconv.Atoi: parsing ${JSON.stringify(target)}: invalid syntax`;
        if (target === undefined || target === null) return missing;
      } else {
        return `${at}.ports: invalid type ${goTypeName(p)} for port`;
      }
    }
  }
  if (Array.isArray(s.volumes)) {
    // Entries are first indexed by their target (a long-syntax volume needs one), then
    // read as mounts, which only a string or a map can be.
    const i = s.volumes.findIndex((v) => isObj(v) && typeof v.target !== "string");
    if (i >= 0)
      return `service volume ${at}.volumes.[${i}] is missing a mount target (give a long-syntax volume a string target)`;
    const wrong = s.volumes.find((v) => typeof v !== "string" && !isObj(v));
    if (wrong !== undefined)
      return `${at}.volumes.[]: invalid type ${goTypeName(wrong)} for service volume mount (write a volume as a string or a map)`;
  }
  return undefined;
}

/** The compose specification's schema for a service's own keys. */
function serviceSchemaError(name: string, s: Obj): string | undefined {
  const at = `services.${name}`;
  if ("image" in s && typeof s.image !== "string") return `${at}.image must be a string`;
  if ("environment" in s) {
    const e =
      (isObj(s.environment!) || Array.isArray(s.environment)
        ? undefined
        : `${at}.environment must be a mapping`) ??
      mappingValues(s.environment!, `${at}.environment`);
    if (e) return e;
  }
  if (Array.isArray(s.env_file)) {
    const i = s.env_file.findIndex((x) => typeof x !== "string" && !isObj(x));
    if (i >= 0) return `${at}.env_file.${i} must be a string`;
  }
  return undefined;
}

/** A boolean written as a string, as compose-go reads one (yes/no, y/n, on/off, true/false, any case). */
export function composeBool(s: string): boolean | undefined {
  const v = s.toLowerCase();
  if (["y", "yes", "true", "on"].includes(v)) return true;
  if (["n", "no", "false", "off"].includes(v)) return false;
  return undefined;
}

const sizeUnits: Record<string, number> = {
  "": 1,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
  p: 2 ** 50,
};

/** A size as Docker reads one for memory (binary units: 64m, 1g, 100, 1.5gb). */
export function ramInBytes(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)*) ?([kmgtp])?i?b?$/i.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (!Number.isFinite(n)) return undefined;
  return Math.trunc(n * sizeUnits[(m[2] ?? "").toLowerCase()]!);
}

/** A byte count as buildx prints a compose shm_size: 64MiB, 976.6KiB, 5B. */
export function bytesSize(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${String(Number(v.toPrecision(4)))}${units[u]}`;
}

/** A KEY=VALUE list whose first key ends in white space, as compose-go refuses one. */
function trailingSpaceError(list: Json | undefined, field: string): string | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const item of list) {
    if (typeof item !== "string") continue;
    const key = item.includes("=") ? item.slice(0, item.indexOf("=")) : item;
    if (/\s$/.test(key))
      return `'${field}' environment variable ${key} is declared with a trailing space`;
  }
  return undefined;
}

/**
 * Errors decoding a service into compose-go's typed fields (build keys, and the
 * environment, whose list form is read like build args), sorted as it lists them.
 */
function decodeErrors(name: string, service: Obj): string[] {
  const out: string[] = [];
  const env = trailingSpaceError(service.environment, `services[${name}].environment`);
  if (env) out.push(env);
  const b = isObj(service.build ?? null) ? (service.build as Obj) : {};
  const args = trailingSpaceError(b.args, `services[${name}].build.args`);
  if (args) out.push(args);
  const at = `'services[${name}].build`;
  for (const key of ["no_cache", "pull", "privileged"]) {
    const v = b[key];
    if (typeof v === "string" && composeBool(v) === undefined)
      out.push(`${at}.${key}' invalid boolean: ${v}`);
  }
  if (typeof b.shm_size === "string" && ramInBytes(b.shm_size) === undefined)
    out.push(`${at}.shm_size' invalid size: '${b.shm_size}'`);
  if (Array.isArray(b.extra_hosts)) {
    const bad = b.extra_hosts.find((h) => typeof h === "string" && !/[=:]/.test(h));
    if (bad !== undefined)
      out.push(`${at}.extra_hosts' invalid additional host, missing IP: ${bad as string}`);
  }
  return out.sort();
}

/**
 * The first type error compose-go reports for these services (name → service map), or
 * undefined. Its transforms run first, then the schema (where several keys are wrong,
 * buildx names one of them in Go's map order, which changes between runs), then decoding.
 */
export function composeTypeError(services: Obj): string | undefined {
  const entries = Object.entries(services).filter((e): e is [string, Obj] => isObj(e[1]));
  const builds = entries.flatMap(([name, s]) =>
    isObj(s.build ?? null) ? [[name, s.build as Obj] as const] : [],
  );
  const checks: (() => string | undefined)[] = [
    // A build is a path or a map; any other value (null included) is refused first.
    ...entries.map(([name, s]) => () => {
      const b = s.build;
      if (b === undefined || typeof b === "string" || isObj(b)) return undefined;
      return `services.${name}.build: invalid type ${goTypeName(b)} for build`;
    }),
    ...builds.map(
      ([name, b]) =>
        () =>
          buildTransformError(b, `services.${name}.build`),
    ),
    ...entries.map(
      ([name, s]) =>
        () =>
          serviceTransformError(name, s),
    ),
    ...builds.map(
      ([name, b]) =>
        () =>
          buildSchemaError(b, `services.${name}.build`),
    ),
    ...entries.map(
      ([name, s]) =>
        () =>
          serviceSchemaError(name, s),
    ),
  ];
  for (const check of checks) {
    const e = check();
    if (e) return e;
  }
  const decoding = entries.flatMap(([name, s]) => decodeErrors(name, s));
  if (decoding.length > 0)
    return `decoding failed due to the following error(s):\n\n${decoding.join("\n")}`;
  return undefined;
}
