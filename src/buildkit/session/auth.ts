/** The Auth session service: registry credentials for the host the daemon asks about. */
import * as grpc from "@grpc/grpc-js";
import { loadProto, lookupProto } from "../api/load.js";
import { credentialsFor, readDockerConfig } from "./docker-config.js";
import type { SessionService } from "./service.js";

const definition = (
  lookupProto(loadProto("auth.proto"), "moby.filesync.v1.Auth") as grpc.ServiceClientConstructor
).service;

export function authService(env: Readonly<Record<string, string | undefined>>): SessionService {
  const config = readDockerConfig(env);
  const unimplemented = (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
    cb({ code: grpc.status.UNIMPLEMENTED, details: "not served by mbake" });
  return {
    name: "moby.filesync.v1.Auth",
    definition,
    implementation: {
      Credentials(
        call: grpc.ServerUnaryCall<{ Host: string }, unknown>,
        cb: grpc.sendUnaryData<{ Username: string; Secret: string }>,
      ) {
        const creds = credentialsFor(config, call.request.Host);
        cb(null, { Username: creds?.username ?? "", Secret: creds?.secret ?? "" });
      },
      FetchToken: unimplemented,
      GetTokenAuthority: unimplemented,
      VerifyTokenAuthority: unimplemented,
    },
  };
}
