import { describe, expect, it } from "vitest";
import { BufferPool } from "../../../src/buildkit/session/buffer-pool.js";

describe("read buffers shared by the chunks of an upload", () => {
  it("a buffer is handed out again only once it was given back", () => {
    const pool = new BufferPool(1024, 2);
    const a = pool.take();
    const b = pool.take();
    expect(a).not.toBe(b);
    expect(a.length).toBe(1024);
    pool.give(a);
    const c = pool.take();
    expect(c).toBe(a);
    expect(pool.take()).not.toBe(b);
  });

  it("keeps a bounded number, and never one twice or of another size", () => {
    const pool = new BufferPool(16, 2);
    const [a, b, c] = [pool.take(), pool.take(), pool.take()];
    for (const x of [a, b, c, a, Buffer.alloc(8)]) pool.give(x);
    const again = [pool.take(), pool.take(), pool.take()];
    // Two came back (a and b, once each); the third is new.
    expect(new Set(again).size).toBe(3);
    expect(again.filter((x) => x === a || x === b)).toHaveLength(2);
    expect(again.every((x) => x.length === 16)).toBe(true);
  });
});
