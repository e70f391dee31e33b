/**
 * fsutil's Packet in protobuf's wire format, written directly: tens of thousands of
 * STAT and DATA packets go out per context, and the generic encoder (an object made
 * from the plain one, 64-bit fields parsed from strings) cost more than the send.
 * Fields at their default value are left out, as Go's encoder does.
 */
import { PacketType, type StatMessage } from "./fsutil.js";

const Wire = { Varint: 0, Bytes: 2 } as const;
type Wire = (typeof Wire)[keyof typeof Wire];

/** Bytes of `v` (an unsigned 64-bit value) as a varint. */
function varintLength(v: bigint | number): number {
  let n = 1;
  if (typeof v === "number") {
    while (v >= 0x80) {
      v = Math.floor(v / 128);
      n++;
    }
    return n;
  }
  while (v >= 0x80n) {
    v >>= 7n;
    n++;
  }
  return n;
}

/**
 * Packets are cut from slabs of this size: Node's own pool is 8 KiB, so a packet of a
 * few KiB took a new pool every second or third packet (that showed in profiles). A
 * slab is never written again once cut, and is freed when its last packet is.
 */
const SLAB = 256 * 1024;
let slab = Buffer.allocUnsafeSlow(SLAB);
let slabUsed = 0;

function take(size: number): Buffer {
  if (size > SLAB / 8) return Buffer.allocUnsafeSlow(size);
  if (slabUsed + size > SLAB) {
    slab = Buffer.allocUnsafeSlow(SLAB);
    slabUsed = 0;
  }
  const b = slab.subarray(slabUsed, slabUsed + size);
  slabUsed += (size + 7) & ~7;
  return b;
}

/** The bytes of one message. */
class Out {
  /** `pos`: where the next byte goes in `buf`. */
  constructor(
    readonly buf: Buffer,
    public pos = 0,
  ) {}
  varint(v: number): void {
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  bigVarint(v: bigint): void {
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }
  key(field: number, wire: Wire): void {
    this.buf[this.pos++] = (field << 3) | wire;
  }
  bytes(field: number, data: Uint8Array): void {
    this.key(field, Wire.Bytes);
    this.varint(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }
}

/** An int64 field given as a decimal string, as the unsigned value protobuf writes. */
function int64(text: string): bigint {
  return BigInt.asUintN(64, BigInt(text));
}

interface StatFields {
  readonly path: Buffer;
  readonly linkname: Buffer;
  readonly size: bigint;
  readonly modTime: bigint;
  readonly devmajor: bigint;
  readonly devminor: bigint;
  readonly xattrs: [Buffer, Buffer][];
}

function statFields(s: StatMessage): StatFields {
  return {
    path: Buffer.from(s.path),
    linkname: Buffer.from(s.linkname),
    size: int64(s.size),
    modTime: int64(s.modTime),
    devmajor: int64(s.devmajor),
    devminor: int64(s.devminor),
    xattrs: Object.entries(s.xattrs).map(([k, v]) => [Buffer.from(k), v]),
  };
}

const bytesField = (b: Uint8Array) => (b.length > 0 ? 1 + varintLength(b.length) + b.length : 0);
const intField = (v: bigint | number) => (v !== 0 && v !== 0n ? 1 + varintLength(v) : 0);
const xattrEntry = ([k, v]: [Buffer, Buffer]) => bytesField(k) + bytesField(v);

function statLength(s: StatMessage, f: StatFields): number {
  let n = bytesField(f.path) + bytesField(f.linkname);
  n += intField(s.mode) + intField(s.uid) + intField(s.gid);
  n += intField(f.size) + intField(f.modTime) + intField(f.devmajor) + intField(f.devminor);
  for (const e of f.xattrs) n += 1 + varintLength(xattrEntry(e)) + xattrEntry(e);
  return n;
}

function writeStat(out: Out, s: StatMessage, f: StatFields): void {
  if (f.path.length > 0) out.bytes(1, f.path);
  const ints: [number, bigint | number][] = [
    [2, s.mode],
    [3, s.uid],
    [4, s.gid],
    [5, f.size],
    [6, f.modTime],
  ];
  for (const [field, v] of ints) {
    if (v === 0 || v === 0n) continue;
    out.key(field, Wire.Varint);
    if (typeof v === "bigint") out.bigVarint(v);
    else out.varint(v);
  }
  if (f.linkname.length > 0) out.bytes(7, f.linkname);
  for (const [field, v] of [
    [8, f.devmajor],
    [9, f.devminor],
  ] as const) {
    if (v === 0n) continue;
    out.key(field, Wire.Varint);
    out.bigVarint(v);
  }
  for (const e of f.xattrs) {
    out.key(10, Wire.Bytes);
    out.varint(xattrEntry(e));
    if (e[0].length > 0) out.bytes(1, e[0]);
    if (e[1].length > 0) out.bytes(2, e[1]);
  }
}

/** A STAT packet; without `stat`, the empty one that ends the listing. */
export function encodeStatPacket(stat?: StatMessage): Buffer {
  if (!stat) return Buffer.alloc(0);
  const f = statFields(stat);
  const len = statLength(stat, f);
  const out = new Out(take(1 + varintLength(len) + len));
  out.key(2, Wire.Bytes);
  out.varint(len);
  writeStat(out, stat, f);
  return out.buf;
}

/** A packet with no stat and no data (FIN, REQ). */
export function encodeControlPacket(type: number, id = 0): Buffer {
  const out = new Out(take(2 + 1 + varintLength(id) + 1));
  if (type !== 0) {
    out.key(1, Wire.Varint);
    out.varint(type);
  }
  if (id !== 0) {
    out.key(3, Wire.Varint);
    out.varint(id);
  }
  return out.buf.subarray(0, out.pos);
}

/** Bytes before a DATA packet's data: its type, its file's ID and the data's length. */
function dataHeaderLength(id: number, length: number): number {
  return 2 + (id !== 0 ? 1 + varintLength(id) : 0) + (length > 0 ? 1 + varintLength(length) : 0);
}

function writeDataHeader(out: Out, id: number, length: number): void {
  out.key(1, Wire.Varint);
  out.varint(PacketType.DATA);
  if (id !== 0) {
    out.key(3, Wire.Varint);
    out.varint(id);
  }
  if (length > 0) {
    out.key(4, Wire.Bytes);
    out.varint(length);
  }
}

/**
 * A DATA packet of `length` bytes whose data is to be written in place: the packet
 * and the offset at which its data goes (a file is read straight into it, not copied).
 */
export function dataPacket(id: number, length: number): { packet: Buffer; offset: number } {
  const out = new Out(take(dataHeaderLength(id, length) + length));
  writeDataHeader(out, id, length);
  return { packet: out.buf.subarray(0, out.pos + length), offset: out.pos };
}

/** Room to leave before data for `dataPacketAround` (its header for any ID and length). */
export const DATA_HEADER_ROOM = 24;

/**
 * The DATA packet around `length` bytes of data already in `buf` at `start` (read there
 * from a file): its header is written just before them, so no byte of the data is copied.
 * `start` must be at least DATA_HEADER_ROOM. The packet is a view of `buf`.
 */
export function dataPacketAround(buf: Buffer, start: number, id: number, length: number): Buffer {
  const from = start - dataHeaderLength(id, length);
  if (from < 0) throw new RangeError(`no room for a DATA packet's header before offset ${start}`);
  writeDataHeader(new Out(buf, from), id, length);
  return buf.subarray(from, start + length);
}

/** A DATA packet holding a copy of `data` (the empty one ends a file). */
export function encodeDataPacket(id: number, data: Uint8Array): Buffer {
  const { packet, offset } = dataPacket(id, data.length);
  packet.set(data, offset);
  return packet;
}
