/**
 * An output's packets cut straight from the session's bytes as they arrive. The daemon
 * sends 32 KiB DATA packets in HTTP/2 frames of at most 16 KiB, so a packet comes in
 * three or four pieces: gRPC's reader joined them into a new buffer per packet (a copy
 * of every byte of the output, and memory for the collector to take back). Here the data
 * of a DATA packet goes on as the pieces it came in, each a view of what was received;
 * only other packets (stats, the end of a file, errors) are joined and decoded whole.
 */
import { GRPC_PREFIX as PREFIX } from "./framed-send.js";
import { PacketType } from "./fsutil.js";
import {
  type DecodedPacket,
  decodeBytesMessage,
  decodePacket,
  PacketDecodeError,
} from "./packet-decode.js";

/** Where the packets go, in the order they came. */
export interface PacketSink {
  /** Bytes of the DATA packet for file `id` (a tar output's bytes: `id` 0), as a view. */
  data(id: number, bytes: Buffer): void;
  /** Any other packet: STAT, REQ, FIN, ERR, and the empty DATA packet ending a file. */
  packet(p: DecodedPacket): void;
}

/** Bytes of a message's start enough for any DATA packet's header before its data. */
const HEAD_MAX = 32;

/**
 * Reads a varint of at most 5 bytes at `pos`: its value (unsigned 32 bits) and where it
 * ends; undefined when `buf` ends first, null when it is longer (not a header to stream).
 */
function varint(buf: Buffer, pos: number): [number, number] | undefined | null {
  let v = 0;
  for (let i = 0; i < 5; i++) {
    if (pos + i >= buf.length) return undefined;
    const b = buf[pos + i] as number;
    v += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return v < 2 ** 32 ? [v, pos + i + 1] : null;
  }
  return null;
}

/**
 * Where the data of a message starting with `head` begins, if the message is a DATA
 * packet (or, for `bytes`, a BytesMessage) whose data is its last field and runs to its
 * end (as Go writes them); "more" if `head` is too short to tell; null if the message
 * is anything else (it is then decoded whole).
 */
export function dataStart(
  head: Buffer,
  length: number,
  kind: "packets" | "bytes",
): { id: number; start: number } | "more" | null {
  let pos = 0;
  let type: number = kind === "bytes" ? PacketType.DATA : 0;
  let id = 0;
  const dataField = kind === "bytes" ? 1 : 4;
  const canGrow = head.length < HEAD_MAX && head.length < length;
  for (;;) {
    if (pos >= length) return null;
    const key = varint(head, pos);
    if (!key) return key === undefined && canGrow ? "more" : null;
    pos = key[1];
    const value = varint(head, pos);
    if (!value) return value === undefined && canGrow ? "more" : null;
    pos = value[1];
    if (kind === "packets" && key[0] === ((1 << 3) | 0)) type = value[0];
    else if (kind === "packets" && key[0] === ((3 << 3) | 0)) id = value[0];
    else if (key[0] === ((dataField << 3) | 2)) {
      const ok = type === PacketType.DATA && value[0] > 0 && pos + value[0] === length;
      return ok ? { id, start: pos } : null;
    } else return null;
  }
}

/**
 * Cuts gRPC messages from the bytes of one call and hands their packets to `sink`.
 * `kind`: fsutil Packets (a local output) or FileSend BytesMessages (a tar output).
 * Throws PacketDecodeError on a compressed message, one longer than `maxLength`, or a
 * malformed packet; what `sink` throws goes through as it is.
 */
export class PacketStream {
  private readonly prefix = Buffer.alloc(PREFIX);
  private prefixHave = 0;
  private state: "prefix" | "head" | "whole" | "data" = "prefix";
  /** Bytes of the current message still to come, and its length. */
  private remaining = 0;
  private length = 0;
  /** Pieces of the current message kept until it can be streamed or is complete. */
  private parts: Buffer[] = [];
  private have = 0;
  private dataId = 0;

  constructor(
    private readonly kind: "packets" | "bytes",
    private readonly sink: PacketSink,
    private readonly maxLength = 4 * 1024 * 1024,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.state === "prefix") {
        const n = Math.min(PREFIX - this.prefixHave, chunk.length - at);
        chunk.copy(this.prefix, this.prefixHave, at, at + n);
        this.prefixHave += n;
        at += n;
        if (this.prefixHave === PREFIX) this.startMessage();
        continue;
      }
      const n = Math.min(this.remaining, chunk.length - at);
      const piece = chunk.subarray(at, at + n);
      at += n;
      this.remaining -= n;
      if (this.state === "data") {
        this.sink.data(this.dataId, piece);
        if (this.remaining === 0) this.state = "prefix";
        continue;
      }
      this.parts.push(piece);
      this.have += n;
      if (this.remaining === 0) this.endWhole();
      else if (this.state === "head") this.tryStream();
    }
  }

  /** True between messages: the bytes so far ended exactly at a message's end. */
  atBoundary(): boolean {
    return this.state === "prefix" && this.prefixHave === 0;
  }

  private startMessage(): void {
    this.prefixHave = 0;
    if (this.prefix[0] !== 0)
      throw new PacketDecodeError("a message is compressed, which mbake did not ask for");
    this.length = this.prefix.readUInt32BE(1);
    if (this.length > this.maxLength)
      throw new PacketDecodeError(`a message of ${this.length} bytes (at most ${this.maxLength})`);
    this.remaining = this.length;
    this.parts = [];
    this.have = 0;
    this.state = "head";
    if (this.length === 0) this.endWhole();
  }

  /** Streams the rest of the message once its start shows it is a DATA packet. */
  private tryStream(): void {
    const first = this.parts[0] as Buffer;
    const head =
      this.parts.length === 1 || first.length >= HEAD_MAX
        ? first.subarray(0, HEAD_MAX)
        : Buffer.concat(this.parts, Math.min(this.have, HEAD_MAX));
    const found = dataStart(head, this.length, this.kind);
    if (found === "more") return;
    if (found === null) {
      this.state = "whole";
      return;
    }
    this.dataId = found.id;
    this.state = "data";
    let skip = found.start;
    for (const p of this.parts) {
      if (skip >= p.length) {
        skip -= p.length;
        continue;
      }
      this.sink.data(this.dataId, p.subarray(skip));
      skip = 0;
    }
    this.parts = [];
  }

  private endWhole(): void {
    const buf =
      this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.have);
    this.parts = [];
    this.state = "prefix";
    deliverMessage(this.kind, buf, this.sink);
  }
}

/** Hands one whole message (without gRPC's prefix) to `sink`, as PacketStream does. */
export function deliverMessage(kind: "packets" | "bytes", buf: Buffer, sink: PacketSink): void {
  if (kind === "bytes") {
    const data = decodeBytesMessage(buf);
    if (data.length > 0) sink.data(0, data);
    return;
  }
  const p = decodePacket(buf);
  if (p.type === PacketType.DATA && p.data.length > 0) sink.data(p.id, p.data);
  else sink.packet(p);
}
