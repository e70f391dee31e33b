/**
 * A content store on disk in the OCI image layout (`blobs/sha256/<hex>`), as BuildKit
 * expects a client's local cache to be: blobs are read by digest and offset, written
 * through resumable ingests (`ingest/<hash of ref>/data`) that are checked (size,
 * digest) and renamed into place on commit, so a blob is never seen half written.
 */
import { createHash, type Hash } from "node:crypto";
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";

/** Errors with the meaning containerd gives them (they become gRPC status codes). */
export class ContentError extends Error {
  override name = "ContentError";
  constructor(
    readonly kind:
      | "not-found"
      | "already-exists"
      | "invalid-argument"
      | "failed-precondition"
      | "unavailable"
      | "out-of-range",
    message: string,
  ) {
    super(message);
  }
}

export interface BlobInfo {
  readonly digest: string;
  readonly size: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly labels: Readonly<Record<string, string>>;
}

export interface IngestStatus {
  readonly ref: string;
  readonly offset: number;
  readonly total: number;
  readonly expected: string;
  readonly startedAt: Date;
  readonly updatedAt: Date;
}

const digestPattern = /^(sha256):([a-f0-9]{64})$/;

interface Ingest {
  ref: string;
  dir: string;
  offset: number;
  total: number;
  expected: string;
  startedAt: Date;
  updatedAt: Date;
  hash: Hash;
  /** Open while a writer holds the ingest. */
  fd: number | undefined;
}

/** One open writer of an ingest (the daemon's Write stream). */
export interface BlobWriter {
  status(): IngestStatus;
  /** The digest of what was written so far. */
  digest(): string;
  write(data: Uint8Array, offset: number): void;
  commit(total: number, expected: string, labels?: Readonly<Record<string, string>>): string;
  close(): void;
}

export class OciLayoutStore {
  private readonly ingests = new Map<string, Ingest>();
  private readonly labels = new Map<string, Record<string, string>>();
  private madeIngestFolder = false;

  constructor(readonly root: string) {}

  private blobPath(digest: string): string {
    const m = digestPattern.exec(digest);
    if (!m) throw new ContentError("invalid-argument", `invalid digest "${digest}"`);
    return join(this.root, "blobs", m[1]!, m[2]!);
  }

  has(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  info(digest: string): BlobInfo {
    const path = this.blobPath(digest);
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path);
    } catch {
      throw new ContentError("not-found", `content ${digest}: not found in ${this.root}`);
    }
    return {
      digest,
      size: st.size,
      createdAt: st.birthtime.getTime() > 0 ? st.birthtime : st.mtime,
      updatedAt: st.mtime,
      labels: { ...this.labels.get(digest) },
    };
  }

  /** Labels live as long as this store (the local store keeps none on disk either). */
  update(digest: string, labels: Readonly<Record<string, string>>): BlobInfo {
    const info = this.info(digest);
    this.labels.set(digest, { ...labels });
    return { ...info, labels: { ...labels } };
  }

  list(): BlobInfo[] {
    const dir = join(this.root, "blobs", "sha256");
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((n) => /^[a-f0-9]{64}$/.test(n))
      .map((n) => this.info(`sha256:${n}`));
  }

  delete(digest: string): void {
    const path = this.blobPath(digest);
    if (!existsSync(path))
      throw new ContentError("not-found", `content ${digest}: not found in ${this.root}`);
    rmSync(path, { force: true });
    this.labels.delete(digest);
  }

  /** Yields `size` bytes from `offset` (size <= 0: to the end) in chunks of `chunkSize`. */
  async *read(
    digest: string,
    offset: number,
    size: number,
    chunkSize = 1 << 20,
  ): AsyncGenerator<{ offset: number; data: Buffer }> {
    const info = this.info(digest);
    if (offset < 0 || offset > info.size)
      throw new ContentError(
        "out-of-range",
        `read of ${digest} at offset ${offset} is beyond its size ${info.size}`,
      );
    const end = size <= 0 || offset + size > info.size ? info.size : offset + size;
    const file = await open(this.blobPath(digest), "r");
    try {
      let at = offset;
      while (at < end) {
        const buf = Buffer.allocUnsafe(Math.min(chunkSize, end - at));
        const { bytesRead } = await file.read(buf, 0, buf.length, at);
        if (bytesRead === 0)
          throw new ContentError("failed-precondition", `${digest} is shorter than expected`);
        yield { offset: at, data: buf.subarray(0, bytesRead) };
        at += bytesRead;
      }
    } finally {
      await file.close();
    }
  }

  status(ref: string): IngestStatus {
    const i = this.ingests.get(ref);
    if (!i) throw new ContentError("not-found", `no write in progress for ${ref}`);
    return describe(i);
  }

  statuses(): IngestStatus[] {
    return [...this.ingests.values()].map(describe);
  }

  abort(ref: string): void {
    const i = this.ingests.get(ref);
    if (!i) throw new ContentError("not-found", `no write in progress for ${ref}`);
    if (i.fd !== undefined) closeSync(i.fd);
    rmSync(i.dir, { recursive: true, force: true });
    this.ingests.delete(ref);
  }

  /** Opens (or resumes) the ingest of `ref`. */
  writer(ref: string, total: number, expected: string): BlobWriter {
    if (!ref) throw new ContentError("invalid-argument", "a write needs a reference");
    if (expected && this.has(expected))
      throw new ContentError("already-exists", `content ${expected} already exists`);
    let ingest = this.ingests.get(ref);
    if (ingest?.fd !== undefined)
      throw new ContentError("unavailable", `ref ${ref} is locked by another writer`);
    if (!ingest) {
      if (!existsSync(join(this.root, "ingest"))) this.madeIngestFolder = true;
      const dir = join(this.root, "ingest", createHash("sha256").update(ref).digest("hex"));
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const now = new Date();
      ingest = {
        ref,
        dir,
        offset: 0,
        total,
        expected,
        startedAt: now,
        updatedAt: now,
        hash: createHash("sha256"),
        fd: undefined,
      };
      this.ingests.set(ref, ingest);
    }
    if (total > 0) ingest.total = total;
    if (expected) ingest.expected = expected;
    ingest.fd = openSync(join(ingest.dir, "data"), ingest.offset === 0 ? "w" : "a");
    return this.openWriter(ingest);
  }

  private openWriter(i: Ingest): BlobWriter {
    const fd = (): number => {
      if (i.fd === undefined) throw new ContentError("failed-precondition", "writer is closed");
      return i.fd;
    };
    return {
      status: () => describe(i),
      digest: () => `sha256:${i.hash.copy().digest("hex")}`,
      write: (data, offset) => {
        if (offset > 0 && offset !== i.offset)
          throw new ContentError(
            "out-of-range",
            `write at ${offset} must occur at the current offset ${i.offset}`,
          );
        if (offset === 0 && i.offset > 0) {
          // Start over (containerd truncates the ingest).
          closeSync(fd());
          i.fd = openSync(join(i.dir, "data"), "w");
          i.offset = 0;
          i.hash = createHash("sha256");
        }
        let written = 0;
        while (written < data.length) written += writeSync(fd(), data, written);
        i.hash.update(data);
        i.offset += data.length;
        i.updatedAt = new Date();
      },
      commit: (total, expected, labels) => {
        const size = total > 0 ? total : i.total;
        if (size > 0 && i.offset !== size)
          throw new ContentError(
            "failed-precondition",
            `unexpected commit size ${i.offset}, expected ${size}`,
          );
        const actual = `sha256:${i.hash.copy().digest("hex")}`;
        const want = expected || i.expected;
        if (want && want !== actual)
          throw new ContentError(
            "failed-precondition",
            `unexpected commit digest ${actual}, expected ${want}`,
          );
        closeSync(fd());
        i.fd = undefined;
        const target = this.blobPath(actual);
        if (existsSync(target)) {
          rmSync(i.dir, { recursive: true, force: true });
          this.ingests.delete(i.ref);
          throw new ContentError("already-exists", `content ${actual} already exists`);
        }
        mkdirSync(join(target, ".."), { recursive: true });
        chmodSync(join(i.dir, "data"), 0o444);
        renameSync(join(i.dir, "data"), target);
        rmSync(i.dir, { recursive: true, force: true });
        this.ingests.delete(i.ref);
        if (labels && Object.keys(labels).length > 0) this.labels.set(actual, { ...labels });
        return actual;
      },
      close: () => {
        if (i.fd !== undefined) {
          closeSync(i.fd);
          i.fd = undefined;
        }
      },
    };
  }

  /** Removes ingests that were never committed (after the build), and their folder if this store made it. */
  dropIngests(): void {
    for (const ref of [...this.ingests.keys()]) this.abort(ref);
    if (this.madeIngestFolder) {
      try {
        rmdirSync(join(this.root, "ingest"));
      } catch {
        // not empty (someone else's) or gone: leave it
      }
    }
  }
}

function describe(i: Ingest): IngestStatus {
  return {
    ref: i.ref,
    offset: i.offset,
    total: i.total,
    expected: i.expected,
    startedAt: i.startedAt,
    updatedAt: i.updatedAt,
  };
}
