/**
 * SSH agent forwarding: `ssh = ["default"]` forwards SSH_AUTH_SOCK, `id=/path/agent.sock`
 * a named agent socket. BuildKit asks CheckAgent for an id, then opens a ForwardAgent
 * stream (id in the "buildkit.ssh.id" metadata) that mbake pipes to the agent socket.
 */
import { existsSync, statSync } from "node:fs";
import { connect } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { loadProto, lookupProto } from "../api/load.js";
import type { SessionService } from "./service.js";

const definition = (
  lookupProto(loadProto("ssh.proto"), "moby.sshforward.v1.SSH") as grpc.ServiceClientConstructor
).service;

export interface SshSpec {
  readonly id: string;
  readonly paths?: readonly string[];
}

export class SshError extends Error {
  override name = "SshError";
}

/** The agent socket of each id, checked now so a missing agent fails before the build. */
export function sshSockets(
  specs: readonly SshSpec[],
  env: Readonly<Record<string, string | undefined>>,
): Map<string, string> {
  const sockets = new Map<string, string>();
  for (const s of specs) {
    const path = s.paths?.[0] ?? (s.id === "default" ? env.SSH_AUTH_SOCK : undefined);
    if (!path)
      throw new SshError(
        `ssh "${s.id}": no agent socket; set SSH_AUTH_SOCK or write ${s.id}=/path/to/agent.sock`,
      );
    if ((s.paths?.length ?? 0) > 1)
      throw new SshError(
        `ssh "${s.id}": give one agent socket (key files are not supported by mbake yet)`,
      );
    if (!existsSync(path) || !statSync(path).isSocket()) {
      throw new SshError(
        `ssh "${s.id}": ${path} is not an agent socket (key files are not supported by mbake yet; load the key into ssh-agent)`,
      );
    }
    sockets.set(s.id, path);
  }
  return sockets;
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
        const id = call.metadata.get("buildkit.ssh.id")[0]?.toString() || "default";
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
