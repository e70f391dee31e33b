/**
 * The bytes of one grpc-js server call as HTTP/2 delivers them, before grpc-js cuts them
 * into messages. For each message grpc-js joins its pieces into a new buffer, then goes
 * through a promise, a queue and an object stream, pausing and resuming the HTTP/2
 * stream: for an output of 256 MiB that is 8,000 such rounds and a copy of every byte.
 * An output's packets are cut by mbake itself instead (packet-stream.ts).
 *
 * grpc-js has no public way to read a call's bytes, so this takes over the step that
 * cuts them (its decoder's `write`) for one call: it is handed the bytes and gives
 * grpc-js no message. grpc-js still ends the call as before (the client's half close,
 * cancellation, the status sent back). Where a grpc-js version has no such step,
 * nothing changes (null is returned) and the messages come as usual.
 */
import type * as grpc from "@grpc/grpc-js";

/** Reading the call's bytes: stop and go on (the daemon waits while stopped). */
export interface RawFlow {
  pause(): void;
  resume(): void;
  /** The largest message grpc-js would have taken on this call. */
  readonly maxMessageLength: number;
}

interface GrpcJsServerCall {
  decoder?: { write?: unknown };
  stream?: { pause?: unknown; resume?: unknown };
  maxReceiveMessageSize?: unknown;
}

/**
 * Hands every chunk of bytes `call` receives to `onBytes` (in order, before the call's
 * end), instead of grpc-js's messages. An error thrown by `onBytes` makes grpc-js fail
 * the call. Must be called before the call is read.
 */
export function receiveRaw(
  call: grpc.ServerDuplexStream<Buffer, Buffer>,
  onBytes: (chunk: Buffer) => void,
): RawFlow | null {
  const inner = (call as unknown as { call?: GrpcJsServerCall }).call;
  const stream = inner?.stream as { pause(): void; resume(): void } | undefined;
  if (
    !inner ||
    typeof inner.decoder?.write !== "function" ||
    !stream ||
    typeof stream.pause !== "function" ||
    typeof stream.resume !== "function"
  )
    return null;
  inner.decoder = {
    write(chunk: Buffer): Buffer[] {
      onBytes(chunk);
      return [];
    },
  };
  const max = inner.maxReceiveMessageSize;
  return {
    pause: () => stream.pause(),
    resume: () => stream.resume(),
    maxMessageLength: typeof max === "number" && max >= 0 ? max : Number.MAX_SAFE_INTEGER,
  };
}
