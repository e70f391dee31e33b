import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { asObject, FileSendBytes, Packet } from "../../../src/buildkit/api/services.js";
import {
  decodeBytesMessage,
  decodePacket,
  PacketDecodeError,
} from "../../../src/buildkit/session/packet-decode.js";

/** A small deterministic generator, so a failing packet can be made again. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  return {
    int: (n: number) => Math.floor(next() * n),
    chance: (p: number) => next() < p,
  };
}

type R = ReturnType<typeof rng>;

const pick = <T>(r: R, xs: readonly T[]): T => xs[r.int(xs.length)] as T;

/** A 64-bit value as protobuf's decimal string: small, large, negative, extreme. */
function int64Text(r: R): string {
  return pick(r, [
    "0",
    String(r.int(1000)),
    String(BigInt(r.int(2 ** 30)) * BigInt(r.int(2 ** 30)) * 7n),
    String(-BigInt(r.int(2 ** 31)) * 1_000_000_000n),
    "9223372036854775807",
    "-9223372036854775808",
    "-1",
  ]);
}

function uint32(r: R): number {
  return pick(r, [0, r.int(128), r.int(2 ** 16), 0x800001ed, 0xffffffff, r.int(2 ** 32)]);
}

const names = ["a", "dir/file.txt", "é/ü→", "目标/x", "", "deep/".repeat(40) + "f"];

function randomPacket(r: R): { [k: string]: unknown } {
  const p: { [k: string]: unknown } = { type: r.int(5), ID: uint32(r) };
  if (r.chance(0.6)) p.data = randomBytes(pick(r, [0, 1, 13, 127, 128, 16384, 32768]));
  if (r.chance(0.5))
    p.stat = {
      path: pick(r, names),
      mode: uint32(r),
      uid: uint32(r),
      gid: uint32(r),
      size: int64Text(r),
      modTime: int64Text(r),
      linkname: pick(r, names),
      devmajor: int64Text(r),
      devminor: int64Text(r),
      xattrs: r.chance(0.3) ? { "user.a": randomBytes(3), "security.b": Buffer.alloc(0) } : {},
    };
  return p;
}

/** What protobuf's own decoder reads, in the shape of decodePacket's answer. */
function reference(bytes: Buffer) {
  const o = Packet.toObject(Packet.decode(bytes), asObject) as {
    type: number;
    ID: number;
    data: Buffer;
    stat: { [k: string]: unknown } | null;
  };
  const s = o.stat;
  return {
    type: o.type,
    id: o.ID,
    data: Buffer.from(o.data),
    stat: s && {
      path: s.path,
      mode: s.mode,
      uid: s.uid,
      gid: s.gid,
      size: BigInt(s.size as string),
      modTime: BigInt(s.modTime as string),
      linkname: s.linkname,
      devmajor: BigInt(s.devmajor as string),
      devminor: BigInt(s.devminor as string),
    },
  };
}

function encode(p: { [k: string]: unknown }): Buffer {
  return Buffer.from(Packet.encode(Packet.fromObject(p)).finish());
}

describe("fsutil packets decoded by hand", () => {
  it("read as protobuf's own decoder reads them, for 2,000 random packets", () => {
    const r = rng(16);
    for (let i = 0; i < 2000; i++) {
      const bytes = encode(randomPacket(r));
      const { data, ...mine } = decodePacket(bytes);
      const { data: want, ...rest } = reference(bytes);
      expect(mine, `packet ${i}`).toEqual(rest);
      expect(data.equals(want), `data of packet ${i}`).toBe(true);
    }
  });

  it("a DATA packet's data is a view of the received bytes, not a copy", () => {
    const data = randomBytes(32768);
    const bytes = encode({ type: 2, ID: 7, data });
    const p = decodePacket(bytes);
    expect(p.data.buffer).toBe(bytes.buffer);
    expect(p.data.equals(data)).toBe(true);
  });

  it("skips fields it does not know, as protobuf does", () => {
    const known = encode({ type: 2, ID: 300, data: Buffer.from("abc") });
    // field 15 varint, field 16 fixed64, field 17 bytes, field 18 fixed32
    const unknown = Buffer.from([
      0x78, 0x96, 0x01, 0x81, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0x8a, 0x01, 2, 9, 9, 0x95, 0x01, 1, 2,
      3, 4,
    ]);
    const bytes = Buffer.concat([unknown, known, unknown]);
    expect(decodePacket(bytes)).toEqual({ ...reference(bytes), data: Buffer.from("abc") });
  });

  it("the last of a repeated field wins, as in protobuf", () => {
    const bytes = Buffer.concat([encode({ type: 1, ID: 5 }), encode({ type: 2, ID: 6 })]);
    expect(decodePacket(bytes)).toMatchObject({ type: 2, id: 6 });
    expect(decodePacket(bytes)).toMatchObject(reference(bytes));
  });

  it.each([
    ["a cut data field", encode({ type: 2, ID: 1, data: Buffer.from("hello") }).subarray(0, 6)],
    ["a cut varint", Buffer.from([0x08, 0x80])],
    ["a cut stat", encode({ stat: { path: "x", mode: 1 } }).subarray(0, 3)],
    ["a varint of 11 bytes", Buffer.from([0x18, ...Array(10).fill(0xff), 0x01])],
    ["a group (wire type 3)", Buffer.from([0x0b])],
  ])("refuses %s", (_what, bytes) => {
    expect(() => decodePacket(bytes)).toThrow(PacketDecodeError);
  });

  it("an empty message is a STAT packet with no stat (the end of the listing)", () => {
    expect(decodePacket(Buffer.alloc(0))).toEqual({
      type: 0,
      id: 0,
      stat: null,
      data: Buffer.alloc(0),
    });
  });
});

describe("FileSend BytesMessage decoded by hand", () => {
  it.each([0, 1, 200, 32768])("%d bytes read back as sent, as a view", (n) => {
    const data = randomBytes(n);
    const bytes = Buffer.from(FileSendBytes.encode({ data }).finish());
    const got = decodeBytesMessage(bytes);
    expect(got.equals(data)).toBe(true);
    if (n > 0) expect(got.buffer).toBe(bytes.buffer);
  });
});
