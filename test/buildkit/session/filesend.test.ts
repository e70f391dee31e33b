/**
 * Outputs received over real gRPC from a daemon played by the test: it lists the
 * entries, answers each file request with 32 KiB DATA packets as fsutil does, and ends
 * when mbake sends FIN. The HTTP/2 layer cuts them in frames of 16 KiB, as the daemon's.
 */
import { randomBytes } from "node:crypto";
import {
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { FileSendBytes, Packet } from "../../../src/buildkit/api/services.js";
import { receiveOutput } from "../../../src/buildkit/session/filesend.js";
import { PacketType } from "../../../src/buildkit/session/fsutil.js";
import { encodeDataPacket, encodeStatPacket } from "../../../src/buildkit/session/packet-encode.js";
import { serveSessionService } from "../../support/session-service.js";

const GO_DIR = 0x80000000;
const GO_SYMLINK = 1 << 27;

interface Entry {
  path: string;
  mode: number;
  content?: Buffer;
  linkname?: string;
}

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

function stat(e: Entry): Buffer {
  return encodeStatPacket({
    path: e.path,
    mode: e.mode >>> 0,
    uid: 0,
    gid: 0,
    size: String(e.content?.length ?? 0),
    modTime: "1700000000000000000",
    linkname: e.linkname ?? "",
    devmajor: "0",
    devminor: "0",
    xattrs: {},
  });
}

type Call = grpc.ClientDuplexStream<Buffer, Buffer>;

async function open(kind: "local" | "tar", dest: string) {
  const receiver = receiveOutput(kind, dest);
  const { client, close } = await serveSessionService(receiver.service);
  closers.push(close);
  const call = (client.DiffCopy as () => Call)();
  return { receiver, call };
}

/** Plays fsutil's sender: every stat, then each requested file in 32 KiB packets. */
function sendLocal(call: Call, entries: Entry[], raw: Buffer[] = []): void {
  for (const e of entries) call.write(stat(e));
  for (const r of raw) call.write(r);
  call.write(encodeStatPacket());
  call.on("data", (b: Buffer) => {
    const p = Packet.decode(b);
    if (p.type === PacketType.FIN) {
      call.end();
      return;
    }
    if (p.type !== PacketType.REQ) return;
    const content = entries[p.ID]?.content ?? Buffer.alloc(0);
    for (let at = 0; at < content.length; at += 32768)
      call.write(encodeDataPacket(p.ID, content.subarray(at, at + 32768)));
    call.write(encodeDataPacket(p.ID, Buffer.alloc(0)));
  });
  call.on("error", () => {});
}

describe("a local output received from the daemon", () => {
  it("every file arrives byte for byte, with its folders and links", async () => {
    const dest = mkdtempSync(join(tmpdir(), "mbake-filesend-"));
    writeFileSync(join(dest, "kept.txt"), "mine");
    const entries: Entry[] = [
      { path: "big.bin", mode: 0o644, content: randomBytes(9 * 1024 * 1024 + 123) },
      { path: "d", mode: GO_DIR | 0o755 },
      { path: "d/small.txt", mode: 0o600, content: Buffer.from("hello") },
      { path: "d/empty", mode: 0o644, content: Buffer.alloc(0) },
      { path: "d/link", mode: GO_SYMLINK | 0o777, linkname: "small.txt" },
      { path: "odd.bin", mode: 0o755, content: randomBytes(32768 * 3 + 1) },
    ];
    const { receiver, call } = await open("local", dest);
    sendLocal(call, entries);
    await receiver.done;
    receiver.commit();
    expect(readdirSync(dest).sort()).toEqual(["big.bin", "d", "kept.txt", "odd.bin"]);
    expect(readFileSync(join(dest, "big.bin")).equals(entries[0]?.content as Buffer)).toBe(true);
    expect(readFileSync(join(dest, "odd.bin")).equals(entries[5]?.content as Buffer)).toBe(true);
    expect(readFileSync(join(dest, "d/small.txt"), "utf8")).toBe("hello");
    expect(readFileSync(join(dest, "d/empty")).length).toBe(0);
    expect(readlinkSync(join(dest, "d/link"))).toBe("small.txt");
    expect(lstatSync(join(dest, "odd.bin")).mode & 0o777).toBe(0o755);
    expect(lstatSync(join(dest, "big.bin")).mtimeMs).toBe(1700000000000);
    expect(readFileSync(join(dest, "kept.txt"), "utf8")).toBe("mine");
  });

  it("a path leaving the destination fails the output and writes nothing", async () => {
    const dest = mkdtempSync(join(tmpdir(), "mbake-filesend-"));
    const { receiver, call } = await open("local", dest);
    sendLocal(call, [{ path: "../escape", mode: 0o644, content: Buffer.from("x") }]);
    await expect(receiver.done).rejects.toThrow(/unsafe path "\.\.\/escape"/);
    receiver.discard();
    expect(readdirSync(dest)).toEqual([]);
  });

  it.each([
    ["a file", 0o644],
    ["a folder", GO_DIR | 0o777],
  ])(
    "%s sent where a symlink was made fails the output: nothing outside is touched",
    async (_what, mode) => {
      const dest = mkdtempSync(join(tmpdir(), "mbake-filesend-"));
      const outside = join(mkdtempSync(join(tmpdir(), "mbake-outside-")), "victim");
      writeFileSync(outside, "untouched", { mode: 0o600 });
      const { receiver, call } = await open("local", dest);
      sendLocal(call, [
        { path: "l", mode: GO_SYMLINK | 0o777, linkname: outside },
        { path: "./l", mode, content: Buffer.from("pwned") },
      ]);
      await expect(receiver.done).rejects.toThrow(/unsafe path "\.\/l"/);
      receiver.discard();
      expect(readFileSync(outside, "utf8")).toBe("untouched");
      expect(lstatSync(outside).mode & 0o777).toBe(0o600);
      expect(readdirSync(dest)).toEqual([]);
    },
  );

  it("a malformed packet fails the output with the reason", async () => {
    const dest = mkdtempSync(join(tmpdir(), "mbake-filesend-"));
    const { receiver, call } = await open("local", dest);
    sendLocal(call, [], [Buffer.from([0x12, 0x40, 0x0a])]);
    await expect(receiver.done).rejects.toThrow(/malformed output .*ends inside a field/);
    receiver.discard();
    expect(readdirSync(dest)).toEqual([]);
  });
});

describe("a tar output received from the daemon", () => {
  it("arrives byte for byte, in order", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-filesend-"));
    const dest = join(dir, "out.tar");
    const bytes = randomBytes(5 * 1024 * 1024 + 7);
    const { receiver, call } = await open("tar", dest);
    call.on("error", () => {});
    for (let at = 0; at < bytes.length; at += 32768)
      call.write(
        Buffer.from(FileSendBytes.encode({ data: bytes.subarray(at, at + 32768) }).finish()),
      );
    call.end();
    await receiver.done;
    receiver.commit();
    expect(readFileSync(dest).equals(bytes)).toBe(true);
  });
});
