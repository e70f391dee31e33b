/**
 * A proxy between mbake and a daemon or registry that lets a test act at a precise moment:
 * every chunk, in either direction, is shown to `watch` before it is forwarded, with the
 * connection's first line (e.g. "POST /session HTTP/1.1") and its byte counts. `watch` may
 * kill the daemon behind it, cut one connection, or cut them all.
 */
import { createConnection, createServer, type Socket } from "node:net";

export type Place = { readonly path: string } | { readonly host: string; readonly port: number };

export interface ProxiedConnection {
  /** The first line the client sent ("" until it sent one). */
  readonly firstLine: string;
  /** Bytes from the client so far, and from the upstream. */
  readonly up: number;
  readonly down: number;
  cut(): void;
}

export interface FaultProxy {
  /** Where clients connect: the unix socket path, or the port on 127.0.0.1. */
  readonly place: Place;
  cut(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(
  listen: Place,
  target: Place,
  watch: (conn: ProxiedConnection, direction: "up" | "down", chunk: Buffer) => void,
): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(target as never);
    let firstLine = "";
    let up = 0;
    let down = 0;
    const conn: ProxiedConnection = {
      get firstLine() {
        return firstLine;
      },
      get up() {
        return up;
      },
      get down() {
        return down;
      },
      cut() {
        client.destroy();
        upstream.destroy();
      },
    };
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => conn.cut());
      s.on("close", () => {
        sockets.delete(s);
        conn.cut();
      });
    }
    client.on("data", (d: Buffer) => {
      if (!firstLine) firstLine = d.toString("latin1").split("\r\n")[0] ?? "";
      up += d.length;
      watch(conn, "up", d);
      if (!upstream.destroyed && !upstream.write(d)) {
        client.pause();
        upstream.once("drain", () => client.resume());
      }
    });
    upstream.on("data", (d: Buffer) => {
      down += d.length;
      watch(conn, "down", d);
      if (!client.destroyed && !client.write(d)) {
        upstream.pause();
        client.once("drain", () => upstream.resume());
      }
    });
  });
  const cut = () => {
    for (const s of sockets) s.destroy();
  };
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    if ("path" in listen) server.listen(listen.path, resolve);
    else server.listen(listen.port, listen.host, resolve);
  });
  const address = server.address();
  const place: Place =
    "path" in listen
      ? listen
      : { host: listen.host, port: typeof address === "object" && address ? address.port : 0 };
  return {
    place,
    cut,
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}
