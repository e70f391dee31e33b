import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { FileSendBytes, Packet } from "../../../src/buildkit/api/services.js";
import { PacketType } from "../../../src/buildkit/session/fsutil.js";
import { PacketDecodeError } from "../../../src/buildkit/session/packet-decode.js";
import { encodeDataPacket, encodeStatPacket } from "../../../src/buildkit/session/packet-encode.js";
import { dataStart, PacketStream } from "../../../src/buildkit/session/packet-stream.js";

/** A message as gRPC puts it on the wire: not compressed, its length, its bytes. */
function framed(message: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** What a sink saw: every file's bytes joined, and the other packets in order. */
function collect(kind: "packets" | "bytes", chunks: Buffer[]) {
  const events: string[] = [];
  const files = new Map<number, Buffer[]>();
  const views: Buffer[] = [];
  const stream = new PacketStream(kind, {
    data(id, bytes) {
      views.push(bytes);
      const f = files.get(id) ?? [];
      f.push(Buffer.from(bytes));
      files.set(id, f);
      if (events.at(-1) !== `data ${id}`) events.push(`data ${id}`);
    },
    packet(p) {
      events.push(p.stat ? `stat ${p.stat.path}` : `packet ${p.type} ${p.id}`);
    },
  });
  for (const c of chunks) stream.push(c);
  return {
    events,
    file: (id: number) => Buffer.concat(files.get(id) ?? []),
    views,
    atBoundary: stream.atBoundary(),
  };
}

/** `bytes` cut in pieces of the given sizes (the last piece takes the rest). */
function cut(bytes: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const s of sizes) {
    if (at >= bytes.length) break;
    out.push(bytes.subarray(at, at + s));
    at += s;
  }
  if (at < bytes.length) out.push(bytes.subarray(at));
  return out;
}

const stat = (path: string) =>
  encodeStatPacket({
    path,
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: "0",
    modTime: "0",
    linkname: "",
    devmajor: "0",
    devminor: "0",
    xattrs: {},
  });

describe("an output's packets cut from the session's bytes", () => {
  const a = randomBytes(32768);
  const b = randomBytes(5000);
  const wire = Buffer.concat(
    [
      stat("a"),
      stat("b"),
      encodeStatPacket(),
      encodeDataPacket(1, a.subarray(0, 20000)),
      encodeDataPacket(1, a.subarray(20000)),
      encodeDataPacket(1, Buffer.alloc(0)),
      encodeDataPacket(2, b),
      encodeDataPacket(2, Buffer.alloc(0)),
      Buffer.from(Packet.encode({ type: PacketType.FIN }).finish()),
    ].map((m) => framed(Buffer.from(m))),
  );
  const expected = [
    "stat a",
    "stat b",
    `packet ${PacketType.STAT} 0`,
    "data 1",
    `packet ${PacketType.DATA} 1`,
    "data 2",
    `packet ${PacketType.DATA} 2`,
    `packet ${PacketType.FIN} 0`,
  ];

  it.each([
    ["in one piece", [wire.length]],
    ["in HTTP/2 frames of 16 KiB", Array(10).fill(16384)],
    ["byte by byte", Array(wire.length).fill(1)],
    ["in pieces of 3, 13 and 7 bytes", Array(20000).fill([3, 13, 7]).flat()],
  ])("every packet and every byte arrives, in order, %s", (_how, sizes) => {
    const got = collect("packets", cut(wire, sizes));
    expect(got.events).toEqual(expected);
    expect(got.file(1).equals(a)).toBe(true);
    expect(got.file(2).equals(b)).toBe(true);
    expect(got.atBoundary).toBe(true);
  });

  it("a DATA packet's bytes are views of what was received, not copies", () => {
    const chunks = cut(wire, Array(10).fill(16384));
    const got = collect("packets", chunks);
    for (const v of got.views) expect(chunks.some((c) => c.buffer === v.buffer)).toBe(true);
  });

  it("a DATA packet whose data is not its last field is decoded whole", () => {
    const data = randomBytes(3000);
    const odd = Buffer.concat([
      Buffer.from(Packet.encode({ data }).finish()),
      Buffer.from(Packet.encode({ type: PacketType.DATA, ID: 9 }).finish()),
    ]);
    const got = collect("packets", cut(framed(odd), Array(100).fill(100)));
    expect(got.events).toEqual(["data 9"]);
    expect(got.file(9).equals(data)).toBe(true);
  });

  it("a tar output's bytes arrive in order, in any pieces", () => {
    const parts = [randomBytes(32768), randomBytes(1), randomBytes(70000)];
    const wireBytes = Buffer.concat(
      parts.map((p) => framed(Buffer.from(FileSendBytes.encode({ data: p }).finish()))),
    );
    for (const size of [1, 7, 16384, wireBytes.length]) {
      const got = collect("bytes", cut(wireBytes, Array(wireBytes.length).fill(size)));
      expect(got.file(0).equals(Buffer.concat(parts))).toBe(true);
    }
  });

  it.each([
    ["a compressed message", Buffer.from([1, 0, 0, 0, 1, 8])],
    ["a message longer than allowed", Buffer.from([0, 0x7f, 0, 0, 0])],
    ["a malformed packet", framed(Buffer.from([0x22, 0x05, 1]))],
  ])("refuses %s", (_what, bytes) => {
    expect(() => collect("packets", [bytes])).toThrow(PacketDecodeError);
  });
});

describe("where a DATA packet's data starts", () => {
  it("after its type, ID and length, when the data runs to its end", () => {
    const p = encodeDataPacket(300, randomBytes(32768));
    expect(dataStart(p.subarray(0, 32), p.length, "packets")).toEqual({
      id: 300,
      start: p.length - 32768,
    });
  });

  it("is not known yet from the first byte or two", () => {
    const p = encodeDataPacket(300, randomBytes(100));
    expect(dataStart(p.subarray(0, 2), p.length, "packets")).toBe("more");
  });

  it("is not looked for in other packets", () => {
    const s = stat("x");
    expect(dataStart(s, s.length, "packets")).toBeNull();
    const req = Buffer.from(Packet.encode({ type: PacketType.REQ, ID: 1 }).finish());
    expect(dataStart(req, req.length, "packets")).toBeNull();
    const empty = encodeDataPacket(1, Buffer.alloc(0));
    expect(dataStart(empty, empty.length, "packets")).toBeNull();
  });
});
