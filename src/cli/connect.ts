/** Reaches the configured (or discovered) endpoints and learns what each can do. */

import { BuildkitClient, discoverEndpoint } from "../buildkit/client.js";
import type { Capabilities } from "../buildkit/solve/spec.js";
import { parseAddress } from "../buildkit/transport/address.js";
import { EndpointError } from "../diagnostics/error-kind.js";
import type { EndpointInfo } from "../plan/plan.js";
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

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(
        () => reject(new Error(`${what} did not answer within ${ms / 1000}s`)),
        ms,
      ).unref(),
    ),
  ]);
}

/** Connects to each endpoint; unreachable ones are reported through `warn` and left out. */
export async function connectEndpoints(
  configs: readonly EndpointConfig[],
  env: Readonly<Record<string, string | undefined>>,
  warn: (message: string) => void,
  defaultMaxParallel = 4,
): Promise<ConnectedEndpoint[]> {
  const results = await Promise.all(
    configs.map(async (config) => {
      let client: BuildkitClient | undefined;
      try {
        client = await BuildkitClient.connect(config.address, config.tls ?? {}, env);
        const caps = await withTimeout(
          client.capabilities(),
          15_000,
          `${config.name} (${config.address})`,
        );
        const native = config.platforms ? [...config.platforms] : caps.platforms.slice(0, 1);
        const info: EndpointInfo = {
          name: config.name,
          nativePlatforms: native,
          platforms: [...new Set([...caps.platforms, ...native])],
          maxParallel: config.maxParallel ?? defaultMaxParallel,
          multiPlatformImages: caps.multiPlatformImages,
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
  return results.filter((r): r is ConnectedEndpoint => r !== undefined);
}
