/**
 * The Engine API transport when the Engine dies mid-answer: a stream answer (push, load)
 * cut before its last chunk is an error, not a short success; an upgrade whose connection
 * closes before the answer fails at once, not at the timeout.
 */
import { mkdtempSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { engineRequest, hijack } from "../../src/buildkit/transport/engine.js";

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A fake Engine on a unix socket that does `answer` with each connection. */
async function fakeEngine(answer: (s: Socket) => void): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), "mbake-engine-unit-")), "docker.sock");
  server = createServer((s) => s.once("data", () => answer(s)));
  await new Promise<void>((r) => server!.listen(path, r));
  return path;
}

const head =
  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;

describe("engineRequest", () => {
  it("reads a complete chunked stream answer line by line", async () => {
    const path = await fakeEngine((s) =>
      s.end(
        head +
          chunk('{"status":"Pushing"}\n') +
          chunk('{"aux":{"Digest":"sha256:ab"}}\n') +
          "0\r\n\r\n",
      ),
    );
    const lines: string[] = [];
    const res = await engineRequest(path, "POST", "/images/x/push?tag=t", {
      onLine: (l) => lines.push(l),
    });
    expect(res.status).toBe(200);
    expect(lines).toEqual(['{"status":"Pushing"}', '{"aux":{"Digest":"sha256:ab"}}']);
  });

  it("fails when the Engine closes the connection before the last chunk", async () => {
    const path = await fakeEngine((s) => s.end(head + chunk('{"status":"Pushing"}\n')));
    await expect(engineRequest(path, "POST", "/images/x/push?tag=t")).rejects.toThrow(
      /closed the connection in the middle of its answer to POST \/images\/x\/push\?tag=t/,
    );
  });

  it("fails when a Content-Length answer is cut short", async () => {
    const path = await fakeEngine((s) =>
      s.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"),
    );
    await expect(engineRequest(path, "GET", "/_ping")).rejects.toThrow(
      /in the middle of its answer/,
    );
  });
});

describe("hijack", () => {
  it("fails at once when the Engine closes the connection before it answers", async () => {
    const path = await fakeEngine((s) => s.destroy());
    const started = Date.now();
    await expect(hijack(path, "/session", {}, 10_000)).rejects.toThrow(
      /closed the connection before it answered POST \/session/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
