/**
 * FileSend.DiffCopy: receives a `local` output (an fsutil packet stream: mbake asks
 * for each file) or a `tar` output (raw bytes) into a temporary sibling of the
 * destination. commit() renames it into place after the solve succeeded;
 * discard() removes it, so a failed or cancelled build leaves no half output.
 */

import { randomBytes } from "node:crypto";
import {
  chmodSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  type WriteStream,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { isGoDir, isGoRegular, isGoSymlink, PacketType, unixPermissions } from "./fsutil.js";
import type { SessionService } from "./service.js";

const root = protobuf.loadSync(fileURLToPath(new URL("../api/fsutil.proto", import.meta.url)));
const PacketMessage = root.lookupType("fsutil.types.Packet");
const bytesRoot = protobuf.Root.fromJSON({
  nested: { BytesMessage: { fields: { data: { type: "bytes", id: 1 } } } },
});
const BytesMessage = bytesRoot.lookupType("BytesMessage");

interface DecodedPacket {
  type?: number;
  stat?: {
    path: string;
    mode: number;
    size?: number | string;
    modTime?: number | string | { toString(): string };
    linkname?: string;
  } | null;
  ID?: number;
  data?: Uint8Array;
}

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
  /** Resolves when the daemon finished sending. */
  readonly done: Promise<void>;
}

/** Receives one `local` (folder) or `tar` (file, or "-" for stdout) output. */
export function receiveOutput(
  kind: "local" | "tar",
  dest: string,
  stdout: NodeJS.WritableStream = process.stdout,
): OutputReceiver {
  const target = dest === "-" ? "-" : resolve(dest);
  const temp =
    target === "-"
      ? ""
      : join(dirname(target), `.${basename(target)}.mbake-tmp-${randomBytes(4).toString("hex")}`);
  let settle: { resolve: () => void; reject: (e: Error) => void } = {
    resolve: () => {},
    reject: () => {},
  };
  const done = new Promise<void>((res, rej) => {
    settle = { resolve: res, reject: rej };
  });
  done.catch(() => {});
  let received = false;

  const handleTar = (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
    received = true;
    let out: NodeJS.WritableStream;
    if (target === "-") out = stdout;
    else {
      mkdirSync(dirname(temp), { recursive: true });
      out = createWriteStream(temp);
    }
    call.on("data", (b: Buffer) => {
      const m = BytesMessage.decode(b) as unknown as { data?: Uint8Array };
      if (m.data && m.data.length > 0) out.write(Buffer.from(m.data));
    });
    call.on("end", () => {
      call.end();
      if (out === stdout) settle.resolve();
      else (out as WriteStream).end(() => settle.resolve());
    });
    call.on("error", (e: Error) => settle.reject(e));
  };

  const handleLocal = (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
    received = true;
    mkdirSync(temp, { recursive: true });
    const files: { id: number; path: string; mode: number; mtimeNs: bigint }[] = [];
    const dirs: { path: string; mode: number; mtimeNs: bigint }[] = [];
    let id = 0;
    let statsDone = false;
    let current:
      | { id: number; path: string; mode: number; mtimeNs: bigint; stream: WriteStream }
      | undefined;
    let finSent = false;
    const send = (p: { type: number; ID?: number }) =>
      call.write(Buffer.from(PacketMessage.encode(PacketMessage.create(p)).finish()));
    const next = () => {
      if (current) return;
      const f = files.shift();
      if (f) {
        current = {
          ...f,
          stream: createWriteStream(join(temp, f.path), { mode: unixPermissions(f.mode) }),
        };
        send({ type: PacketType.REQ, ID: f.id });
        return;
      }
      if (statsDone && !finSent) {
        finSent = true;
        for (const d of dirs.reverse()) {
          try {
            chmodSync(join(temp, d.path), unixPermissions(d.mode));
            const t = Number(d.mtimeNs / 1_000_000n) / 1000;
            utimesSync(join(temp, d.path), t, t);
          } catch {
            // best effort for directory metadata
          }
        }
        send({ type: PacketType.FIN });
      }
    };
    call.on("data", (b: Buffer) => {
      const p = PacketMessage.toObject(PacketMessage.decode(b), {
        longs: String,
        defaults: true,
      }) as DecodedPacket;
      switch (p.type ?? 0) {
        case PacketType.STAT: {
          if (!p.stat?.path) {
            statsDone = true;
            next();
            return;
          }
          const thisId = id++;
          const rel = p.stat.path;
          if (rel.split("/").includes("..")) {
            settle.reject(new Error(`the daemon sent an unsafe path "${rel}"`));
            return;
          }
          const abs = join(temp, rel);
          const mtimeNs = BigInt(String(p.stat.modTime ?? 0));
          if (isGoDir(p.stat.mode)) {
            mkdirSync(abs, { recursive: true });
            dirs.push({ path: rel, mode: p.stat.mode, mtimeNs });
          } else if (isGoSymlink(p.stat.mode)) {
            mkdirSync(dirname(abs), { recursive: true });
            symlinkSync(p.stat.linkname ?? "", abs);
          } else if (isGoRegular(p.stat.mode)) {
            mkdirSync(dirname(abs), { recursive: true });
            files.push({ id: thisId, path: rel, mode: p.stat.mode, mtimeNs });
          }
          return;
        }
        case PacketType.DATA: {
          if (!current || p.ID !== current.id) return;
          if (p.data && p.data.length > 0) current.stream.write(Buffer.from(p.data));
          else {
            const f = current;
            current = undefined;
            f.stream.end(() => {
              try {
                const t = Number(f.mtimeNs / 1_000_000n) / 1000;
                utimesSync(join(temp, f.path), t, t);
              } catch {
                // keep going: mtimes are best effort
              }
              next();
            });
          }
          return;
        }
        case PacketType.FIN:
          call.end();
          settle.resolve();
          return;
        case PacketType.ERR:
          settle.reject(
            new Error(
              `the daemon failed while sending the output: ${Buffer.from(p.data ?? []).toString("utf8")}`,
            ),
          );
          return;
      }
    });
    call.on("end", () => settle.resolve());
    call.on("error", (e: Error) => settle.reject(e));
  };

  const service: SessionService = {
    name: "moby.filesync.v1.FileSend",
    definition,
    implementation: { DiffCopy: kind === "tar" ? handleTar : handleLocal },
  };
  return {
    service,
    done,
    commit() {
      if (target === "-" || !received) return;
      if (existsSync(target)) rmSync(target, { recursive: true, force: true });
      mkdirSync(dirname(target), { recursive: true });
      renameSync(temp, target);
    },
    discard() {
      if (temp) rmSync(temp, { recursive: true, force: true });
    },
  };
}
