/**
 * BuildKit endpoint addresses as buildctl and BUILDKIT_HOST write them, plus Docker
 * Engine sockets. Pure parsing; dialing lives in dial.ts.
 */
import { InputError } from "../../diagnostics/error-kind.js";
export type EndpointAddress =
  | { readonly kind: "unix"; readonly path: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "docker"; readonly socketPath: string }
  | { readonly kind: "docker-container"; readonly container: string; readonly context?: string }
  | {
      readonly kind: "kube-pod";
      readonly pod: string;
      readonly namespace?: string;
      readonly context?: string;
      readonly container?: string;
    }
  | {
      readonly kind: "ssh";
      readonly user?: string;
      readonly host: string;
      readonly port?: number;
      readonly socket?: string;
    };

export class AddressError extends InputError {
  override name = "AddressError";
}

/** The Engine socket of DOCKER_HOST, or the default one. */
export function dockerHostSocket(env: Readonly<Record<string, string | undefined>>): string {
  const host = env.DOCKER_HOST;
  if (host?.startsWith("unix://")) return host.slice("unix://".length);
  if (host && host !== "")
    throw new AddressError(
      `DOCKER_HOST=${host} is not a unix socket; mbake reaches Docker Engines through their unix socket`,
    );
  return "/var/run/docker.sock";
}

/** Hostnames and IPv4 addresses: letters, digits, dots and inner hyphens only. */
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV6 = /^[0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?$/;
/** A login name as ssh takes it: never starting with "-". */
const SSH_USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
/** Kubernetes names (DNS-1123): what BuildKit's kube-pod helper accepts, never starting with "-". */
const KUBE_NAME = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;
/** Docker container names. */
const CONTAINER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;
/** kubectl and docker context names: no leading "-", no spaces or shell characters. */
const CONTEXT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@:/-]{0,253}$/;
const SOCKET_PATH = /^\/[A-Za-z0-9_.@+/-]{1,4095}$/;

function invalid(address: string, why: string): AddressError {
  return new AddressError(`invalid endpoint address "${address}": ${why}`);
}

/** The query of an address, allowing only `allowed` keys, each at most once. */
function queryOf(address: string, query: string, allowed: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (query === "") return out;
  for (const [k, v] of new URLSearchParams(query)) {
    if (!allowed.includes(k))
      throw invalid(
        address,
        allowed.length > 0
          ? `unknown option "${k}" (this scheme takes ${allowed.join(", ")})`
          : `this scheme takes no options ("?${k}=...")`,
      );
    if (out.has(k)) throw invalid(address, `option "${k}" is given twice`);
    out.set(k, v);
  }
  return out;
}

function checkPort(address: string, text: string): number {
  const port = Number(text);
  if (!/^[0-9]{1,5}$/.test(text) || port < 1 || port > 65535)
    throw invalid(address, `port "${text}" is not a number from 1 to 65535`);
  return port;
}

function checkHost(address: string, host: string): string {
  if (host.startsWith("[") && host.endsWith("]") && IPV6.test(host.slice(1, -1)))
    return host.slice(1, -1);
  if (!HOSTNAME.test(host)) throw invalid(address, `"${host}" is not a host name or IP address`);
  return host;
}

/** HOST[:PORT], with [IPv6] brackets; the port is required when `needPort`. */
function hostAndPort(
  address: string,
  text: string,
  needPort: boolean,
): { host: string; port?: number } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::([^:]*))?$/.exec(text);
  if (!m || m[1] === "") throw invalid(address, "it needs a host");
  const host = checkHost(address, m[1] as string);
  if (m[2] === undefined) {
    if (needPort) throw invalid(address, "tcp:// needs HOST:PORT");
    return { host };
  }
  return { host, port: checkPort(address, m[2]) };
}

/**
 * Parses an endpoint address strictly: every part is checked before anything can use it,
 * so no part of an address (which may come from a project's files) can become an option
 * of a program that mbake starts for the exec-style schemes.
 */
export function parseAddress(
  address: string,
  env: Readonly<Record<string, string | undefined>> = {},
): EndpointAddress {
  if (!/^[\x21-\x7e]+$/.test(address))
    throw invalid(
      address.replace(/[^\x20-\x7e]/g, "?"),
      "only printable characters without spaces are allowed",
    );
  const m = /^([a-z][a-z0-9+-]*):\/\/(.*)$/.exec(address);
  if (!m) {
    if (address.startsWith("/")) return { kind: "unix", path: address };
    throw invalid(
      address,
      "use unix:///PATH, tcp://HOST:PORT, docker://, docker-container://NAME, kube-pod://NAME or ssh://USER@HOST",
    );
  }
  const scheme = m[1] as string;
  const whole = m[2] as string;
  const q = whole.indexOf("?");
  const rest = q >= 0 ? whole.slice(0, q) : whole;
  const query = q >= 0 ? whole.slice(q + 1) : "";
  switch (scheme) {
    case "unix":
      queryOf(address, query, []);
      if (!rest.startsWith("/"))
        throw invalid(
          address,
          "unix:// needs an absolute path (unix:///run/buildkit/buildkitd.sock)",
        );
      return { kind: "unix", path: rest };
    case "docker":
    case "docker+unix":
      queryOf(address, query, []);
      return {
        kind: "docker",
        socketPath: rest === "" ? dockerHostSocket(env) : rest.startsWith("/") ? rest : `/${rest}`,
      };
    case "tcp": {
      queryOf(address, query, []);
      const { host, port } = hostAndPort(address, rest.replace(/\/$/, ""), true);
      return { kind: "tcp", host, port: port as number };
    }
    case "docker-container": {
      const opts = queryOf(address, query, ["context"]);
      const container = rest.replace(/\/$/, "");
      if (!container) throw invalid(address, "docker-container:// needs a container name");
      if (!CONTAINER_NAME.test(container))
        throw invalid(
          address,
          `"${container}" is not a container name (letters, digits, "_", ".", "-")`,
        );
      const context = opts.get("context");
      if (context !== undefined && !CONTEXT_NAME.test(context))
        throw invalid(address, `"${context}" is not a Docker context name`);
      return { kind: "docker-container", container, ...(context ? { context } : {}) };
    }
    case "kube-pod": {
      const opts = queryOf(address, query, ["namespace", "context", "container"]);
      const pod = rest.replace(/\/$/, "");
      if (!pod) throw invalid(address, "kube-pod:// needs a pod name");
      if (!KUBE_NAME.test(pod))
        throw invalid(
          address,
          `"${pod}" is not a pod name (lower-case letters, digits, "-" and ".")`,
        );
      const namespace = opts.get("namespace");
      const container = opts.get("container");
      const context = opts.get("context");
      if (namespace !== undefined && !KUBE_NAME.test(namespace))
        throw invalid(address, `"${namespace}" is not a namespace name`);
      if (container !== undefined && !KUBE_NAME.test(container))
        throw invalid(address, `"${container}" is not a container name`);
      if (context !== undefined && !CONTEXT_NAME.test(context))
        throw invalid(address, `"${context}" is not a kubectl context name`);
      return {
        kind: "kube-pod",
        pod,
        ...(namespace ? { namespace } : {}),
        ...(context ? { context } : {}),
        ...(container ? { container } : {}),
      };
    }
    case "ssh": {
      queryOf(address, query, []);
      const slash = rest.indexOf("/");
      const authority = slash >= 0 ? rest.slice(0, slash) : rest;
      const path = slash >= 0 ? rest.slice(slash) : "";
      const at = authority.lastIndexOf("@");
      const user = at >= 0 ? decodeURIComponent(authority.slice(0, at)) : undefined;
      if (user !== undefined && !SSH_USER.test(user))
        throw invalid(
          address,
          `"${user}" is not a user name (letters, digits, "_", ".", "-"; not starting with "-")`,
        );
      const { host, port } = hostAndPort(address, authority.slice(at + 1), false);
      if (path !== "" && path !== "/" && !SOCKET_PATH.test(path))
        throw invalid(address, `"${path}" is not a socket path`);
      return {
        kind: "ssh",
        host,
        ...(user ? { user } : {}),
        ...(port ? { port } : {}),
        ...(path && path !== "/" ? { socket: path } : {}),
      };
    }
    default:
      throw new AddressError(
        `unsupported endpoint scheme "${scheme}://" in "${address}": use unix://, tcp://, docker://, docker-container://, kube-pod:// or ssh://`,
      );
  }
}

/** The schemes whose endpoint mbake reaches by starting a program (docker, kubectl, ssh). */
export function startsProgram(a: EndpointAddress): boolean {
  return a.kind === "docker-container" || a.kind === "kube-pod" || a.kind === "ssh";
}

/** The command that bridges stdio to BuildKit for the exec-style endpoints. */
export function stdioCommand(a: EndpointAddress): { command: string; args: string[] } | undefined {
  switch (a.kind) {
    case "docker-container":
      return {
        command: "docker",
        args: [
          ...(a.context ? [`--context=${a.context}`] : []),
          "exec",
          "-i",
          a.container,
          "buildctl",
          "dial-stdio",
        ],
      };
    case "kube-pod":
      return {
        command: "kubectl",
        args: [
          ...(a.context ? [`--context=${a.context}`] : []),
          ...(a.namespace ? [`--namespace=${a.namespace}`] : []),
          "exec",
          "-i",
          a.pod,
          ...(a.container ? [`--container=${a.container}`] : []),
          "--",
          "buildctl",
          "dial-stdio",
        ],
      };
    case "ssh":
      return {
        command: "ssh",
        args: [
          "-T",
          ...(a.port ? ["-p", String(a.port)] : []),
          // As BuildKit's own ssh helper: "--" so the destination is never read as an option.
          "--",
          `${a.user ? `${a.user}@` : ""}${a.host}`,
          "buildctl",
          ...(a.socket ? ["--addr", `unix://${a.socket}`] : []),
          "dial-stdio",
        ],
      };
    default:
      return undefined;
  }
}
