/**
 * How much the daemon may send on the session before mbake reads it. The daemon sends
 * outputs (FileSend: local and tar exports) this way, and grpc-js's server keeps Node's
 * HTTP/2 default of 65,535 bytes per stream and per connection: in grpc-js 1.14 no server
 * option sets it ('grpc-node.flow_control_window' is read by its client only). The daemon
 * then stops every 64 KiB until mbake's WINDOW_UPDATE comes back: a local output of
 * 256 MiB cost mbake 1.52 s of CPU and took 2.28 s, against 1.14 s and 1.40 s with 4 MiB
 * (medians of 5, the Engine 28.5). Uploads go the other way, paced by the daemon's window.
 */
import type { Http2Session } from "node:http2";
import type * as grpc from "@grpc/grpc-js";

/** Bytes the daemon may send ahead, per stream and on the whole connection. */
export const RECEIVE_WINDOW = 4 * 1024 * 1024;

/**
 * Widens the window of the HTTP/2 sessions `server` serves (the one injected connection)
 * to `bytes`: a SETTINGS frame for the daemon's streams and a WINDOW_UPDATE for the
 * connection. grpc-js does not hand out its sessions; they are found in its server's
 * own map, and where a grpc-js version has none, nothing changes (false is returned).
 */
export function widenReceiveWindow(server: grpc.Server, bytes = RECEIVE_WINDOW): boolean {
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map)) return false;
  let widened = false;
  for (const info of servers.values()) {
    const sessions = (info as { sessions?: unknown }).sessions;
    if (!(sessions instanceof Set)) continue;
    for (const session of sessions as Set<Http2Session>) {
      if (session.destroyed) continue;
      session.setLocalWindowSize(bytes);
      session.settings({ initialWindowSize: bytes });
      widened = true;
    }
  }
  return widened;
}
