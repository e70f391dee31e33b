/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text uses ${} */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuildkitClient } from "../../src/buildkit/client.js";
import type { SolveStatus } from "../../src/progress/status.js";
import { buildSpec } from "./support/build-spec.js";
import { testEnv } from "./test-env.js";

const env = testEnv();
let client: BuildkitClient;

beforeAll(async () => {
  client = await BuildkitClient.connect(env.engines[0]!.endpoint);
});
afterAll(async () => {
  await client?.close();
});

function spec(contextDir: string, salt: string) {
  return buildSpec(
    contextDir,
    `ARG BASE\nFROM \${BASE}\nCOPY . /ctx\nRUN echo ${salt} && ls -l /ctx\n`,
    { output: { type: "cacheonly" } },
  );
}

/** Bytes the daemon reported for "transferring context" in one build. */
async function transferred(contextDir: string, salt: string): Promise<number> {
  const statuses: SolveStatus[] = [];
  await client.build(spec(contextDir, salt), {
    signal: new AbortController().signal,
    onStatus: (s) => statuses.push(s),
    env: {},
  });
  const progress = statuses
    .flatMap((s) => s.statuses)
    .filter((p) => p.id.startsWith("transferring context"));
  // The context is loaded twice (.dockerignore first, then the files): count both.
  const byVertex = new Map<string, number>();
  for (const p of progress)
    byVertex.set(p.vertex, Math.max(byVertex.get(p.vertex) ?? 0, p.current));
  return [...byVertex.values()].reduce((a, b) => a + b, 0);
}

describe("context upload across builds", () => {
  it("sends only what changed since the last build of the same folder", async () => {
    const ctx = mkdtempSync(join(tmpdir(), "mbake-incremental-"));
    writeFileSync(join(ctx, "big.bin"), randomBytes(8 * 1024 * 1024));
    writeFileSync(join(ctx, "small.txt"), "one\n");
    const salt = Date.now().toString(36);
    const first = await transferred(ctx, `${salt}-1`);
    // Once, not twice: loading .dockerignore sends only that file (fsutil's followpaths).
    expect(first).toBeGreaterThan(8 * 1024 * 1024);
    expect(first).toBeLessThan(9 * 1024 * 1024);
    // Nothing changed: the daemon's copy is reused.
    const second = await transferred(ctx, `${salt}-2`);
    expect(second).toBeLessThan(64 * 1024);
    // One small file changed: only it goes over the wire.
    writeFileSync(join(ctx, "small.txt"), "two, and longer\n");
    const third = await transferred(ctx, `${salt}-3`);
    expect(third).toBeLessThan(64 * 1024);
    expect(third).toBeGreaterThan(0);
  });

  it("builds each Dockerfile's own text when two of the same size come from one folder", async () => {
    // The daemon keeps what a folder's sessions sent; a Dockerfile made in memory once had
    // a fixed mtime, so the second one (same name, same size) was taken as unchanged and the
    // first one's steps were built. Each build here writes what its own Dockerfile says.
    const ctx = mkdtempSync(join(tmpdir(), "mbake-same-size-"));
    const salt = Date.now().toString(36);
    for (const which of ["aa", "bb"]) {
      const out = join(ctx, `out-${which}`);
      await client.build(
        buildSpec(ctx, `ARG BASE\nFROM \${BASE}\nRUN echo ${which}-${salt} > /id\n`, {
          output: { type: "local", dest: out },
        }),
        { signal: new AbortController().signal, onStatus: () => {}, env: {} },
      );
      expect(readFileSync(join(out, "id"), "utf8")).toBe(`${which}-${salt}\n`);
    }
  });

  it("delivers every file byte for byte, large ones read chunk by chunk into reused buffers", async () => {
    // Random bytes in every chunk: a read buffer written over before HTTP/2 sent its packet
    // would put another chunk's bytes in a file. The daemon writes the files back (local
    // output) and they are compared with the context's.
    const MiB = 1024 * 1024;
    const ctx = mkdtempSync(join(tmpdir(), "mbake-exact-upload-"));
    const out = mkdtempSync(join(tmpdir(), "mbake-exact-upload-out-"));
    const sizes: Record<string, number> = {
      "a.bin": 9 * MiB + 7,
      "b.bin": MiB,
      "c.bin": 600 * 1024,
      "d.bin": 3,
      "e.bin": 6 * MiB - 1,
    };
    try {
      for (const [name, size] of Object.entries(sizes))
        writeFileSync(join(ctx, name), randomBytes(size));
      await client.build(
        buildSpec(ctx, "FROM scratch\nCOPY . /\n", { output: { type: "local", dest: out } }),
        { signal: new AbortController().signal, onStatus: () => {}, env: {} },
      );
      for (const name of Object.keys(sizes)) {
        const back = readFileSync(join(out, name));
        expect(back.length, name).toBe(sizes[name]);
        expect(back.equals(readFileSync(join(ctx, name))), `${name} as sent`).toBe(true);
      }
    } finally {
      rmSync(ctx, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  });
});
