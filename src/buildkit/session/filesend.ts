/**
 * FileSend.DiffCopy: receives a `local` output (an fsutil packet stream: mbake asks
 * for each file) or a `tar` output (raw bytes) into a staging place of the destination
 * (see output-dest.ts). commit() moves what was received into place after the solve
 * succeeded, leaving every other file alone; discard() removes only what mbake made,
 * so a failed or cancelled build leaves no half output.
 */

import {
  chmodSync,
  createWriteStream,
  mkdirSync,
  symlinkSync,
  utimesSync,
  type WriteStream,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type * as grpc from "@grpc/grpc-js";
import { isGoDir, isGoRegular, isGoSymlink, PacketType, unixPermissions } from "./fsutil.js";
import { type StagedDest, stageLocalDest, stageTarDest } from "./output-dest.js";
import { type Reading, readPackets } from "./output-packets.js";
import { type DecodedPacket, PacketDecodeError } from "./packet-decode.js";
import { encodeControlPacket } from "./packet-encode.js";
import type { SessionService } from "./service.js";

const passthrough = (b: Buffer) => b;
const definition: grpc.ServiceDefinition = {
  DiffCopy: {
    path: "/moby.filesync.v1.FileSend/DiffCopy",
    requestStream: true,
    responseStream: true,
    requestSerialize: passthrough,
    requestDeserialize: passthrough,
    responseSerialize: passthrough,
    responseDeserialize: passthrough,
  },
};

export interface OutputReceiver {
  readonly service: SessionService;
  /** Moves the received output into place. */
  commit(): void;
  /** Removes whatever was received. */
  discard(): void;
  /** Why writing the output failed, if it did (disk full, not writable). */
  failure(): Error | undefined;
  /** Resolves when the daemon finished sending. */
  readonly done: Promise<void>;
}

/** How one output transfer ends: settles `done` and keeps why writing failed, if it did. */
class TransferOutcome {
  readonly done: Promise<void>;
  failure: Error | undefined;
  private settle: { resolve: () => void; reject: (e: Error) => void } = {
    resolve: () => {},
    reject: () => {},
  };

  constructor(private readonly dest: string) {
    this.done = new Promise<void>((res, rej) => {
      this.settle = { resolve: res, reject: rej };
    });
    this.done.catch(() => {});
  }

  resolve(): void {
    this.settle.resolve();
  }

  reject(e: Error): void {
    this.settle.reject(e);
  }

  /** Reading the daemon's packets failed: a malformed one, or writing what it said. */
  malformed(call: grpc.ServerDuplexStream<Buffer, Buffer>, e: unknown): void {
    if (!(e instanceof PacketDecodeError)) {
      this.writeFailed(call, e as NodeJS.ErrnoException);
      return;
    }
    const err = new Error(`the daemon sent a malformed output to ${this.dest}: ${e.message}`);
    this.settle.reject(err);
    call.destroy(err);
  }

  /** A write to the destination failed (disk full, not writable): the output is abandoned. */
  writeFailed(call: grpc.ServerDuplexStream<Buffer, Buffer>, e: NodeJS.ErrnoException): void {
    const why =
      e.code === "ENOSPC"
        ? "no space left on the device"
        : e.code === "EACCES" || e.code === "EPERM"
          ? "permission denied"
          : e.code === "EROFS"
            ? "read-only file system"
            : e.message;
    const err = new Error(
      `cannot write the output to ${this.dest}: ${why}${e.code ? ` (${e.code})` : ""}`,
    );
    this.failure ??= err;
    this.settle.reject(err);
    call.destroy(err);
  }
}

/**
 * Bytes received but not yet written that a file may hold before the daemon is asked to
 * wait. While one write is under way the next messages queue up, and go to the file in
 * one writev: with Node's 16 KiB, nearly every 32 KiB message stopped and restarted the
 * session's stream and was written on its own.
 */
const WRITE_AHEAD = 4 * 1024 * 1024;

/**
 * Files of at most this many bytes are gathered in memory and written at once on this
 * thread: a stream costs each file three trips to Node's thread pool (open, write,
 * close), and most of 20,000 small files' time went there.
 */
const SMALL_FILE = 64 * 1024;

/** Receives a `tar` output: raw bytes written to the staged file, or to stdout without one. */
function receiveTar(
  call: grpc.ServerDuplexStream<Buffer, Buffer>,
  outcome: TransferOutcome,
  staged: StagedDest | undefined,
  stdout: NodeJS.WritableStream,
): void {
  let out: NodeJS.WritableStream;
  if (!staged) out = stdout;
  else {
    try {
      const file = createWriteStream(staged.stagingPath(), { highWaterMark: WRITE_AHEAD });
      file.on("error", (e: NodeJS.ErrnoException) => outcome.writeFailed(call, e));
      out = file;
    } catch (e) {
      outcome.reject(e as Error);
      call.destroy(e as Error);
      return;
    }
  }
  const reading: Reading = readPackets(
    call,
    "bytes",
    {
      data: (_id, bytes) => {
        if (!out.write(bytes)) reading.holdUntilDrained(out);
      },
      packet: () => {},
    },
    (e) => outcome.malformed(call, e),
  );
  call.on("end", () => {
    call.end();
    if (out === stdout) outcome.resolve();
    // A failed write calls this back with its error before the "error" event: only that
    // event settles the transfer then (as failed), or the output would pass as written.
    else
      (out as WriteStream).end((err?: Error | null) => {
        if (!err) outcome.resolve();
      });
  });
  call.on("error", (e: Error) => outcome.reject(e));
}

interface PendingFile {
  id: number;
  path: string;
  mode: number;
  mtimeNs: bigint;
}

interface PendingDir {
  path: string;
  mode: number;
  mtimeNs: bigint;
}

/** Sets a path's access and modification times from nanoseconds since the epoch. */
function setMtime(path: string, mtimeNs: bigint): void {
  const t = Number(mtimeNs / 1_000_000n) / 1000;
  utimesSync(path, t, t);
}

/**
 * Receives a `local` output into the staging folder: the daemon sends every entry's stat,
 * then mbake asks for each regular file's content one at a time and ends with FIN.
 */
class LocalReceiver {
  private readonly files: PendingFile[] = [];
  private readonly dirs: PendingDir[] = [];
  /** Symlinks received so far, as clean relative paths: nothing may be written below one. */
  private readonly links = new Set<string>();
  private nextId = 0;
  private statsDone = false;
  /** The file being received: its first bytes gathered, then (past SMALL_FILE) a stream. */
  private current:
    | (PendingFile & { pieces: Buffer[]; held: number; stream?: WriteStream })
    | undefined;
  /** Folders made (or found) for files so far: each is made once. */
  private readonly madeDirs = new Set<string>();
  private finSent = false;
  private reading: Reading | undefined;

  constructor(
    private readonly call: grpc.ServerDuplexStream<Buffer, Buffer>,
    private readonly temp: string,
    private readonly outcome: TransferOutcome,
  ) {}

  start(): void {
    const call = this.call;
    this.reading = readPackets(
      call,
      "packets",
      { data: (id, bytes) => this.onData(id, bytes), packet: (p) => this.onPacket(p) },
      (e) => this.outcome.malformed(call, e),
    );
    call.on("end", () => this.outcome.resolve());
    call.on("error", (e: Error) => this.outcome.reject(e));
  }

  private send(type: number, id = 0): void {
    this.call.write(encodeControlPacket(type, id));
  }

  /** Asks for the next file's content, or, once every stat and file arrived, sends FIN. */
  private next(): void {
    if (this.current) return;
    const f = this.files.shift();
    if (f) {
      this.current = { ...f, pieces: [], held: 0 };
      this.send(PacketType.REQ, f.id);
      return;
    }
    if (this.statsDone && !this.finSent) {
      this.finSent = true;
      this.applyDirMetadata();
      this.send(PacketType.FIN);
    }
  }

  /** Directory modes and mtimes go last (deepest first): writing files inside changes them. */
  private applyDirMetadata(): void {
    for (const d of this.dirs.reverse()) {
      try {
        chmodSync(join(this.temp, d.path), unixPermissions(d.mode));
        setMtime(join(this.temp, d.path), d.mtimeNs);
      } catch {
        // best effort for directory metadata
      }
    }
  }

  private onPacket(p: DecodedPacket): void {
    switch (p.type) {
      case PacketType.STAT:
        this.onStat(p);
        return;
      case PacketType.DATA:
        this.onData(p.id, p.data);
        return;
      case PacketType.FIN:
        this.call.end();
        this.outcome.resolve();
        return;
      case PacketType.ERR:
        this.outcome.reject(
          new Error(`the daemon failed while sending the output: ${p.data.toString("utf8")}`),
        );
        return;
    }
  }

  /** One entry's stat: makes directories and symlinks now, queues regular files. */
  private onStat(p: DecodedPacket): void {
    if (!p.stat?.path) {
      this.statsDone = true;
      this.next();
      return;
    }
    const thisId = this.nextId++;
    const rel = p.stat.path;
    // No "..", and nothing at or below a symlink the daemon sent (writing a file there,
    // or setting a folder's mode, would follow it): a write never leaves the staging folder.
    const parts = rel.split("/").filter((x) => x !== "" && x !== ".");
    let underLink = false;
    for (let i = 1; i <= parts.length && this.links.size > 0 && !underLink; i++)
      underLink = this.links.has(parts.slice(0, i).join("/"));
    if (parts.includes("..") || underLink) {
      this.outcome.reject(new Error(`the daemon sent an unsafe path "${rel}"`));
      this.call.destroy();
      return;
    }
    const abs = join(this.temp, rel);
    const mtimeNs = p.stat.modTime;
    if (isGoDir(p.stat.mode)) {
      mkdirSync(abs, { recursive: true });
      this.dirs.push({ path: rel, mode: p.stat.mode, mtimeNs });
    } else if (isGoSymlink(p.stat.mode)) {
      mkdirSync(dirname(abs), { recursive: true });
      symlinkSync(p.stat.linkname, abs);
      this.links.add(parts.join("/"));
    } else if (isGoRegular(p.stat.mode)) {
      const dir = dirname(abs);
      if (!this.madeDirs.has(dir)) {
        mkdirSync(dir, { recursive: true });
        this.madeDirs.add(dir);
      }
      this.files.push({ id: thisId, path: rel, mode: p.stat.mode, mtimeNs });
    }
  }

  /** A chunk of the file being received; an empty one ends it. */
  private onData(id: number, data: Buffer): void {
    const current = this.current;
    if (!current || id !== current.id) return;
    if (data.length > 0) {
      if (!current.stream && current.held + data.length <= SMALL_FILE) {
        current.pieces.push(data);
        current.held += data.length;
        return;
      }
      const stream = current.stream ?? this.openStream(current);
      if (!stream.write(data)) this.reading?.holdUntilDrained(stream);
      return;
    }
    this.current = undefined;
    if (current.stream) {
      current.stream.end(() => this.fileDone(current));
      return;
    }
    const { pieces } = current;
    writeFileSync(
      join(this.temp, current.path),
      pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces),
      // "wx": created here, never written through anything already at that path (a link).
      { mode: unixPermissions(current.mode), flag: "wx" },
    );
    this.fileDone(current);
  }

  /** A stream for a file larger than SMALL_FILE, given the bytes gathered so far. */
  private openStream(current: PendingFile & { pieces: Buffer[]; stream?: WriteStream }) {
    const stream = createWriteStream(join(this.temp, current.path), {
      mode: unixPermissions(current.mode),
      flags: "wx",
      highWaterMark: WRITE_AHEAD,
    }).on("error", (e: NodeJS.ErrnoException) => this.outcome.writeFailed(this.call, e));
    for (const piece of current.pieces) stream.write(piece);
    current.pieces = [];
    current.stream = stream;
    return stream;
  }

  private fileDone(file: PendingFile): void {
    try {
      setMtime(join(this.temp, file.path), file.mtimeNs);
    } catch {
      // keep going: mtimes are best effort
    }
    this.next();
  }
}

/** Receives one `local` (folder) or `tar` (file, or "-" for stdout) output. */
export function receiveOutput(
  kind: "local" | "tar",
  dest: string,
  stdout: NodeJS.WritableStream = process.stdout,
): OutputReceiver {
  const staged =
    dest === "-" ? undefined : kind === "tar" ? stageTarDest(dest) : stageLocalDest(dest);
  const outcome = new TransferOutcome(dest);
  let received = false;
  /** The transfer under way: ended by discard(), so nothing is written after it. */
  let active: grpc.ServerDuplexStream<Buffer, Buffer> | undefined;
  let discarded = false;

  const handleTar = (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
    if (discarded) return void call.destroy(new Error("the output was discarded"));
    received = true;
    active = call;
    receiveTar(call, outcome, staged, stdout);
  };
  const handleLocal = (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
    if (discarded) return void call.destroy(new Error("the output was discarded"));
    received = true;
    active = call;
    let temp: string;
    try {
      if (!staged) throw new Error("a local output needs a folder");
      temp = staged.stagingPath();
    } catch (e) {
      outcome.reject(e as Error);
      call.destroy(e as Error);
      return;
    }
    new LocalReceiver(call, temp, outcome).start();
  };

  const service: SessionService = {
    name: "moby.filesync.v1.FileSend",
    definition,
    implementation: { DiffCopy: kind === "tar" ? handleTar : handleLocal },
  };
  return {
    service,
    done: outcome.done,
    failure: () => outcome.failure,
    commit() {
      if (received) staged?.commit();
    },
    discard() {
      discarded = true;
      active?.destroy();
      staged?.discard();
    },
  };
}
