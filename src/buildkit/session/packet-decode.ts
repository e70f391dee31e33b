/**
 * fsutil's Packet (and FileSend's BytesMessage) read straight from protobuf's wire
 * format. An output comes back as thousands of DATA packets; the generic decoder made an
 * object per packet, then a plain copy of it, and the data was copied once more before
 * it was written. Here a packet's data is a view of the received message: nothing is
 * copied. Fields are read as protobuf's own decoder reads them (the last one of a field
 * wins; unknown fields are skipped); a packet that ends inside a field is refused.
 */

/** The stat of a STAT packet: the fields mbake uses, 64-bit ones as bigint. */
export interface DecodedStat {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  size: bigint;
  modTime: bigint;
  linkname: string;
  devmajor: bigint;
  devminor: bigint;
}

/** A decoded packet; `data` is a view of the bytes it was read from. */
export interface DecodedPacket {
  type: number;
  id: number;
  stat: DecodedStat | null;
  data: Buffer;
}

export class PacketDecodeError extends Error {
  override name = "PacketDecodeError";
}

const Wire = { Varint: 0, Fixed64: 1, Bytes: 2, Fixed32: 5 } as const;
const EMPTY: Buffer = Buffer.alloc(0);

/** Reads one message's fields in `buf` between `pos` and `end`. */
class Reader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    private readonly end: number,
  ) {}

  more(): boolean {
    return this.pos < this.end;
  }

  private byte(): number {
    if (this.pos >= this.end) throw new PacketDecodeError("a packet ends inside a field");
    return this.buf[this.pos++] as number;
  }

  /** A varint's low 32 bits, unsigned (what protobuf keeps of a uint32 or an enum). */
  uint32(): number {
    let v = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      const b = this.byte();
      v |= (b & 0x7f) << shift;
      if (b < 0x80) return v >>> 0;
    }
    let b = this.byte();
    v |= (b & 0x0f) << 28;
    // Up to five more bytes carry bits above the 32nd: they are read and dropped.
    for (let i = 0; i < 5 && b >= 0x80; i++) b = this.byte();
    if (b >= 0x80) throw new PacketDecodeError("a varint is longer than 10 bytes");
    return v >>> 0;
  }

  /** A varint as a signed 64-bit value (protobuf's int64). */
  int64(): bigint {
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      b = this.byte();
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) return BigInt(lo >>> 0);
    }
    b = this.byte();
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >> 4;
    for (let shift = 3; b >= 0x80 && shift < 32; shift += 7) {
      b = this.byte();
      hi |= (b & 0x7f) << shift;
    }
    if (b >= 0x80) throw new PacketDecodeError("a varint is longer than 10 bytes");
    return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
  }

  /** A length-delimited field's bytes, as a view. */
  bytes(): Buffer {
    const n = this.uint32();
    if (n > this.end - this.pos) throw new PacketDecodeError("a packet ends inside a field");
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** Steps over a field of wire type `wire` that is not read. */
  skip(wire: number): void {
    if (wire === Wire.Varint) this.uint32();
    else if (wire === Wire.Bytes) this.bytes();
    else if (wire === Wire.Fixed64 || wire === Wire.Fixed32) {
      const n = wire === Wire.Fixed64 ? 8 : 4;
      if (n > this.end - this.pos) throw new PacketDecodeError("a packet ends inside a field");
      this.pos += n;
    } else throw new PacketDecodeError(`a packet has a field of unknown wire type ${wire}`);
  }
}

function decodeStat(r: Reader): DecodedStat {
  const s: DecodedStat = {
    path: "",
    mode: 0,
    uid: 0,
    gid: 0,
    size: 0n,
    modTime: 0n,
    linkname: "",
    devmajor: 0n,
    devminor: 0n,
  };
  while (r.more()) {
    const key = r.uint32();
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 1 && wire === Wire.Bytes) s.path = r.bytes().toString("utf8");
    else if (field === 2 && wire === Wire.Varint) s.mode = r.uint32();
    else if (field === 3 && wire === Wire.Varint) s.uid = r.uint32();
    else if (field === 4 && wire === Wire.Varint) s.gid = r.uint32();
    else if (field === 5 && wire === Wire.Varint) s.size = r.int64();
    else if (field === 6 && wire === Wire.Varint) s.modTime = r.int64();
    else if (field === 7 && wire === Wire.Bytes) s.linkname = r.bytes().toString("utf8");
    else if (field === 8 && wire === Wire.Varint) s.devmajor = r.int64();
    else if (field === 9 && wire === Wire.Varint) s.devminor = r.int64();
    else r.skip(wire); // xattrs (field 10) are not used by mbake
  }
  return s;
}

/** One fsutil Packet; its data (and nothing else) is a view of `buf`. */
export function decodePacket(buf: Buffer): DecodedPacket {
  const p: DecodedPacket = { type: 0, id: 0, stat: null, data: EMPTY };
  const r = new Reader(buf, 0, buf.length);
  while (r.more()) {
    const key = r.uint32();
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 1 && wire === Wire.Varint) p.type = r.uint32() | 0;
    else if (field === 3 && wire === Wire.Varint) p.id = r.uint32();
    else if (field === 4 && wire === Wire.Bytes) p.data = r.bytes();
    else if (field === 2 && wire === Wire.Bytes) {
      const len = r.uint32();
      if (len > buf.length - r.pos) throw new PacketDecodeError("a packet ends inside a field");
      p.stat = decodeStat(new Reader(buf, r.pos, r.pos + len));
      r.pos += len;
    } else r.skip(wire);
  }
  return p;
}

/** FileSend's BytesMessage (a tar output's bytes): its data, as a view of `buf`. */
export function decodeBytesMessage(buf: Buffer): Buffer {
  let data: Buffer = EMPTY;
  const r = new Reader(buf, 0, buf.length);
  while (r.more()) {
    const key = r.uint32();
    if (key === ((1 << 3) | Wire.Bytes)) data = r.bytes();
    else r.skip(key & 7);
  }
  return data;
}
