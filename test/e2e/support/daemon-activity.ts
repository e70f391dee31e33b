/**
 * What a daemon is still doing for one build, found by a word only that build carries
 * (its `tag`): the cancellation tests ask these after mbake exited.
 * - every daemon: processes on this machine whose command line holds the tag (a RUN step
 *   of `echo TAG && sleep 30` runs as `/bin/sh -c echo TAG ...` under the daemon's runc);
 * - every daemon: build-cache records in use whose description names the tag (DiskUsage);
 * - BuildKit 0.11+ (the modern Engine): builds still active in the build history
 *   (Control.ListenBuildHistory with ActiveOnly and EarlyExit) whose frontend attributes
 *   name the tag (the test gives the build a build arg holding it).
 * Other helpers' builds on the shared daemons never match the tag, so they do not count.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { BuildkitClient } from "../../../src/buildkit/client.js";

/** Command lines of the processes on this machine that contain `tag`. */
export function processesNaming(tag: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
    } catch {
      continue; // gone meanwhile
    }
    if (cmdline.includes(tag)) found.push(`${pid}: ${cmdline}`);
  }
  return found;
}

/** BuildHistoryRequest { ActiveOnly = 1; Ref = 2; EarlyExit = 3 } */
function historyRequest(): Buffer {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 0).bool(true);
  w.uint32((3 << 3) | 0).bool(true);
  return Buffer.from(w.finish());
}

interface HistoryRecord {
  readonly ref: string;
  readonly frontendAttrs: Record<string, string>;
}

/** A map<string,string> entry: key = 1, value = 2. */
function decodeMapEntry(bytes: Uint8Array): [string, string] {
  const r = protobuf.Reader.create(bytes);
  let key = "";
  let value = "";
  while (r.pos < r.len) {
    const t = r.uint32();
    if (t >>> 3 === 1) key = r.string();
    else if (t >>> 3 === 2) value = r.string();
    else r.skipType(t & 7);
  }
  return [key, value];
}

/** BuildHistoryRecord { Ref = 1; Frontend = 2; FrontendAttrs = 3; ... } (the rest skipped). */
function decodeRecord(bytes: Uint8Array): HistoryRecord {
  const r = protobuf.Reader.create(bytes);
  let ref = "";
  const frontendAttrs: Record<string, string> = {};
  while (r.pos < r.len) {
    const t = r.uint32();
    if (t >>> 3 === 1) ref = r.string();
    else if (t >>> 3 === 3) {
      const [k, v] = decodeMapEntry(r.bytes());
      frontendAttrs[k] = v;
    } else r.skipType(t & 7);
  }
  return { ref, frontendAttrs };
}

/** BuildHistoryEvent { type = 1; record = 2 } */
function decodeEvent(bytes: Buffer): HistoryRecord | undefined {
  const r = protobuf.Reader.create(bytes);
  let record: HistoryRecord | undefined;
  while (r.pos < r.len) {
    const t = r.uint32();
    if (t >>> 3 === 2) record = decodeRecord(r.bytes());
    else r.skipType(t & 7);
  }
  return record;
}

/** The builds the daemon reports active right now (BuildKit 0.11+). */
export function activeBuilds(client: BuildkitClient): Promise<HistoryRecord[]> {
  const raw = client.control.raw as unknown as grpc.Client;
  return new Promise((resolve, reject) => {
    const records: HistoryRecord[] = [];
    const call = raw.makeServerStreamRequest(
      "/moby.buildkit.v1.Control/ListenBuildHistory",
      (b: Buffer) => b,
      decodeEvent,
      historyRequest(),
      new grpc.Metadata(),
      { deadline: Date.now() + 10_000 },
    );
    call.on("data", (r: HistoryRecord | undefined) => {
      if (r) records.push(r);
    });
    call.on("error", reject);
    call.on("end", () => resolve(records));
  });
}

/** What the daemon at `endpoint` still does for the build carrying `tag` (empty: nothing). */
export async function stillRunning(
  endpoint: string,
  tag: string,
  opts: { history: boolean },
): Promise<string[]> {
  const client = await BuildkitClient.connect(endpoint);
  try {
    const left = processesNaming(tag).map((p) => `process ${p}`);
    for (const u of await client.diskUsage())
      if (u.inUse && u.description.includes(tag)) left.push(`record in use: ${u.description}`);
    if (opts.history)
      for (const b of await activeBuilds(client))
        if (Object.values(b.frontendAttrs).some((v) => v.includes(tag)))
          left.push(`active build ${b.ref}`);
    return left;
  } finally {
    await client.close();
  }
}

/** Waits (up to `ms`) until the daemon does nothing more for the build carrying `tag`. */
export async function untilIdle(
  endpoint: string,
  tag: string,
  opts: { history: boolean },
  ms = 15_000,
): Promise<string[]> {
  const deadline = Date.now() + ms;
  let left = await stillRunning(endpoint, tag, opts);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    left = await stillRunning(endpoint, tag, opts);
  }
  return left;
}
