import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Duplex } from "node:stream";
import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { asObject, Packet } from "../../../src/buildkit/api/services.js";
import {
  fileSyncService,
  followPaths,
  listEntries,
} from "../../../src/buildkit/session/filesync.js";
import { PacketType } from "../../../src/buildkit/session/fsutil.js";

describe("FileSync followpaths", () => {
  it("follows symlinked followpaths to their targets inside the folder", () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-follow-"));
    mkdirSync(join(dir, "config"));
    writeFileSync(join(dir, "config", "ignore"), "*.log\n");
    symlinkSync("config/ignore", join(dir, ".dockerignore"));
    symlinkSync("/etc/passwd", join(dir, "outside"));
    writeFileSync(join(dir, "big.bin"), "x".repeat(1000));
    expect(followPaths(dir, [".dockerignore", "missing"]).sort()).toEqual(
      [".dockerignore", "config/ignore", "missing"].sort(),
    );
    const sent = listEntries({ kind: "fs", path: dir }, followPaths(dir, [".dockerignore"]), []);
    expect(sent.map((e) => e.stat.path)).toEqual([".dockerignore", "config", "config/ignore"]);
    // An absolute link target is taken inside the folder, never outside it.
    expect(followPaths(dir, ["outside"])).toEqual(["outside", "etc/passwd"]);
  });
});

describe("files made in memory (the Dockerfile)", () => {
  it("carry an mtime that changes with their content, so the daemon never keeps a stale one", () => {
    const mtime = (text: string) =>
      listEntries(
        { kind: "memory", files: { Dockerfile: { data: Buffer.from(text) } } },
        [],
        [],
      )[0]!.stat.modTime;
    expect(mtime("RUN echo aa\n")).not.toBe(mtime("RUN echo bb\n"));
    expect(mtime("RUN echo aa\n")).toBe(mtime("RUN echo aa\n"));
    expect(BigInt(String(mtime("x")))).toBeGreaterThan(0n);
  });
});

describe("include patterns", () => {
  it("send a directory kept only to reach included files once something inside it is included, never an empty one", () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-include-"));
    for (const d of ["src/app", "src/empty/deeper", "docs"])
      mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, "src", "app", "main.go"), "package main\n");
    writeFileSync(join(dir, "src", "app", "notes.md"), "notes\n");
    writeFileSync(join(dir, "src", "empty", "deeper", "x.md"), "x\n");
    writeFileSync(join(dir, "docs", "y.md"), "y\n");
    writeFileSync(join(dir, "top.go"), "package top\n");
    const sent = listEntries({ kind: "fs", path: dir }, ["**/*.go"], []).map((e) => e.stat.path);
    expect(sent).toEqual(["src", "src/app", "src/app/main.go", "top.go"]);
  });
});

describe("include patterns with excluded directories walked for exceptions", () => {
  it("a directory that holds nothing to send takes nothing else out of the listing", () => {
    // `kept/` is excluded but walked (an exception could bring something inside back);
    // nothing inside is sent, and the file listed before it stays listed.
    const dir = mkdtempSync(join(tmpdir(), "mbake-include-excluded-"));
    mkdirSync(join(dir, "e", "f"), { recursive: true });
    mkdirSync(join(dir, "kept"));
    writeFileSync(join(dir, "e", "f", "a.txt"), "a\n");
    writeFileSync(join(dir, "e", "f", "b.txt"), "b\n");
    writeFileSync(join(dir, "kept", "c.txt"), "c\n");
    const sent = listEntries({ kind: "fs", path: dir }, ["e", "kept/c*.md"], ["*", "!e/f"]);
    expect(sent.map((e) => e.stat.path)).toEqual(["e/f", "e/f/a.txt", "e/f/b.txt"]);
  });
});

/**
 * A DiffCopy call whose HTTP/2 side takes each message a turn of the event loop after it
 * was written, one at a time, as a busy connection does. A message is copied when it is
 * taken (its write callback): that is what goes over the wire. It plays the daemon too:
 * asks for every file once the listing is in, and says FIN once every file came.
 */
class SlowCall extends Duplex {
  readonly metadata = new grpc.Metadata();
  /** Paths by file ID, and the bytes received for each. */
  readonly paths: string[] = [];
  readonly received: Buffer[][] = [];
  private readonly queue: { message: Buffer; done: () => void }[] = [];
  private filesDone = 0;
  private taking = false;
  /** Why a message taken was not a packet of the files sent (its bytes written over). */
  broken: Error | undefined;

  constructor() {
    super({ objectMode: true });
    this.metadata.set("dir-name", "context");
  }

  override _read(): void {}

  override _write(message: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.queue.push({ message, done });
    this.takeLater();
  }

  private takeLater(): void {
    if (this.taking) return;
    this.taking = true;
    setImmediate(() => {
      this.taking = false;
      const { message, done } = this.queue.shift()!;
      try {
        this.onPacket(Buffer.from(message));
      } catch (e) {
        this.broken = e as Error;
        this.emit("finish");
        return;
      }
      done();
      if (this.queue.length > 0) this.takeLater();
    });
  }

  private onPacket(bytes: Buffer): void {
    const p = Packet.toObject(Packet.decode(bytes), asObject) as {
      type: number;
      ID: number;
      stat: { path: string } | null;
      data: Uint8Array;
    };
    const ask = (type: number, ID = 0) => this.push({ type, ID, data: Buffer.alloc(0) });
    if (p.type === PacketType.STAT && p.stat) {
      this.paths.push(p.stat.path);
      this.received.push([]);
    } else if (p.type === PacketType.STAT) {
      for (let id = 0; id < this.paths.length; id++) ask(PacketType.REQ, id);
    } else if (p.type === PacketType.DATA && p.data.length > 0) {
      const file = this.received[p.ID];
      if (!file) throw new Error(`DATA for file ${p.ID}, which was not listed`);
      file.push(Buffer.from(p.data));
    } else if (p.type === PacketType.DATA && ++this.filesDone === this.paths.length) {
      ask(PacketType.FIN);
    }
  }
}

describe("file contents sent while HTTP/2 still holds earlier packets", () => {
  it("arrive byte for byte, each chunk read into a buffer nothing else still holds", async () => {
    // Distinct random bytes everywhere: a read buffer reused before HTTP/2 took its packet
    // would send another chunk's bytes. More than the 4 MiB the sender lets be in flight.
    const dir = mkdtempSync(join(tmpdir(), "mbake-slow-call-"));
    const MiB = 1024 * 1024;
    const sizes = {
      "a.bin": 5 * MiB + 12_345,
      "b.bin": 700 * 1024,
      "c.bin": 100_000,
      "d.bin": 2 * MiB,
    };
    for (const [name, size] of Object.entries(sizes))
      writeFileSync(join(dir, name), randomBytes(size));
    try {
      const call = new SlowCall();
      const ended = new Promise((resolve) => call.on("finish", resolve));
      fileSyncService({ context: { kind: "fs", path: dir } }).implementation.DiffCopy!(
        call as never,
        () => {},
      );
      await ended;
      expect(call.broken).toBeUndefined();
      expect(call.paths).toEqual(Object.keys(sizes));
      call.paths.forEach((name, id) => {
        const sent = Buffer.concat(call.received[id]!);
        expect(sent.length, name).toBe(sizes[name as keyof typeof sizes]);
        expect(sent.equals(readFileSync(join(dir, name))), `${name} arrived as it is on disk`).toBe(
          true,
        );
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
