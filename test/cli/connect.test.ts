import { mkdtempSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { connectEndpoints } from "../../src/cli/connect.js";

/** A unix socket that accepts connections and never says a word. */
async function silentDaemon(events: string[], name: string) {
  const path = join(mkdtempSync(join(tmpdir(), "mbake-silent-")), "daemon.sock");
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    events.push(`${name} dialed`);
    sockets.push(s);
    s.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    address: `unix://${path}`,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

const opened: { close(): void }[] = [];
afterEach(() => {
  for (const d of opened.splice(0)) d.close();
});

describe("connecting to endpoints", () => {
  it("probes every endpoint at once and leaves out those that stay silent past the bound", async () => {
    const events: string[] = [];
    const a = await silentDaemon(events, "a");
    const b = await silentDaemon(events, "b");
    opened.push(a, b);
    const connected = await connectEndpoints(
      [
        { name: "a", address: a.address },
        { name: "b", address: b.address },
      ],
      {},
      (message) => events.push(message),
      4,
      2000,
    );
    expect(connected).toEqual([]);
    // Both were dialed before either was given up: the probes ran side by side.
    const firstWarning = events.findIndex((e) => e.startsWith("endpoint "));
    expect(events.slice(0, firstWarning).sort()).toEqual(["a dialed", "b dialed"]);
    expect(events.slice(firstWarning).sort()).toEqual([
      `endpoint a (${a.address}) is not reachable and is left out: a (${a.address}) did not answer within 2s`,
      `endpoint b (${b.address}) is not reachable and is left out: b (${b.address}) did not answer within 2s`,
    ]);
  });
});
