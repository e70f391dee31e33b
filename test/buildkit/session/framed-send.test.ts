import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  frameInPlace,
  GRPC_PREFIX,
  sendFramedAsIs,
} from "../../../src/buildkit/session/framed-send.js";

/** A server call shaped as grpc-js's: its inner call frames a message by copying it. */
function grpcJsLikeCall() {
  const inner = {
    copies: 0,
    serializeMessage(value: Buffer): Buffer {
      this.copies++;
      const out = Buffer.alloc(value.length + 5);
      out.writeUInt32BE(value.length, 1);
      value.copy(out, 5);
      return out;
    },
  };
  return { call: inner };
}

describe("messages sent as they lie in memory", () => {
  it("a marked message goes out with gRPC's prefix written before it, in its own memory", () => {
    const call = grpcJsLikeCall();
    expect(sendFramedAsIs(call)).toBe(true);
    const buf = Buffer.alloc(GRPC_PREFIX + 300, 0xee);
    buf.fill(7, GRPC_PREFIX);
    const message = frameInPlace(buf.subarray(GRPC_PREFIX));
    const sent = call.call.serializeMessage(message);
    expect(sent.buffer).toBe(buf.buffer);
    expect(sent.byteOffset).toBe(0);
    expect(sent.equals(grpcJsLikeCall().call.serializeMessage(Buffer.alloc(300, 7)))).toBe(true);
    expect(call.call.copies).toBe(0);
  });

  it("any other message is framed by grpc-js as before", () => {
    const call = grpcJsLikeCall();
    sendFramedAsIs(call);
    const sent = call.call.serializeMessage(Buffer.from("stat"));
    expect(sent.subarray(5).toString()).toBe("stat");
    expect(sent.readUInt32BE(1)).toBe(4);
    expect(call.call.copies).toBe(1);
  });

  it("a call without grpc-js's framing step is left alone", () => {
    const call = { call: {} };
    expect(sendFramedAsIs(call)).toBe(false);
    expect(call.call).toEqual({});
    expect(sendFramedAsIs({})).toBe(false);
  });

  it("the grpc-js mbake ships frames its server calls' messages through the step taken over", () => {
    // Without it, large contexts still go out right, copied once more: this says so first.
    const internals = createRequire(import.meta.url)(
      "@grpc/grpc-js/build/src/server-interceptors.js",
    ) as { BaseServerInterceptingCall?: { prototype: { serializeMessage?: unknown } } };
    expect(typeof internals.BaseServerInterceptingCall?.prototype.serializeMessage).toBe(
      "function",
    );
  });
});
