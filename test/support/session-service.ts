/**
 * Serves one session service on a unix socket with grpc-js and gives a client for it,
 * so unit tests call it over real gRPC as the daemon would.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { SessionService } from "../../src/buildkit/session/service.js";

export type ServiceClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

export async function serveSessionService(
  service: SessionService,
): Promise<{ client: ServiceClient; close(): void }> {
  const server = new grpc.Server();
  server.addService(service.definition, service.implementation);
  const socket = join(mkdtempSync(join(tmpdir(), "mbake-service-")), "service.sock");
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  const Ctor = grpc.makeGenericClientConstructor(service.definition, service.name);
  const client = new Ctor(
    `unix://${socket}`,
    grpc.credentials.createInsecure(),
  ) as unknown as ServiceClient;
  return {
    client,
    close() {
      client.close();
      server.forceShutdown();
    },
  };
}
