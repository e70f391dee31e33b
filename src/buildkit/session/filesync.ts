/**
 * FileSync.DiffCopy: sends a local folder (the build context, the Dockerfile's folder)
 * to the daemon with fsutil's packet protocol. Every entry's STAT goes first, in
 * fsutil's walk order; then files are streamed in chunks when the daemon asks (REQ).
 */
import { createHash } from "node:crypto";
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from "node:fs";
import { join, posix, resolve } from "node:path";
import { setImmediate } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { traceClock, tracePhase } from "../../support/trace.js";
import { fileSyncDefinition } from "../api/services.js";
import { BufferPool } from "./buffer-pool.js";
import { frameInPlace, GRPC_PREFIX, sendFramedAsIs } from "./framed-send.js";
import { goFileMode, PacketType, type StatMessage, statMessage } from "./fsutil.js";
import { IgnoreMatcher } from "./ignore.js";
import { PacedWriter } from "./paced-writer.js";
import {
  DATA_HEADER_ROOM,
  dataPacket,
  dataPacketAround,
  encodeControlPacket,
  encodeDataPacket,
  encodeStatPacket,
} from "./packet-encode.js";
import { metadataValues, type SessionService } from "./service.js";

export type SyncDir =
  | { readonly kind: "fs"; readonly path: string }
  | {
      readonly kind: "memory";
      readonly files: Readonly<
        Record<string, { readonly data: Uint8Array; readonly mode?: number }>
      >;
    };

/** A packet from the daemon (REQ, FIN, ERR), as decoded. */
interface Packet {
  type: number;
  stat?: StatMessage | null;
  ID: number;
  data: Buffer;
}

const EMPTY = Buffer.alloc(0);

interface Entry {
  readonly stat: StatMessage;
  readonly source: { kind: "fs"; path: string } | { kind: "memory"; data: Uint8Array } | undefined;
}

/** Bytes per DATA packet: well under gRPC's 4 MiB message limit, few packets per file. */
const CHUNK = 1024 * 1024;

/** Whether a directory could contain something an include pattern selects. */
function mayContainIncluded(dir: string, includes: readonly string[]): boolean {
  return includes.some((inc) => {
    const clean = inc.replace(/^\/+/, "");
    return clean.startsWith(`${dir}/`) || clean.includes("*") || clean === dir;
  });
}

/**
 * fsutil's followpaths: these paths are included, and where one is a symlink inside
 * the folder, what it points to as well (the frontend loads .dockerignore this way).
 */
export function followPaths(root: string, paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const start of paths) {
    let rel = posix.normalize(start.replace(/^\/+/, ""));
    for (let hops = 0; hops < 255; hops++) {
      if (rel === "." || rel.startsWith("../") || out.has(rel)) break;
      out.add(rel);
      let target: string;
      try {
        if (!lstatSync(join(root, rel)).isSymbolicLink()) break;
        target = readlinkSync(join(root, rel));
      } catch {
        break;
      }
      rel = posix.normalize(
        target.startsWith("/") ? target.slice(1) : posix.join(posix.dirname(rel), target),
      );
    }
  }
  return [...out];
}

/**
 * A file made in memory (the Dockerfile) has no mtime of its own; the daemon keeps what a
 * session sent under the session's shared key and, like fsutil, skips a file whose size and
 * mtime it already holds. A fixed mtime made a Dockerfile of the same size as the last one
 * sent from this folder build with the last one's text: the mtime comes from the content.
 */
function contentTime(data: Uint8Array): string {
  const digest = createHash("sha256").update(data).digest();
  // 48 bits of the digest as nanoseconds: positive, within Go's int64, distinct per content.
  return String(digest.readUIntBE(0, 6));
}

/** The entries of a folder made in memory, in name order. */
function memoryEntries(
  files: Extract<SyncDir, { kind: "memory" }>["files"],
  include: IgnoreMatcher | undefined,
  exclude: IgnoreMatcher,
): Entry[] {
  const out: Entry[] = [];
  for (const name of Object.keys(files).sort()) {
    if (exclude.matches(name) || (include && !include.matches(name))) continue;
    const f = files[name]!;
    out.push({
      stat: {
        path: name,
        mode: goFileMode(0o100000 | (f.mode ?? 0o644)),
        uid: 0,
        gid: 0,
        size: String(f.data.length),
        modTime: contentTime(f.data),
        linkname: "",
        devmajor: "0",
        devminor: "0",
        xattrs: {},
      },
      source: { kind: "memory", data: f.data },
    });
  }
  return out;
}

function readNames(abs: string): string[] {
  let names: string[];
  try {
    names = readdirSync(abs);
  } catch (err) {
    throw new Error(`cannot read ${abs}: ${(err as Error).message}`);
  }
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The entries of a folder on disk as they are found, so the first go out while the rest
 * are listed. A directory kept only to reach included files waits until something inside
 * it is sent, and is dropped if nothing is.
 */
function* fsEntries(
  root: string,
  includes: readonly string[],
  include: IgnoreMatcher | undefined,
  exclude: IgnoreMatcher,
): Generator<Entry> {
  const pending: Entry[] = [];
  function* walk(abs: string, rel: string): Generator<Entry> {
    // Joined by hand: `abs` is already clean, and path.join per entry showed in profiles.
    const prefix = abs.endsWith("/") ? abs : `${abs}/`;
    for (const name of readNames(abs)) {
      const childAbs = prefix + name;
      const childRel = rel ? `${rel}/${name}` : name;
      const st = lstatSync(childAbs, { bigint: true });
      // Sockets, pipes and devices are not build context: the daemon refuses them.
      if (!st.isDirectory() && !st.isFile() && !st.isSymbolicLink()) continue;
      const isDir = st.isDirectory();
      const excluded = exclude.matches(childRel);
      if (excluded && !(isDir && exclude.hasExclusions)) continue;
      const selected = !include || include.matches(childRel);
      if (!selected && !(isDir && include && mayContainIncluded(childRel, includes))) continue;
      let entry: Entry | undefined;
      if (!excluded && (selected || isDir)) {
        const link = st.isSymbolicLink() ? readlinkSync(childAbs) : "";
        entry = {
          stat: statMessage(childRel, st, link),
          source: st.isFile() ? { kind: "fs", path: childAbs } : undefined,
        };
        if (selected) {
          yield* pending.splice(0);
          yield entry;
        } else pending.push(entry);
      }
      if (!isDir) continue;
      yield* walk(childAbs, childRel);
      if (entry && pending.at(-1) === entry) pending.pop();
    }
  }
  yield* walk(resolve(root), "");
}

/** The entries to send, in fsutil's order (each directory's names sorted, depth first), as they are found. */
export function entries(
  dir: SyncDir,
  includes: readonly string[],
  excludes: readonly string[],
): Iterable<Entry> {
  const exclude = new IgnoreMatcher(excludes);
  const include = includes.length > 0 ? new IgnoreMatcher(includes) : undefined;
  return dir.kind === "memory"
    ? memoryEntries(dir.files, include, exclude)
    : fsEntries(dir.path, includes, include, exclude);
}

/** All the entries to send, in fsutil's order. */
export function listEntries(
  dir: SyncDir,
  includes: readonly string[],
  excludes: readonly string[],
): Entry[] {
  return [...entries(dir, includes, excludes)];
}

/** The entries of `dir` the daemon asked for through the call's metadata. */
function requestedEntries(md: grpc.Metadata, dir: SyncDir): Iterable<Entry> {
  const follow = metadataValues(md, "followpaths");
  const includes = [
    ...metadataValues(md, "include-patterns"),
    ...(follow.length > 0 && dir.kind === "fs" ? followPaths(dir.path, follow) : follow),
  ];
  return entries(dir, includes, metadataValues(md, "exclude-patterns"));
}

function changedWhileSent(path: string, now: number, listed: number): Error {
  return new Error(
    `the context file ${path} changed while it was sent: it has ${now} bytes now, ${listed} when listed; build again once the context folder is not being written to`,
  );
}

/** Opens a listed file to send it; one deleted since the listing is named in the error. */
function openListed(abs: string, path: string): number {
  try {
    return openSync(abs, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === "ENOENT"
        ? `the context file ${path} changed while it was sent: it is gone; build again once the context folder is not being written to`
        : `cannot read the context file ${path}: ${(err as Error).message}`,
    );
  }
}

/** Bytes written to the call and not yet taken by HTTP/2 at which the sender waits. */
const IN_FLIGHT = 4 * CHUNK;
/** Reads of more than this go into pooled buffers of CHUNK bytes (at most half of one unused). */
const POOLED_READ = CHUNK / 2;
/** Where a pooled read goes: after room for the DATA header and gRPC's prefix (sent as it lies). */
const READ_AT = GRPC_PREFIX + DATA_HEADER_ROOM;
/** Entries listed between two turns of the event loop (to take the daemon's requests and send). */
const SLICE = 512;

/**
 * One DiffCopy of a folder: sends every entry's stat as it is listed, and each file the
 * daemon asks for (REQ) as soon as it asks, until it says FIN, ends the call or cancels
 * it. Nothing waits for the network per packet: packets are written as they are made,
 * and the sender waits only while more than IN_FLIGHT bytes are not taken yet.
 */
class DiffCopySender {
  private cancelled = false;
  private finished = false;
  /** The entries listed so far: a REQ names one by its index. */
  private readonly listed: Entry[] = [];
  /** File IDs the daemon asked for and has not received yet (from `next` on). */
  private readonly requests: number[] = [];
  private next = 0;
  private asked = 0;
  private wake: (() => void) | undefined;
  private readonly out: PacedWriter;
  /** Read buffers of large chunks: as many as can be in flight, and one being filled. */
  private readonly buffers = new BufferPool(READ_AT + CHUNK, IN_FLIGHT / CHUNK + 2);

  constructor(
    private readonly call: grpc.ServerDuplexStream<Packet, Buffer>,
    private readonly name: string,
    private readonly source: Iterable<Entry>,
    private readonly onError: (err: Error) => void,
  ) {
    this.out = new PacedWriter(call, IN_FLIGHT);
    sendFramedAsIs(call);
  }

  start(): void {
    const call = this.call;
    call.on("cancelled", () => {
      this.cancelled = true;
      this.out.stop();
      this.wake?.();
    });
    call.on("data", (p: Packet) => this.onPacket(p));
    call.on("end", () => {
      this.finished = true;
      this.wake?.();
    });
    this.run().catch((err: Error) => {
      this.onError(err);
      call.emit("error", { code: grpc.status.INTERNAL, details: err.message });
    });
  }

  private onPacket(p: Packet): void {
    if (p.type === PacketType.REQ) this.requests.push(p.ID);
    else if (p.type === PacketType.FIN) this.finished = true;
    else if (p.type === PacketType.ERR) {
      this.finished = true;
      this.onError(
        new Error(
          `the daemon reported an error while receiving "${this.name}": ${p.data.toString("utf8")}`,
        ),
      );
    }
    this.wake?.();
  }

  private async run(): Promise<void> {
    const start = traceClock();
    let sinceTurn = 0;
    for (const entry of this.source) {
      if (this.cancelled) return;
      this.listed.push(entry);
      this.out.write(encodeStatPacket(entry.stat));
      if (++sinceTurn < SLICE && !this.out.full) continue;
      sinceTurn = 0;
      // A turn of the event loop: what was written goes out, the daemon's REQs come in.
      if (this.out.full) await this.out.room();
      else await setImmediate();
      await this.serveRequests();
    }
    this.out.write(encodeStatPacket());
    tracePhase(`list "${this.name}" (${this.listed.length} entries)`, start);
    for (;;) {
      await this.serveRequests();
      if (this.finished || this.cancelled) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
    if (!this.cancelled) {
      this.out.write(encodeControlPacket(PacketType.FIN));
      this.call.end();
    }
    tracePhase(`send "${this.name}" (${this.asked} files asked for)`, start);
  }

  /** Sends the files asked for so far, each ended by an empty DATA packet. */
  private async serveRequests(): Promise<void> {
    while (this.next < this.requests.length && !this.cancelled) {
      const id = this.requests[this.next++]!;
      this.asked++;
      await this.sendContent(id, this.listed[id]);
      this.out.write(encodeDataPacket(id, EMPTY));
      if (this.out.full) await this.out.room();
    }
    this.requests.length = 0;
    this.next = 0;
  }

  /**
   * Reads up to `size` bytes of a file at its current position and writes them as one
   * DATA packet; returns how many were read (0: none left). A large read goes into a
   * pooled buffer, given back only once HTTP/2 took the packet: grpc-js or HTTP/2 may
   * still hold the packet until then, and the next read would write over its bytes.
   * A small one gets a packet sized to it: 50,000 small files need no 1 MiB buffers.
   */
  private sendChunk(fd: number, id: number, size: number): number {
    if (size > POOLED_READ) {
      const buf = this.buffers.take();
      const n = readSync(fd, buf, READ_AT, size, null);
      if (n === 0) this.buffers.give(buf);
      else
        this.out.write(frameInPlace(dataPacketAround(buf, READ_AT, id, n)), () =>
          this.buffers.give(buf),
        );
      return n;
    }
    const { packet, offset } = dataPacket(id, size);
    const n = readSync(fd, packet, offset, size, null);
    if (n > 0)
      this.out.write(
        n === size ? packet : encodeDataPacket(id, packet.subarray(offset, offset + n)),
      );
    return n;
  }

  /** The content of one requested entry as DATA packets (the empty one that ends it is not sent here). */
  private async sendContent(id: number, entry: Entry | undefined): Promise<void> {
    if (entry?.source?.kind === "fs") {
      // Synchronous reads: a thread-pool round trip per chunk (createReadStream)
      // cost more than the read itself, and the budget of bytes in flight paces us anyway.
      // What was listed is what is sent: a file that grew since is sent at its listed size
      // (the daemon was told that size); one that is gone or shrank cannot be, and says so.
      const listed = Number(entry.stat.size);
      const fd = openListed(entry.source.path, entry.stat.path);
      let remaining = listed;
      try {
        while (remaining > 0 && !this.cancelled) {
          const n = this.sendChunk(fd, id, Math.min(CHUNK, remaining));
          if (n === 0) throw changedWhileSent(entry.stat.path, listed - remaining, listed);
          remaining -= n;
          if (this.out.full) await this.out.room();
        }
      } finally {
        closeSync(fd);
      }
    } else if (entry?.source?.kind === "memory") {
      for (let i = 0; i < entry.source.data.length; i += CHUNK) {
        this.out.write(encodeDataPacket(id, entry.source.data.subarray(i, i + CHUNK)));
        if (this.out.full) await this.out.room();
      }
    }
  }
}

/** Serves FileSync.DiffCopy for named folders ("context", "dockerfile", named contexts). */
export function fileSyncService(
  dirs: Readonly<Record<string, SyncDir>>,
  onError: (err: Error) => void = () => {},
): SessionService {
  const diffCopy = (call: grpc.ServerDuplexStream<Packet, Buffer>) => {
    const name = metadataValues(call.metadata, "dir-name")[0] ?? "";
    const dir = dirs[name];
    if (!dir) {
      call.emit("error", {
        code: grpc.status.NOT_FOUND,
        details: `no access allowed to dir "${name}"`,
      });
      return;
    }
    let source: Iterable<Entry>;
    try {
      source = requestedEntries(call.metadata, dir);
    } catch (err) {
      onError(err as Error);
      call.emit("error", { code: grpc.status.INTERNAL, details: (err as Error).message });
      return;
    }
    new DiffCopySender(call, name, source, onError).start();
  };
  const unsupported = (call: grpc.ServerDuplexStream<Packet, Packet>) => {
    call.emit("error", {
      code: grpc.status.UNIMPLEMENTED,
      details: "TarStream is not served by mbake",
    });
  };
  return {
    name: "moby.filesync.v1.FileSync",
    definition: fileSyncDefinition,
    implementation: { DiffCopy: diffCopy, TarStream: unsupported },
  };
}
