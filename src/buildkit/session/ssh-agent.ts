/**
 * A small SSH agent served by mbake on a private unix socket, holding keys read from
 * files (`ssh = ["deploy=~/.ssh/id_ed25519"]`): it lists its identities and signs;
 * every other request (adding, removing, locking keys) is refused.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SshKey, SshReader, sshString } from "./ssh-keys.js";

const FAILURE = 5;
const REQUEST_IDENTITIES = 11;
const IDENTITIES_ANSWER = 12;
const SIGN_REQUEST = 13;
const SIGN_RESPONSE = 14;

export interface KeyAgent {
  readonly socketPath: string;
  close(): Promise<void>;
}

function frame(type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length + 1);
  head[4] = type;
  return Buffer.concat([head, payload]);
}

/** The agent's answer to one request message (type byte and payload). */
export function answer(keys: readonly SshKey[], message: Buffer): Buffer {
  const type = message[0];
  try {
    if (type === REQUEST_IDENTITIES) {
      const count = Buffer.alloc(4);
      count.writeUInt32BE(keys.length);
      return frame(
        IDENTITIES_ANSWER,
        Buffer.concat([
          count,
          ...keys.flatMap((k) => [sshString(k.publicBlob), sshString(k.comment)]),
        ]),
      );
    }
    if (type === SIGN_REQUEST) {
      const r = new SshReader(message.subarray(1));
      const blob = r.bytes();
      const data = r.bytes();
      const flags = r.remaining >= 4 ? r.uint32() : 0;
      const key = keys.find((k) => k.publicBlob.equals(blob));
      if (!key) return frame(FAILURE);
      return frame(SIGN_RESPONSE, sshString(key.sign(data, flags)));
    }
  } catch {
    return frame(FAILURE);
  }
  return frame(FAILURE);
}

function serveConnection(keys: readonly SshKey[], conn: Socket): void {
  let pending = Buffer.alloc(0);
  conn.on("data", (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const len = pending.readUInt32BE(0);
      if (len === 0 || len > 256 * 1024) {
        conn.destroy();
        return;
      }
      if (pending.length < 4 + len) break;
      const message = pending.subarray(4, 4 + len);
      pending = pending.subarray(4 + len);
      conn.write(answer(keys, message));
    }
  });
  conn.on("error", () => conn.destroy());
}

/** Starts an agent for `keys` on a socket in a private temporary folder. */
export async function startKeyAgent(keys: readonly SshKey[]): Promise<KeyAgent> {
  const dir = mkdtempSync(join(tmpdir(), "mbake-agent-"));
  chmodSync(dir, 0o700);
  const socketPath = join(dir, "agent.sock");
  const connections = new Set<Socket>();
  const server = createServer((conn) => {
    connections.add(conn);
    conn.on("close", () => connections.delete(conn));
    serveConnection(keys, conn);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.destroy();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
