/**
 * Writes many small messages on a gRPC call without a round trip through the event loop
 * for each, and with memory bounded: what was written but not yet taken by the HTTP/2
 * stream (its write callback not called) is counted, and the writer says when that is
 * over its budget.
 */
import type { Writable } from "node:stream";

type WriteCallback = (err?: Error | null) => void;
type Chunk = { chunk: unknown; encoding: BufferEncoding };

/**
 * A gRPC call is an object-mode Writable without _writev: it hands its next message to
 * HTTP/2 only once the last one was sent, one message per turn of the event loop and
 * one socket write each. Its _write passes the message on at once and accepts calls
 * that overlap, so the messages buffered meanwhile are all passed on together: HTTP/2
 * then puts them in one socket write.
 */
export function passBufferedTogether(stream: Writable): void {
  const s = stream as Writable & {
    _write(chunk: unknown, encoding: BufferEncoding, cb: WriteCallback): void;
    _writev?: (chunks: Chunk[], cb: WriteCallback) => void;
  };
  s._writev = (chunks, cb) => {
    let left = chunks.length;
    let failed = false;
    for (const { chunk, encoding } of chunks) {
      s._write(chunk, encoding, (err) => {
        if (failed) return;
        if (err) {
          failed = true;
          cb(err);
        } else if (--left === 0) cb();
      });
    }
  };
}

export class PacedWriter {
  private inFlight = 0;
  private waiting: (() => void) | undefined;
  private stopped = false;

  /** `budget`: bytes written and not yet taken at which `full` becomes true. */
  constructor(
    private readonly stream: Writable,
    private readonly budget: number,
  ) {
    passBufferedTogether(stream);
  }

  /**
   * Writes one encoded message; never waits (check `full`). `taken` is called once the
   * stream took the message (its write callback), or at once if it is dropped: only then
   * may its bytes be written over. A cancelled call may never call it.
   */
  write(message: Buffer, taken?: () => void): void {
    if (this.stopped) return void taken?.();
    const size = message.length + 5;
    this.inFlight += size;
    this.stream.write(message, () => {
      this.inFlight -= size;
      taken?.();
      if (this.waiting && this.inFlight <= this.budget / 2) this.wakeUp();
    });
  }

  get full(): boolean {
    return !this.stopped && this.inFlight >= this.budget;
  }

  /** Resolves once half the budget is free again (or the writer was stopped). */
  room(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /** Drops what is written from now on and releases a wait (the call was cancelled). */
  stop(): void {
    this.stopped = true;
    this.wakeUp();
  }

  private wakeUp(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }
}
