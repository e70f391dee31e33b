/**
 * Buffers of one size, handed out and taken back, so a large upload reads every chunk into
 * one of a few buffers instead of a fresh one each time (a fresh buffer of 1 MiB costs the
 * kernel its page faults, and V8 a collection now and then). A buffer is only handed out
 * again once it was given back: whoever holds it decides when nothing reads it any more.
 * One never given back (a cancelled call) is simply left to the collector.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  /** `size`: bytes of every buffer; `keep`: buffers kept for reuse at most. */
  constructor(
    readonly size: number,
    private readonly keep: number,
  ) {}

  /** A buffer of `size` bytes whose content is left over from its last use. */
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Takes back a buffer that `take` gave and that nothing reads any more. */
  give(b: Buffer): void {
    if (b.length === this.size && this.free.length < this.keep && !this.free.includes(b))
      this.free.push(b);
  }
}
