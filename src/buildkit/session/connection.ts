/**
 * The session connection: the daemon is the gRPC client, mbake the server. Over a
 * Docker Engine it is the socket of POST /session after the upgrade; over buildkitd
 * it is the Control.Session stream of BytesMessage, wrapped as a byte stream. Either
 * way grpc-js serves the services on it through a connection injector.
 */
import { createHash, randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { basename, resolve } from "node:path";
import { Duplex } from "node:stream";
import * as grpc from "@grpc/grpc-js";
import type { ControlApi } from "../control/control.js";
import { hijack } from "../transport/engine.js";
import { healthService } from "./health.js";
import { widenReceiveWindow } from "./receive-window.js";
import { methodPaths, type SessionService } from "./service.js";

export interface OpenSession {
  readonly id: string;
  /** Calls `listener` once if the connection ends before close() (the daemon or the stream went away). */
  onDropped(listener: () => void): void;
  close(): void;
}

/** The drop notice of one session: fires once, never after close(). */
function dropNotice() {
  let closed = false;
  let dropped = false;
  const listeners: (() => void)[] = [];
  return {
    onDropped(listener: () => void) {
      if (dropped) listener();
      else listeners.push(listener);
    },
    dropped() {
      if (closed || dropped) return;
      dropped = true;
      for (const l of listeners.splice(0)) l();
    },
    closed() {
      closed = true;
    },
  };
}

/**
 * The session's shared key: the daemon keeps the last copy of a build context under
 * it and, on the next build with the same key, asks only for files that changed. It
 * is stable for one context folder on one machine (buildx uses the folder's name and
 * a node id the same way).
 */
export function sharedKeyFor(contextDir: string, machine: string = hostname()): string {
  const abs = resolve(contextDir);
  const id = createHash("sha256").update(`${machine}\0${abs}`).digest("hex").slice(0, 20);
  return `${basename(abs) || "root"}:${id}`;
}

function sessionHeaders(
  id: string,
  sharedKey: string,
  services: readonly SessionService[],
): Record<string, string | string[]> {
  return {
    "X-Docker-Expose-Session-Uuid": id,
    "X-Docker-Expose-Session-Name": "mbake",
    "X-Docker-Expose-Session-Sharedkey": sharedKey,
    "X-Docker-Expose-Session-Grpc-Method": methodPaths(services),
  };
}

/** Every session also answers BuildKit's health checks. */
function withHealth(services: readonly SessionService[]): SessionService[] {
  return services.some((s) => s.name === "grpc.health.v1.Health")
    ? [...services]
    : [healthService(), ...services];
}

function serve(services: readonly SessionService[], connection: Duplex): grpc.Server {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
    "grpc.max_send_message_length": 64 * 1024 * 1024,
  });
  for (const s of services) server.addService(s.definition, s.implementation);
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  injector.injectConnection(connection);
  widenReceiveWindow(server);
  return server;
}

/** A session through the Engine's POST /session upgrade (an abort while it opens: CancelledError). */
export async function openEngineSession(
  socketPath: string,
  sharedKey: string,
  given: readonly SessionService[],
  signal?: AbortSignal,
): Promise<OpenSession> {
  const services = withHealth(given);
  const id = randomUUID();
  const socket = await hijack(
    socketPath,
    "/session",
    sessionHeaders(id, sharedKey, services),
    undefined,
    signal,
  );
  const server = serve(services, socket);
  const drop = dropNotice();
  socket.once("close", () => drop.dropped());
  socket.resume();
  return {
    id,
    onDropped: drop.onDropped,
    close: () => {
      drop.closed();
      server.forceShutdown();
      socket.destroy();
    },
  };
}

/** A session over buildkitd's Control.Session stream. */
export function openControlSession(
  control: ControlApi,
  sharedKey: string,
  given: readonly SessionService[],
): OpenSession {
  const services = withHealth(given);
  const id = randomUUID();
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(sessionHeaders(id, sharedKey, services))) {
    for (const value of Array.isArray(v) ? v : [v]) md.add(k.toLowerCase(), value);
  }
  const call = control.raw.Session(md);
  const bytes = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      call.write({ data: chunk }, cb);
    },
    final(cb) {
      call.end();
      cb();
    },
    destroy(err, cb) {
      call.cancel();
      cb(err);
    },
  });
  const drop = dropNotice();
  call.on("data", (m: { data: Buffer }) => bytes.push(m.data));
  call.on("end", () => {
    bytes.push(null);
    drop.dropped();
  });
  call.on("error", () => {
    bytes.destroy();
    drop.dropped();
  });
  const server = serve(services, bytes);
  return {
    id,
    onDropped: drop.onDropped,
    close: () => {
      drop.closed();
      server.forceShutdown();
      bytes.destroy();
    },
  };
}
