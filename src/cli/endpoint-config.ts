/**
 * Which BuildKit endpoints a run uses, and their settings: from repeated
 * --endpoint flags, else MBAKE_ENDPOINTS, else the `endpoints` of mbake.json next
 * to the bake file. Pure: the caller reads files and the environment.
 */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { ValidateFunction } from "ajv";
import { parseAddress, startsProgram } from "../buildkit/transport/address.js";
import { InputError } from "../diagnostics/error-kind.js";

export interface EndpointTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly serverName?: string;
}

export interface EndpointConfig {
  readonly name: string;
  readonly address: string;
  /** Declared native platforms; undefined: ask the daemon. */
  readonly platforms?: readonly string[];
  readonly maxParallel?: number;
  /**
   * CPUs the endpoint's builds share, as the user knows them: placement counts them
   * instead of what the daemon reports (a standalone buildkitd reports none).
   */
  readonly cpus?: number;
  readonly tls?: EndpointTls;
}

export interface MbakeConfig {
  readonly endpoints?: readonly EndpointConfig[];
  readonly cache?: string;
  readonly registry?: string;
  readonly maxParallel?: number;
  /** The file it was read from. */
  readonly file?: string;
}

export class ConfigError extends InputError {
  override name = "ConfigError";
}

const mbakeOptionKeys = new Set(["platforms", "max-parallel", "cpus", "name"]);

/**
 * One endpoint written on the command line or in MBAKE_ENDPOINTS:
 * `[NAME=]ADDRESS[?platforms=linux/arm64,linux/amd64&max-parallel=2&cpus=8&ca=..&cert=..&key=..&servername=..]`.
 */
export function parseEndpointSpec(spec: string, index: number): EndpointConfig {
  let name: string | undefined;
  let rest = spec.trim();
  const eq = rest.indexOf("=");
  const scheme = rest.indexOf("://");
  if (eq > 0 && (scheme < 0 || eq < scheme)) {
    name = rest.slice(0, eq);
    rest = rest.slice(eq + 1);
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
      throw new ConfigError(
        `invalid endpoint name "${name}" in "${spec}": use letters, digits, ".", "_" and "-"`,
      );
    }
  }
  if (rest === "") throw new ConfigError(`endpoint "${spec}" has no address`);
  let address = rest;
  let platforms: string[] | undefined;
  let maxParallel: number | undefined;
  let cpus: number | undefined;
  const tls: { ca?: string; cert?: string; key?: string; serverName?: string } = {};
  const q = rest.indexOf("?");
  if (q >= 0) {
    const params = new URLSearchParams(rest.slice(q + 1));
    const kept = new URLSearchParams();
    for (const [key, value] of params) {
      switch (key) {
        case "platforms":
          platforms = value
            .split(",")
            .map((p) => p.trim())
            .filter(Boolean);
          break;
        case "max-parallel":
          if (!/^[1-9][0-9]*$/.test(value)) {
            throw new ConfigError(
              `endpoint "${spec}": max-parallel must be a positive whole number`,
            );
          }
          maxParallel = Number(value);
          break;
        case "cpus":
          if (!/^[1-9][0-9]{0,3}$/.test(value)) {
            throw new ConfigError(
              `endpoint "${spec}": cpus must be a whole number from 1 to 9999 (the CPUs its builds share)`,
            );
          }
          cpus = Number(value);
          break;
        case "name":
          name = value;
          break;
        case "ca":
        case "cacert":
          tls.ca = value;
          break;
        case "cert":
          tls.cert = value;
          break;
        case "key":
          tls.key = value;
          break;
        case "servername":
          tls.serverName = value;
          break;
        default:
          if (mbakeOptionKeys.has(key)) break;
          kept.append(key, value);
      }
    }
    const query = kept.toString();
    address = rest.slice(0, q) + (query ? `?${query}` : "");
  }
  return {
    name: name ?? defaultEndpointName(address, index),
    address,
    ...(platforms ? { platforms } : {}),
    ...(maxParallel ? { maxParallel } : {}),
    ...(cpus ? { cpus } : {}),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
  };
}

/** A short readable name for an unnamed endpoint: the socket's folder, the host, or "endpointN". */
export function defaultEndpointName(address: string, index: number): string {
  const m = /^([a-z+-]+):\/\/(.*)$/.exec(address);
  if (!m) return `endpoint${index + 1}`;
  const [, scheme, rest] = m as unknown as [string, string, string];
  if (scheme === "docker-container" || scheme === "kube-pod")
    return rest.split("?")[0] || `endpoint${index + 1}`;
  if (scheme === "tcp" || scheme === "ssh")
    return rest.replace(/^.*@/, "").split(/[:/?]/)[0] || `endpoint${index + 1}`;
  if (scheme === "docker" && rest === "") return "docker";
  const parts = rest.split("/").filter(Boolean);
  const file = parts.at(-1) ?? "";
  const dir = parts.at(-2);
  if (file === "docker.sock" && dir && dir !== "run") return dir;
  if (file === "docker.sock") return "docker";
  return file.replace(/\.sock$/, "") || `endpoint${index + 1}`;
}

/** Endpoints from MBAKE_ENDPOINTS: separated by whitespace, commas or semicolons outside queries. */
export function parseEndpointList(text: string): string[] {
  return text
    .split(/\s*,\s*(?=[A-Za-z0-9_.-]+=|[a-z+-]+:\/\/)|[\s;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

let validator: ValidateFunction<MbakeConfig> | undefined;
/**
 * The validator of mbake.json, compiled on first use: loading Ajv and compiling the
 * schema cost well over 100 ms, which runs without an mbake.json should not pay.
 */
function validateConfig(data: unknown): data is MbakeConfig {
  if (!validator) {
    const { Ajv } = createRequire(import.meta.url)("ajv") as typeof import("ajv");
    /** The schema ships in schema/, one level above both src/ and dist/. */
    const configSchema = JSON.parse(
      readFileSync(new URL("../../schema/mbake-config.schema.json", import.meta.url), "utf8"),
    ) as object;
    validator = new Ajv({ allErrors: true }).compile<MbakeConfig>(configSchema);
  }
  return validator(data);
}

/** Parses and validates mbake.json; errors name the file and the JSON path. */
export function parseMbakeConfig(text: string, fileName: string): MbakeConfig {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${fileName}: not valid JSON: ${(err as Error).message}`);
  }
  if (!validateConfig(data)) {
    const problems = (validator?.errors ?? []).map((e) => {
      const where = e.instancePath || "(top level)";
      const extra =
        e.keyword === "additionalProperties"
          ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"`
          : "";
      return `${fileName}: ${where}: ${e.message}${extra}`;
    });
    throw new ConfigError(problems.join("\n"));
  }
  return {
    ...data,
    file: fileName,
    ...(data.endpoints
      ? {
          endpoints: data.endpoints.map((e, i) => ({
            ...e,
            name: e.name ?? defaultEndpointName(e.address, i),
          })),
        }
      : {}),
  };
}

/** The endpoints of a run, by precedence: flags, then MBAKE_ENDPOINTS, then mbake.json; [] means discover. */
export function selectEndpoints(
  flags: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  config: MbakeConfig | undefined,
): EndpointConfig[] {
  const configFile = config?.file ?? "mbake.json";
  let chosen: EndpointConfig[];
  const fromProject = flags.length === 0 && !env.MBAKE_ENDPOINTS?.trim();
  if (flags.length > 0) chosen = flags.map(parseEndpointSpec);
  else if (env.MBAKE_ENDPOINTS?.trim())
    chosen = parseEndpointList(env.MBAKE_ENDPOINTS).map(parseEndpointSpec);
  else chosen = [...(config?.endpoints ?? [])];
  // Every address is checked before anything is dialled or started.
  for (const e of chosen) {
    const address = parseAddress(e.address, env);
    if (fromProject && startsProgram(address))
      throw new ConfigError(
        `${configFile}: endpoint ${e.name} (${e.address}) would start ${address.kind === "kube-pod" ? "kubectl" : address.kind === "ssh" ? "ssh" : "docker"}; endpoints that start a program are taken only from your own settings (--endpoint, MBAKE_ENDPOINTS, BUILDKIT_HOST), never from a project's files`,
      );
  }
  const seen = new Map<string, number>();
  return chosen.map((e) => {
    const n = seen.get(e.name) ?? 0;
    seen.set(e.name, n + 1);
    return n === 0 ? e : { ...e, name: `${e.name}-${n + 1}` };
  });
}
