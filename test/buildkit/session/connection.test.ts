import { EventEmitter } from "node:events";
import * as http2 from "node:http2";
import { Duplex } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import type { ControlApi } from "../../../src/buildkit/control/control.js";
import { type OpenSession, openControlSession } from "../../../src/buildkit/session/connection.js";
import { RECEIVE_WINDOW } from "../../../src/buildkit/session/receive-window.js";

/**
 * A Control API whose Session stream is played by an HTTP/2 client in this test: it
 * stands for the daemon, which calls mbake's session services over that stream.
 */
function daemonOverControlSession(): { control: ControlApi; daemon: http2.ClientHttp2Session } {
  const call = new EventEmitter() as EventEmitter & Record<string, unknown>;
  const daemonSide = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      call.emit("data", { data: chunk });
      cb();
    },
  });
  call.write = (m: { data: Buffer }, cb: () => void) => {
    daemonSide.push(m.data);
    cb();
  };
  call.end = () => daemonSide.push(null);
  call.cancel = () => daemonSide.destroy();
  // biome-ignore lint/correctness/noComponentHookFactories: the gRPC method's name, no React component
  const control = { raw: { Session: () => call } } as unknown as ControlApi;
  const daemon = http2.connect("http://session", { createConnection: () => daemonSide });
  daemon.on("error", () => {});
  return { control, daemon };
}

let open: { session: OpenSession; daemon: http2.ClientHttp2Session } | undefined;
afterEach(() => {
  open?.session.close();
  open?.daemon.destroy();
  open = undefined;
});

describe("the session mbake serves", () => {
  it("lets the daemon send a few MiB ahead on each stream and on the connection, not 64 KiB", async () => {
    const { control, daemon } = daemonOverControlSession();
    const session = openControlSession(control, "key", []);
    open = { session, daemon };
    // Node's default is 65,535 bytes; outputs (FileSend) come this way. The SETTINGS frame
    // and the connection's WINDOW_UPDATE arrive in turn: wait until both did.
    const widened = () =>
      daemon.remoteSettings.initialWindowSize === RECEIVE_WINDOW &&
      daemon.state.remoteWindowSize === RECEIVE_WINDOW;
    for (let turn = 0; turn < 200 && !widened(); turn++) await new Promise((r) => setTimeout(r, 5));
    expect(daemon.remoteSettings.initialWindowSize).toBe(RECEIVE_WINDOW);
    expect(daemon.state.remoteWindowSize).toBe(RECEIVE_WINDOW);
  });
});
