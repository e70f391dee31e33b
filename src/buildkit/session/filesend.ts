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
} from "node:fs";
import { dirname, join } from "node:path";
import type * as grpc from "@grpc/grpc-js";
import { FileSendBytes, Packet } from "../api/services.js";
import { isGoDir, isGoRegular, isGoSymlink, PacketType, unixPermissions } from "./fsutil.js";
import { stageLocalDest, stageTarDest } from "./output-dest.js";
import type { SessionService } from "./service.js";

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
  /** Why writing the output failed, if it did (disk full, not writable). */
  failure(): Error | undefined;
  /** Resolves when the daemon finished sending. */
  readonly done: Promise<void>;
}

/** Receives one `local` (folder) or `tar` (file, or "-" for stdout) output. */
export function receiveOutput(
  kind: "local" | "tar",
  dest: string,
  stdout: NodeJS.WritableStream = process.stdout,
): OutputReceiver {
  const staged =
    dest === "-" ? undefined : kind === "tar" ? stageTarDest(dest) : stageLocalDest(dest);
  let settle: { resolve: () => void; reject: (e: Error) => void } = {
    resolve: () => {},
    reject: () => {},
  };
  const done = new Promise<void>((res, rej) => {
    settle = { resolve: res, reject: rej };
  });
  done.catch(() => {});
  let received = false;
  let failure: Error | undefined;
  /** A write to the destination failed (disk full, not writable): the output is abandoned. */
  const writeFailed = (call: grpc.ServerDuplexStream<Buffer, Buffer>, e: NodeJS.ErrnoException) => {
    const why =
      e.code === "ENOSPC"
        ? "no space left on the device"
        : e.code === "EACCES" || e.code === "EPERM"
          ? "permission denied"
          : e.code === "EROFS"
            ? "read-only file system"
            : e.message;
    const err = new Error(
      `cannot write the output to ${dest}: ${why}${e.code ? ` (${e.code})` : ""}`,
    );
    failure ??= err;
    settle.reject(err);
    call.destroy(err);
  };

  const handleTar = (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
    received = true;
    let out: NodeJS.WritableStream;
    if (!staged) out = stdout;
    else {
      try {
        const file = createWriteStream(staged.stagingPath());
        file.on("error", (e: NodeJS.ErrnoException) => writeFailed(call, e));
        out = file;
      } catch (e) {
        settle.reject(e as Error);
        call.destroy(e as Error);
        return;
      }
    }
    call.on("data", (b: Buffer) => {
      const m = FileSendBytes.decode(b);
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
    let temp: string;
    try {
      if (!staged) throw new Error("a local output needs a folder");
      temp = staged.stagingPath();
    } catch (e) {
      settle.reject(e as Error);
      call.destroy(e as Error);
      return;
    }
    const files: { id: number; path: string; mode: number; mtimeNs: bigint }[] = [];
    const dirs: { path: string; mode: number; mtimeNs: bigint }[] = [];
    const links = new Set<string>();
    let id = 0;
    let statsDone = false;
    let current:
      | { id: number; path: string; mode: number; mtimeNs: bigint; stream: WriteStream }
      | undefined;
    let finSent = false;
    const send = (p: { type: number; ID?: number }) =>
      call.write(Buffer.from(Packet.encode(p).finish()));
    const next = () => {
      if (current) return;
      const f = files.shift();
      if (f) {
        current = {
          ...f,
          stream: createWriteStream(join(temp, f.path), { mode: unixPermissions(f.mode) }).on(
            "error",
            (e: NodeJS.ErrnoException) => writeFailed(call, e),
          ),
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
      try {
        onPacket(b);
      } catch (e) {
        writeFailed(call, e as NodeJS.ErrnoException);
      }
    });
    const onPacket = (b: Buffer) => {
      const p = Packet.toObject(Packet.decode(b), {
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
          // No "..", and nothing below a symlink the daemon sent: a write never leaves
          // the staging folder.
          const parts = rel.split("/");
          const underLink = parts.some((_, i) => i > 0 && links.has(parts.slice(0, i).join("/")));
          if (parts.includes("..") || underLink) {
            settle.reject(new Error(`the daemon sent an unsafe path "${rel}"`));
            call.destroy();
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
            links.add(parts.filter((x) => x !== "" && x !== ".").join("/"));
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
    };
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
    failure: () => failure,
    commit() {
      if (received) staged?.commit();
    },
    discard() {
      staged?.discard();
    },
  };
}
