/**
 * The session's content service over a real gRPC connection (a unix socket), called
 * the way BuildKit's containerd proxy calls it: store id in the metadata, Write with
 * STAT / WRITE / COMMIT, Info, Read by offset, Status and Abort.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentService, storeIdHeader } from "../../../src/buildkit/session/content.js";
import { OciLayoutStore } from "../../../src/buildkit/session/oci-layout-store.js";
import { type ServiceClient, serveSessionService } from "../../support/session-service.js";

const dir = mkdtempSync(join(tmpdir(), "mbake-content-"));
const storeDir = join(dir, "cache");
const store = new OciLayoutStore(storeDir);
let served: Awaited<ReturnType<typeof serveSessionService>>;
let client: ServiceClient;

beforeAll(async () => {
  served = await serveSessionService(contentService(new Map([[`local:${storeDir}`, store]])));
  client = served.client;
});
afterAll(() => served?.close());

function md(id = `local:${storeDir}`): grpc.Metadata {
  const m = new grpc.Metadata();
  m.set(storeIdHeader, id);
  return m;
}

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

function unary<T>(method: string, req: object, meta = md()): Promise<T> {
  return new Promise((resolve, reject) =>
    (client[method] as (r: object, m: grpc.Metadata, cb: (e: unknown, r: T) => void) => void).call(
      client,
      req,
      meta,
      (err, res) => (err ? reject(err) : resolve(res)),
    ),
  );
}

interface WriteReply {
  action: number;
  offset: string;
  total: string;
  digest: string;
}

/** Sends the messages one at a time, each after the previous answer, as containerd's proxy does. */
function write(messages: object[]): Promise<WriteReply[]> {
  return new Promise((resolve, reject) => {
    const call = (
      client.Write as (m: grpc.Metadata) => grpc.ClientDuplexStream<object, WriteReply>
    ).call(client, md());
    const replies: WriteReply[] = [];
    let next = 0;
    const send = () => {
      if (next < messages.length) call.write(messages[next++]!);
      else call.end();
    };
    call.on("data", (r: WriteReply) => {
      replies.push(r);
      send();
    });
    call.on("error", reject);
    call.on("end", () => resolve(replies));
    send();
  });
}

function read(digest: string, offset = 0, size = 0): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const call = (
      client.Read as (
        r: object,
        m: grpc.Metadata,
      ) => grpc.ClientReadableStream<{ offset: string; data: Buffer }>
    ).call(client, { digest, offset, size }, md());
    const parts: Buffer[] = [];
    call.on("data", (m: { offset: string; data: Buffer }) => {
      expect(Number(m.offset)).toBe(offset + parts.reduce((n, p) => n + p.length, 0));
      parts.push(m.data);
    });
    call.on("error", reject);
    call.on("end", () => resolve(Buffer.concat(parts)));
  });
}

describe("the content service (local cache store)", () => {
  const blob = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
  for (let i = 0; i < blob.length; i += 4096) blob[i] = i % 251;
  const digest = sha(blob);

  it("writes a blob in chunks and commits it under its digest in the OCI layout", async () => {
    const ref = "layer-1";
    const replies = await write([
      { action: 0, ref, total: blob.length, expected: digest },
      { action: 1, ref, offset: 0, data: blob.subarray(0, 1 << 20) },
      { action: 1, ref, offset: 1 << 20, data: blob.subarray(1 << 20, 2 << 20) },
      {
        action: 2,
        ref,
        offset: 2 << 20,
        data: blob.subarray(2 << 20),
        total: blob.length,
        expected: digest,
      },
    ]);
    expect(replies.map((r) => Number(r.offset))).toEqual([0, 1 << 20, 2 << 20, blob.length]);
    expect(replies[3]!.digest).toBe(digest);
    const onDisk = join(storeDir, "blobs", "sha256", digest.slice(7));
    expect(readFileSync(onDisk).equals(blob)).toBe(true);
    const info = await unary<{ info: { digest: string; size: string } }>("Info", { digest });
    expect(info.info).toMatchObject({ digest, size: String(blob.length) });
  });

  it("reads a blob whole and by range, in order", async () => {
    expect((await read(digest)).equals(blob)).toBe(true);
    expect((await read(digest, 1000, 5000)).equals(blob.subarray(1000, 6000))).toBe(true);
    expect((await read(digest, blob.length - 3, 100)).equals(blob.subarray(blob.length - 3))).toBe(
      true,
    );
    await expect(read(digest, blob.length + 1)).rejects.toMatchObject({
      code: grpc.status.OUT_OF_RANGE,
    });
  });

  it("answers NotFound for missing content and unknown stores, AlreadyExists for present content", async () => {
    await expect(unary("Info", { digest: `sha256:${"0".repeat(64)}` })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
    await expect(unary("Info", { digest }, md("local:/elsewhere"))).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: expect.stringMatching(/unknown store local:\/elsewhere/),
    });
    await expect(
      write([{ action: 0, ref: "again", total: blob.length, expected: digest }]),
    ).rejects.toMatchObject({ code: grpc.status.ALREADY_EXISTS });
  });

  it("refuses a commit whose content does not match the expected digest, keeping no blob", async () => {
    const data = Buffer.from("not what was promised");
    const wrong = sha(Buffer.from("something else"));
    await expect(
      write([
        { action: 0, ref: "bad", total: data.length, expected: wrong },
        { action: 2, ref: "bad", offset: 0, data, total: data.length, expected: wrong },
      ]),
    ).rejects.toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
      details: expect.stringMatching(/unexpected commit digest/),
    });
    expect(existsSync(join(storeDir, "blobs", "sha256", sha(data).slice(7)))).toBe(false);
    expect(existsSync(join(storeDir, "blobs", "sha256", wrong.slice(7)))).toBe(false);
  });

  it("resumes an interrupted write at the offset Status reports, and Abort drops it", async () => {
    const data = Buffer.from("0123456789abcdef");
    await write([
      { action: 0, ref: "resume", total: data.length, expected: sha(data) },
      { action: 1, ref: "resume", offset: 0, data: data.subarray(0, 6) },
    ]);
    const st = await unary<{ status: { offset: string; total: string } }>("Status", {
      ref: "resume",
    });
    expect(st.status).toMatchObject({ offset: "6", total: String(data.length) });
    const replies = await write([
      { action: 0, ref: "resume" },
      { action: 2, ref: "resume", offset: 6, data: data.subarray(6), expected: sha(data) },
    ]);
    expect(replies[0]!.offset).toBe("6");
    expect(replies[1]!.digest).toBe(sha(data));
    expect(readFileSync(join(storeDir, "blobs", "sha256", sha(data).slice(7))).equals(data)).toBe(
      true,
    );

    await write([
      { action: 0, ref: "dropped", total: 10 },
      { action: 1, ref: "dropped", offset: 0, data: Buffer.from("abc") },
    ]);
    await unary("Abort", { ref: "dropped" });
    await expect(unary("Status", { ref: "dropped" })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });
});
