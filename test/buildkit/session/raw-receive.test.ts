import { describe, expect, it } from "vitest";
import { receiveRaw } from "../../../src/buildkit/session/raw-receive.js";

type AnyCall = Parameters<typeof receiveRaw>[0];

/** A server call shaped as grpc-js's: its inner call cuts bytes with its decoder. */
function grpcJsLikeCall() {
  const stream = {
    paused: false,
    pause() {
      this.paused = true;
    },
    resume() {
      this.paused = false;
    },
  };
  const inner = {
    stream,
    maxReceiveMessageSize: 1000,
    decoder: { write: (_b: Buffer): Buffer[] => [Buffer.from("a message")] },
  };
  return { call: inner };
}

describe("a call's bytes taken before grpc-js cuts them", () => {
  it("every chunk goes to mbake in order, and grpc-js gets no message", () => {
    const call = grpcJsLikeCall();
    const seen: string[] = [];
    const flow = receiveRaw(call as unknown as AnyCall, (b) => seen.push(b.toString()));
    expect(flow).not.toBeNull();
    expect(call.call.decoder.write(Buffer.from("one"))).toEqual([]);
    expect(call.call.decoder.write(Buffer.from("two"))).toEqual([]);
    expect(seen).toEqual(["one", "two"]);
    expect(flow?.maxMessageLength).toBe(1000);
  });

  it("pausing stops the call's HTTP/2 stream (the daemon then waits)", () => {
    const call = grpcJsLikeCall();
    const flow = receiveRaw(call as unknown as AnyCall, () => {});
    flow?.pause();
    expect(call.call.stream.paused).toBe(true);
    flow?.resume();
    expect(call.call.stream.paused).toBe(false);
  });

  it("a call without grpc-js's decoder step is left alone", () => {
    const call = { call: { stream: grpcJsLikeCall().call.stream } };
    expect(receiveRaw(call as unknown as AnyCall, () => {})).toBeNull();
    expect(receiveRaw({} as unknown as AnyCall, () => {})).toBeNull();
  });
});
