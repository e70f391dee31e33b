/**
 * BuildKit endpoint addresses as buildctl and BUILDKIT_HOST write them, plus Docker
 * Engine sockets. Pure parsing; dialing lives in dial.ts.
 */
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

export class AddressError extends Error {
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

export function parseAddress(
  address: string,
  env: Readonly<Record<string, string | undefined>> = {},
): EndpointAddress {
  const m = /^([a-z][a-z0-9+-]*):\/\/(.*)$/.exec(address);
  if (!m) {
    if (address.startsWith("/")) return { kind: "unix", path: address };
    throw new AddressError(
      `invalid endpoint address "${address}": use unix:///PATH, tcp://HOST:PORT, docker://, docker-container://NAME, kube-pod://NAME or ssh://USER@HOST`,
    );
  }
  const scheme = m[1]!;
  const rest = m[2]!;
  switch (scheme) {
    case "unix":
      if (!rest.startsWith("/"))
        throw new AddressError(
          `invalid endpoint address "${address}": unix:// needs an absolute path (unix:///run/buildkit/buildkitd.sock)`,
        );
      return { kind: "unix", path: rest };
    case "docker":
    case "docker+unix":
      return {
        kind: "docker",
        socketPath: rest === "" ? dockerHostSocket(env) : rest.startsWith("/") ? rest : `/${rest}`,
      };
    case "tcp": {
      const hp = /^([^:/?]+|\[[^\]]+\]):(\d+)\/?(\?.*)?$/.exec(rest);
      if (!hp)
        throw new AddressError(`invalid endpoint address "${address}": tcp:// needs HOST:PORT`);
      return { kind: "tcp", host: hp[1]!.replace(/^\[|\]$/g, ""), port: Number(hp[2]) };
    }
    case "docker-container": {
      const url = new URL(`x://${rest}`);
      const container = decodeURIComponent(url.hostname || rest.split("?")[0]!);
      if (!container)
        throw new AddressError(
          `invalid endpoint address "${address}": docker-container:// needs a container name`,
        );
      const context = url.searchParams.get("context") ?? undefined;
      return { kind: "docker-container", container, ...(context ? { context } : {}) };
    }
    case "kube-pod": {
      const url = new URL(`x://${rest}`);
      const pod = decodeURIComponent(url.hostname);
      if (!pod)
        throw new AddressError(
          `invalid endpoint address "${address}": kube-pod:// needs a pod name`,
        );
      const opt = (k: string) => url.searchParams.get(k) ?? undefined;
      return {
        kind: "kube-pod",
        pod,
        ...(opt("namespace") ? { namespace: opt("namespace")! } : {}),
        ...(opt("context") ? { context: opt("context")! } : {}),
        ...(opt("container") ? { container: opt("container")! } : {}),
      };
    }
    case "ssh": {
      const url = new URL(`ssh://${rest}`);
      if (!url.hostname)
        throw new AddressError(`invalid endpoint address "${address}": ssh:// needs a host`);
      return {
        kind: "ssh",
        host: url.hostname,
        ...(url.username ? { user: decodeURIComponent(url.username) } : {}),
        ...(url.port ? { port: Number(url.port) } : {}),
        ...(url.pathname && url.pathname !== "/" ? { socket: url.pathname } : {}),
      };
    }
    default:
      throw new AddressError(`unsupported endpoint scheme "${scheme}://" in "${address}"`);
  }
}

/** The command that bridges stdio to BuildKit for the exec-style endpoints. */
export function stdioCommand(a: EndpointAddress): { command: string; args: string[] } | undefined {
  switch (a.kind) {
    case "docker-container":
      return {
        command: "docker",
        args: [
          ...(a.context ? ["--context", a.context] : []),
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
          ...(a.context ? ["--context", a.context] : []),
          ...(a.namespace ? ["--namespace", a.namespace] : []),
          "exec",
          "-i",
          a.pod,
          ...(a.container ? ["-c", a.container] : []),
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
          `${a.user ? `${a.user}@` : ""}${a.host}`,
          "--",
          "buildctl",
          ...(a.socket ? ["--addr", `unix://${a.socket}`] : []),
          "dial-stdio",
        ],
      };
    default:
      return undefined;
  }
}
