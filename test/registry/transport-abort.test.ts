/**
 * Registry requests (the join's manifest reads and its index PUT) end at once when the
 * client's signal aborts, and no request starts after it.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { RegistryClient } from "../../src/registry/client.js";
import { CancelledError } from "../../src/support/abort.js";

let server: http.Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/** A plain-HTTP registry on loopback that holds every request; counts what arrived. */
async function holdingRegistry(): Promise<{ host: string; requests: string[] }> {
  const requests: string[] = [];
  server = http.createServer((req) => {
    requests.push(`${req.method} ${req.url}`);
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

describe("registry requests observe their abort signal", () => {
  it("a manifest PUT under way ends with CancelledError; later requests never start", async () => {
    const registry = await holdingRegistry();
    const controller = new AbortController();
    // A loopback registry is tried over TLS first, then over plain HTTP, as Docker does.
    const client = new RegistryClient(registry.host, undefined, { signal: controller.signal });
    const putting = client.putManifest("r", "v1", "application/vnd.oci.image.index.v1+json", "{}");
    while (registry.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await expect(putting).rejects.toBeInstanceOf(CancelledError);
    await expect(client.getManifest("r", "v1")).rejects.toBeInstanceOf(CancelledError);
    expect(registry.requests).toEqual(["PUT /v2/r/manifests/v1"]);
  });
});
