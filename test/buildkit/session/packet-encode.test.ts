import { describe, expect, it } from "vitest";
import { asObject, Packet } from "../../../src/buildkit/api/services.js";
import { PacketType, type StatMessage } from "../../../src/buildkit/session/fsutil.js";
import {
  DATA_HEADER_ROOM,
  dataPacket,
  dataPacketAround,
  encodeControlPacket,
  encodeDataPacket,
  encodeStatPacket,
} from "../../../src/buildkit/session/packet-encode.js";

/** What the daemon reads: the packet decoded by protobuf's own decoder. */
const decoded = (b: Buffer) => Packet.toObject(Packet.decode(b), asObject);

const stat = (over: Partial<StatMessage> = {}): StatMessage => ({
  path: "dir/file.txt",
  mode: 0o644,
  uid: 1000,
  gid: 1000,
  size: "4096",
  modTime: "1764999999123456789",
  linkname: "",
  devmajor: "0",
  devminor: "0",
  xattrs: {},
  ...over,
});

describe("fsutil packets encoded by hand", () => {
  it.each([
    ["a file", stat()],
    ["a directory (Go's dir bit) owned by root", stat({ mode: 0x800001ed, uid: 0, gid: 0 })],
    ["a symlink with a non-ASCII name", stat({ path: "é/ü→", linkname: "../目标", size: "0" })],
    ["a file from before 1970", stat({ modTime: "-1000000000" })],
    ["a file of 5 GiB", stat({ size: String(5 * 1024 ** 3) })],
    ["a device", stat({ devmajor: "8", devminor: "1" })],
    [
      "extended attributes",
      stat({ xattrs: { "user.a": Buffer.from("1"), "user.b": Buffer.from("xy") } }),
    ],
  ])("a STAT packet of %s reads back as what was sent", (_what, s) => {
    const back = decoded(encodeStatPacket(s));
    expect(back.type).toBe(PacketType.STAT);
    expect(back.stat).toEqual(s);
  });

  it("the empty STAT packet that ends the listing has no stat", () => {
    const back = decoded(encodeStatPacket());
    expect(back.type).toBe(PacketType.STAT);
    expect(back.stat).toBeNull();
  });

  it("DATA packets carry their file's ID and bytes, the empty one none", () => {
    const bytes = Buffer.from("hello, daemon");
    expect(decoded(encodeDataPacket(300, bytes))).toMatchObject({
      type: PacketType.DATA,
      ID: 300,
      data: bytes,
    });
    expect(decoded(encodeDataPacket(7, Buffer.alloc(0)))).toMatchObject({
      type: PacketType.DATA,
      ID: 7,
      data: Buffer.alloc(0),
    });
  });

  it("a DATA packet filled in place is the one made from a copy", () => {
    const bytes = Buffer.alloc(200_000, 0x5a);
    const { packet, offset } = dataPacket(0, bytes.length);
    bytes.copy(packet, offset);
    expect(packet).toEqual(encodeDataPacket(0, bytes));
    expect(decoded(packet).data).toEqual(bytes);
  });

  it.each([
    [0, 1],
    [5, 700_000],
    [300, 1024 * 1024],
    [2 ** 31, 3],
  ])(
    "a DATA packet around data read into a buffer (ID %i, %i bytes) is the one made from a copy",
    (id, length) => {
      const buf = Buffer.alloc(DATA_HEADER_ROOM + length + 10, 0xee);
      const bytes = Buffer.alloc(length, 0x5a);
      bytes.copy(buf, DATA_HEADER_ROOM);
      const packet = dataPacketAround(buf, DATA_HEADER_ROOM, id, length);
      // Buffer.equals: a deep comparison of a MiB element by element takes seconds.
      expect(packet.equals(encodeDataPacket(id, bytes))).toBe(true);
      const back = decoded(packet);
      expect([back.type, back.ID]).toEqual([PacketType.DATA, id]);
      expect(Buffer.from(back.data).equals(bytes)).toBe(true);
    },
  );

  it("a DATA packet around data with no room for its header before it is refused", () => {
    expect(() => dataPacketAround(Buffer.alloc(100), 2, 300, 50)).toThrow(/no room/);
  });

  it("FIN and REQ packets", () => {
    expect(decoded(encodeControlPacket(PacketType.FIN))).toMatchObject({ type: 3, ID: 0 });
    expect(decoded(encodeControlPacket(PacketType.REQ, 123456))).toMatchObject({
      type: 1,
      ID: 123456,
    });
  });
});
