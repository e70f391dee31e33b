/**
 * grpc-js dials only addresses, not sockets we already hold. For connections that
 * need a handshake first (the Engine's /grpc upgrade, a `buildctl dial-stdio`
 * process), mbake listens on a private unix socket and joins every connection
 * grpc-js makes there to a freshly dialed upstream.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";

export interface Bridge {
  /** The address to give grpc-js: unix:///tmp/mbake-.../bridge.sock */
  readonly address: string;
  close(): Promise<void>;
}

export async function openBridge(
  dial: () => Promise<Duplex>,
  onError: (err: Error) => void = () => {},
): Promise<Bridge> {
  const dir = mkdtempSync(join(tmpdir(), "mbake-"));
  const path = join(dir, "bridge.sock");
  const sockets = new Set<Socket | Duplex>();
  const server: Server = createServer((local) => {
    sockets.add(local);
    local.pause();
    dial().then(
      (upstream) => {
        sockets.add(upstream);
        const end = () => {
          local.destroy();
          upstream.destroy();
          sockets.delete(local);
          sockets.delete(upstream);
        };
        local.on("error", end);
        upstream.on("error", (err) => {
          onError(err);
          end();
        });
        local.on("close", end);
        upstream.on("close", end);
        local.pipe(upstream);
        upstream.pipe(local);
        local.resume();
        upstream.resume();
      },
      (err: Error) => {
        onError(err);
        local.destroy();
        sockets.delete(local);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  server.unref();
  return {
    address: `unix://${path}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
