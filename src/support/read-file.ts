/**
 * Reading the files users name (bake files, mbake.json, secrets, keys, certificates,
 * the Docker config): only regular files, never more than a limit, and an error that
 * names the file. A FIFO, a device such as /dev/zero or a folder is refused at once,
 * so a read can neither block forever nor fill the memory.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { InputError } from "../diagnostics/error-kind.js";

/** Limits for the kinds of files mbake reads. */
export const readLimits = {
  /** Bake files (HCL, JSON, compose), mbake.json and .env files. */
  bakeFile: 16 * 1024 * 1024,
  /** BuildKit refuses secrets larger than this (its secrets provider's MaxSecretSize). */
  secret: 500 * 1024,
  /** TLS certificates and keys, ssh private keys. */
  keyFile: 1024 * 1024,
  /** The Docker config (config.json). */
  dockerConfig: 16 * 1024 * 1024,
} as const;

/** A file the user named cannot be read as one: exit 2. */
export class FileReadError extends InputError {
  override name = "FileReadError";
}

function describeKind(st: ReturnType<typeof fstatSync>): string {
  if (st.isDirectory()) return "a folder";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`;
}

/**
 * Reads a regular file of at most `limit` bytes. `what` says what the file is for the
 * error ("bake file", "secret \"token\""); `shown` is the name to print (the path by default).
 */
export function readBoundedFile(path: string, limit: number, what: string, shown = path): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "it does not exist"
        : code === "EACCES" || code === "EPERM"
          ? "permission denied"
          : code === "EISDIR"
            ? "it is a folder"
            : (err as Error).message;
    throw new FileReadError(`cannot read the ${what} ${shown}: ${reason}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw new FileReadError(
        `cannot read the ${what} ${shown}: it is ${describeKind(st)}, not a regular file`,
      );
    }
    const tooLarge = () =>
      new FileReadError(`cannot read the ${what} ${shown}: it is larger than ${mib(limit)}`);
    if (st.size > limit) throw tooLarge();
    // Files can grow while read, and some (in /proc) report size 0: read to the limit, no further.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, limit + 1 - total));
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (err) {
        throw new FileReadError(`cannot read the ${what} ${shown}: ${(err as Error).message}`);
      }
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > limit) throw tooLarge();
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** readBoundedFile as UTF-8 text. */
export function readBoundedText(path: string, limit: number, what: string, shown = path): string {
  return readBoundedFile(path, limit, what, shown).toString("utf8");
}

/** Reads a stream (standard input) to its end, refusing more than `limit` bytes. */
export async function readBoundedStream(
  stream: NodeJS.ReadableStream,
  limit: number,
  what: string,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of stream) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c as string);
    total += b.length;
    if (total > limit) {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      throw new FileReadError(`cannot read the ${what}: it is larger than ${mib(limit)}`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks, total);
}
