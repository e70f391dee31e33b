/** Reaches the configured (or discovered) endpoints and learns what each can do. */

import {
  type CapabilityCache,
  lookupCapabilities,
  rememberCapabilities,
} from "../buildkit/capability-cache.js";
import { BuildkitClient, discoverEndpoint } from "../buildkit/client.js";
import type { Capabilities } from "../buildkit/solve/spec.js";
import { parseAddress } from "../buildkit/transport/address.js";
import { EndpointError } from "../diagnostics/error-kind.js";
import type { EndpointInfo } from "../plan/plan.js";
import { readBoundedFile, readLimits } from "../support/read-file.js";
import { traceClock, tracePhase } from "../support/trace.js";
import { daemonMark, readCapabilityCache, writeCapabilityCache } from "./capability-store.js";
import { type EndpointConfig, parseEndpointSpec } from "./endpoint-config.js";

export interface ConnectedEndpoint {
  readonly config: EndpointConfig;
  readonly client: BuildkitClient;
  readonly caps: Capabilities;
  readonly info: EndpointInfo;
}

export class NoEndpointError extends EndpointError {
  override name = "NoEndpointError";
}

/** The endpoints to try: configured ones, else the discovered default. */
export function endpointsToTry(
  configured: readonly EndpointConfig[],
  env: Readonly<Record<string, string | undefined>>,
): { endpoints: EndpointConfig[]; tried: string[] } {
  if (configured.length > 0) return { endpoints: [...configured], tried: [] };
  const found = discoverEndpoint(env);
  if (!found.address) return { endpoints: [], tried: found.tried };
  // BUILDKIT_HOST takes the same ?ca=&cert=&key=&servername= options as --endpoint.
  const spec = parseEndpointSpec(found.address, 0);
  parseAddress(spec.address, env);
  return { endpoints: [{ ...spec, name: "default" }], tried: found.tried };
}

/**
 * Builds one endpoint takes at once when its max-parallel is not given. BuildKit schedules
 * the steps of the builds it is given itself (buildx hands it every target at once); this
 * bound only keeps a very large group from opening hundreds of sessions. Placement counts
 * the endpoint's CPUs, when it reports them, as what runs at full speed.
 */
export const defaultEndpointParallel = 32;

/** How long one endpoint may take to be reached and to say what it can do. */
export const probeTimeoutMs = 15_000;

/**
 * `p`, or a rejection with `message` once `ms` passed; a value that comes after the
 * deadline is handed to `late` (so a client that connected too late is still closed).
 */
function withTimeout<T>(
  p: Promise<T>,
  ms: number,
  message: string,
  late: (value: T) => void = () => {},
): Promise<T> {
  let timedOut = false;
  return Promise.race([
    p.then((value) => {
      if (timedOut) late(value);
      return value;
    }),
    new Promise<T>((_, reject) =>
      setTimeout(() => {
        timedOut = true;
        reject(new Error(message));
      }, ms).unref(),
    ),
  ]);
}

/** How long one probe of an endpoint that went down may take (the run goes on meanwhile). */
export const reprobeTimeoutMs = 5_000;

/**
 * Asks an endpoint that went away during the run whether it is back: a new client,
 * connected and asked its capabilities within `timeoutMs`, the same check as at
 * start-up. Rejects when it does not answer in time or `signal` aborts (a client that
 * connects after that is closed).
 */
export async function reachAgain(
  config: EndpointConfig,
  env: Readonly<Record<string, string | undefined>>,
  signal: AbortSignal,
  timeoutMs = reprobeTimeoutMs,
): Promise<{ client: BuildkitClient; caps: Capabilities }> {
  const silent = `${config.name} (${config.address}) did not answer within ${timeoutMs / 1000}s`;
  let given = false;
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error(`probe of ${config.name} stopped`));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  const asking = (async () => {
    const client = await BuildkitClient.connect(config.address, config.tls ?? {}, env);
    try {
      const caps = await client.capabilities();
      if (signal.aborted) throw new Error(`probe of ${config.name} stopped`);
      return { client, caps };
    } catch (err) {
      await client.close().catch(() => {});
      throw err;
    }
  })();
  try {
    const reached = await Promise.race([withTimeout(asking, timeoutMs, silent), aborted]);
    given = true;
    return reached;
  } finally {
    signal.removeEventListener("abort", onAbort);
    aborted.catch(() => {});
    // Answered after an abort: nobody takes the client, so it is closed here.
    if (!given) void asking.then((r) => r.client.close().catch(() => {})).catch(() => {});
  }
}

/** The TLS files of the endpoints are read before any is contacted: a bad one is the user's error. */
function checkTlsFiles(configs: readonly EndpointConfig[]): void {
  for (const c of configs) {
    for (const [option, path] of [
      ["ca", c.tls?.ca],
      ["cert", c.tls?.cert],
      ["key", c.tls?.key],
    ] as const) {
      if (path) readBoundedFile(path, readLimits.keyFile, `${option}= file of endpoint ${c.name}`);
    }
  }
}

/**
 * Connects to every endpoint at once, each within one bound (probeTimeoutMs) for
 * reaching it and learning its capabilities; unreachable ones are reported through
 * `warn` and left out. After an abort of `signal`, a client that connects is closed at
 * once and left out (the caller stops waiting at the abort; nothing stays open). With
 * `cacheIn` (a working folder), capabilities the same daemon process gave recently are
 * taken from its .mbake/capabilities.json, and new answers saved.
 */
export async function connectEndpoints(
  configs: readonly EndpointConfig[],
  env: Readonly<Record<string, string | undefined>>,
  warn: (message: string) => void,
  defaultMaxParallel = defaultEndpointParallel,
  timeoutMs = probeTimeoutMs,
  signal?: AbortSignal,
  cacheIn?: string,
): Promise<ConnectedEndpoint[]> {
  checkTlsFiles(configs);
  let cache: CapabilityCache | undefined = cacheIn ? readCapabilityCache(cacheIn) : undefined;
  let cacheChanged = false;
  const results = await Promise.all(
    configs.map(async (config) => {
      let client: BuildkitClient | undefined;
      const silent = `${config.name} (${config.address}) did not answer within ${timeoutMs / 1000}s`;
      const deadline = Date.now() + timeoutMs;
      try {
        const connecting = traceClock();
        client = await withTimeout(
          BuildkitClient.connect(config.address, config.tls ?? {}, env),
          timeoutMs,
          silent,
          (late) => void late.close().catch(() => {}),
        );
        tracePhase(`connect ${config.name}`, connecting);
        const asking = traceClock();
        const mark = cache ? daemonMark(config.address, env) : undefined;
        const known =
          cache && mark ? lookupCapabilities(cache, config.address, mark, Date.now()) : undefined;
        if (known) client.takeCapabilities(known);
        const caps = await withTimeout(
          client.capabilities(),
          Math.max(deadline - Date.now(), 1),
          silent,
        );
        tracePhase(`capabilities ${config.name}${known ? " (cached)" : ""}`, asking);
        if (cache && mark && !known) {
          cache = rememberCapabilities(cache, config.address, mark, caps, Date.now());
          cacheChanged = true;
        }
        if (signal?.aborted) {
          await client.close().catch(() => {});
          return undefined;
        }
        const native = config.platforms ? [...config.platforms] : caps.platforms.slice(0, 1);
        const info: EndpointInfo = {
          name: config.name,
          nativePlatforms: native,
          platforms: [...new Set([...caps.platforms, ...native])],
          maxParallel: config.maxParallel ?? defaultMaxParallel,
          ...(config.cpus !== undefined
            ? { cpus: config.cpus }
            : caps.cpus !== undefined
              ? { cpus: caps.cpus }
              : {}),
          multiPlatformImages: caps.multiPlatformImages,
          subrequests: caps.subrequests ?? false,
        };
        return { config, client, caps, info };
      } catch (err) {
        await client?.close().catch(() => {});
        warn(
          `endpoint ${config.name} (${config.address}) is not reachable and is left out: ${(err as Error).message}`,
        );
        return undefined;
      }
    }),
  );
  if (cacheIn && cache && cacheChanged) writeCapabilityCache(cacheIn, cache);
  return results.filter((r): r is ConnectedEndpoint => r !== undefined);
}
