/**
 * Reading an output's packets from its FileSend call, with the daemon held back while
 * the files fall behind. The packets are cut from the call's bytes (packet-stream.ts,
 * raw-receive.ts) where grpc-js allows it, else taken from grpc-js's messages; the
 * sink sees the same either way.
 */
import type * as grpc from "@grpc/grpc-js";
import { deliverMessage, type PacketSink, PacketStream } from "./packet-stream.js";
import { type RawFlow, receiveRaw } from "./raw-receive.js";

/** Holds the daemon back (the session's flow control) while a file falls behind. */
export interface Reading {
  /**
   * Stops reading until `out` took what it was given (or ended, or failed), instead of
   * the output piling up in memory. What was written are views of received bytes,
   * which nothing else writes to.
   */
  holdUntilDrained(out: NodeJS.WritableStream): void;
}

/**
 * Hands the packets of `call` to `sink` in order. The first error thrown (a malformed
 * packet: PacketDecodeError, or the sink's own) goes to `fail`, and nothing more is read.
 */
export function readPackets(
  call: grpc.ServerDuplexStream<Buffer, Buffer>,
  kind: "packets" | "bytes",
  sink: PacketSink,
  fail: (e: unknown) => void,
): Reading {
  let failed = false;
  const guard = (f: () => void) => {
    if (failed) return;
    try {
      f();
    } catch (e) {
      failed = true;
      fail(e);
    }
  };
  let stream: PacketStream | undefined;
  const raw = receiveRaw(call, (chunk) => guard(() => stream?.push(chunk)));
  if (raw) stream = new PacketStream(kind, sink, raw.maxMessageLength);
  // grpc-js reads the call only while it is read: with its bytes taken no message comes
  // here, but its end still does (and, where they cannot be taken, every message).
  call.on("data", (b: Buffer) => guard(() => deliverMessage(kind, b, sink)));
  const flow: Pick<RawFlow, "pause" | "resume"> = raw ?? {
    pause: () => call.pause(),
    resume: () => call.resume(),
  };
  let held = false;
  return {
    holdUntilDrained(out) {
      if (held) return;
      held = true;
      flow.pause();
      const go = () => {
        out.off("drain", go);
        out.off("close", go);
        out.off("error", go);
        held = false;
        flow.resume();
      };
      out.on("drain", go);
      out.on("close", go);
      out.on("error", go);
    },
  };
}
