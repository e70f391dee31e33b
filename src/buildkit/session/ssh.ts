/**
 * SSH agent forwarding: `ssh = ["default"]` forwards SSH_AUTH_SOCK, `id=/path/agent.sock`
 * a named agent socket, `id=/path/key[,/path/key2]` keys served by an agent of mbake's. BuildKit asks CheckAgent for an id, then opens a ForwardAgent
 * stream (id in the "buildkit.ssh.id" metadata) that mbake pipes to the agent socket.
 */
import { existsSync, statSync } from "node:fs";
import { connect } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { sshDefinition } from "../api/services.js";
import { metadataValues, type SessionService } from "./service.js";
import { type KeyAgent, startKeyAgent } from "./ssh-agent.js";
import { readSshKey } from "./ssh-keys.js";

const definition = sshDefinition;

export interface SshSpec {
  readonly id: string;
  readonly paths?: readonly string[];
}

export class SshError extends Error {
  override name = "SshError";
}

export interface SshAgents {
  /** The agent socket of each id. */
  readonly sockets: Map<string, string>;
  /** Stops the agents mbake started for key files. */
  close(): Promise<void>;
}

function expandHome(path: string, env: Readonly<Record<string, string | undefined>>): string {
  return path.startsWith("~/") ? join(env.HOME ?? homedir(), path.slice(2)) : path;
}

/**
 * The agent socket of each id, checked now so a missing agent fails before the build:
 * an agent socket (SSH_AUTH_SOCK for "default"), or key files that mbake serves from
 * an agent of its own for the length of the build.
 */
export async function prepareSshAgents(
  specs: readonly SshSpec[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<SshAgents> {
  const sockets = new Map<string, string>();
  const started: KeyAgent[] = [];
  const close = async () => {
    await Promise.all(started.map((a) => a.close()));
  };
  try {
    for (const s of specs) {
      const paths = (s.paths ?? []).map((p) => expandHome(p, env));
      if (paths.length === 0) {
        const sock = s.id === "default" ? env.SSH_AUTH_SOCK : undefined;
        if (!sock)
          throw new SshError(
            `ssh "${s.id}": no agent socket; set SSH_AUTH_SOCK or write ${s.id}=/path/to/agent.sock (or a key file)`,
          );
        if (!existsSync(sock) || !statSync(sock).isSocket())
          throw new SshError(`ssh "${s.id}": SSH_AUTH_SOCK=${sock} is not an agent socket`);
        sockets.set(s.id, sock);
        continue;
      }
      const kinds = paths.map((p) => {
        if (!existsSync(p)) throw new SshError(`ssh "${s.id}": ${p} does not exist`);
        return statSync(p).isSocket() ? "socket" : "key";
      });
      if (kinds.includes("socket")) {
        if (paths.length > 1)
          throw new SshError(
            `ssh "${s.id}": give either one agent socket or key files, not ${paths.join(", ")}`,
          );
        sockets.set(s.id, paths[0]!);
        continue;
      }
      const keys = paths.map((p) => {
        try {
          return readSshKey(p);
        } catch (err) {
          throw new SshError(`ssh "${s.id}": ${(err as Error).message}`);
        }
      });
      const agent = await startKeyAgent(keys);
      started.push(agent);
      sockets.set(s.id, agent.socketPath);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { sockets, close };
}

export function sshService(sockets: ReadonlyMap<string, string>): SessionService {
  return {
    name: "moby.sshforward.v1.SSH",
    definition,
    implementation: {
      CheckAgent(
        call: grpc.ServerUnaryCall<{ ID: string }, unknown>,
        cb: grpc.sendUnaryData<object>,
      ) {
        const id = call.request.ID || "default";
        if (!sockets.has(id))
          cb({ code: grpc.status.NOT_FOUND, details: `unset ssh forward key ${id}` });
        else cb(null, {});
      },
      ForwardAgent(call: grpc.ServerDuplexStream<{ data: Buffer }, { data: Buffer }>) {
        const id = metadataValues(call.metadata, "buildkit.ssh.id")[0] || "default";
        const path = sockets.get(id);
        if (!path) {
          call.emit("error", {
            code: grpc.status.NOT_FOUND,
            details: `unset ssh forward key ${id}`,
          });
          return;
        }
        const agent = connect(path);
        agent.on("data", (d: Buffer) => call.write({ data: d }));
        agent.on("end", () => call.end());
        agent.on("error", (err) =>
          call.emit("error", {
            code: grpc.status.UNAVAILABLE,
            details: `ssh agent ${path}: ${err.message}`,
          }),
        );
        call.on("data", (m: { data: Buffer }) => agent.write(m.data));
        call.on("end", () => agent.end());
        call.on("cancelled", () => agent.destroy());
      },
    },
  };
}
