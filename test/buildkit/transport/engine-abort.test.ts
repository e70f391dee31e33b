/**
 * Engine API requests end at once when their signal aborts: the connection is closed
 * (so the Engine stops the request's work) and the caller gets a CancelledError.
 */
import { mkdtempSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { engineRequest, hijack } from "../../../src/buildkit/transport/engine.js";
import { CancelledError } from "../../../src/support/abort.js";

/** A unix socket that accepts connections and never answers; says when each one closes. */
async function silentEngine(): Promise<{ path: string; server: Server; closed: Promise<void> }> {
  const path = join(mkdtempSync(join(tmpdir(), "mbake-engine-")), "docker.sock");
  let onClose: () => void = () => {};
  const closed = new Promise<void>((r) => {
    onClose = r;
  });
  const server = createServer((s: Socket) => {
    s.resume();
    s.on("close", onClose);
  });
  await new Promise<void>((r) => server.listen(path, r));
  return { path, server, closed };
}

let servers: Server[] = [];
afterEach(() => {
  for (const s of servers) s.close();
  servers = [];
});

describe("Engine requests observe their abort signal", () => {
  it("a push that is under way ends with CancelledError and its connection closed", async () => {
    const engine = await silentEngine();
    servers.push(engine.server);
    const controller = new AbortController();
    const pushing = engineRequest(engine.path, "POST", "/images/x/push?tag=1", {
      timeoutMs: 600_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    await expect(pushing).rejects.toBeInstanceOf(CancelledError);
    await engine.closed;
  });

  it("a request whose signal already aborted never waits for an answer", async () => {
    const engine = await silentEngine();
    servers.push(engine.server);
    const controller = new AbortController();
    controller.abort();
    await expect(
      engineRequest(engine.path, "GET", "/_ping", { signal: controller.signal }),
    ).rejects.toBeInstanceOf(CancelledError);
  });

  it("a session upgrade that is not answered yet ends with CancelledError", async () => {
    const engine = await silentEngine();
    servers.push(engine.server);
    const controller = new AbortController();
    const opening = hijack(engine.path, "/session", {}, 10_000, controller.signal);
    setTimeout(() => controller.abort(), 50);
    await expect(opening).rejects.toBeInstanceOf(CancelledError);
    await engine.closed;
  });
});
