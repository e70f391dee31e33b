/** The Auth session service: registry credentials for the host the daemon asks about. */
import * as grpc from "@grpc/grpc-js";
import { credentialsFor, readDockerConfig } from "../../support/docker-config.js";
import { fetchRegistryToken, RegistryTokenError } from "../../support/registry-token.js";
import { authDefinition } from "../api/services.js";
import type { SessionService } from "./service.js";

const definition = authDefinition;

interface FetchTokenCall {
  ClientID: string;
  Host: string;
  Realm: string;
  Service: string;
  Scopes: string[];
}

export function authService(
  env: Readonly<Record<string, string | undefined>>,
  userAgent = "mbake",
): SessionService {
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
      FetchToken(
        call: grpc.ServerUnaryCall<FetchTokenCall, unknown>,
        cb: grpc.sendUnaryData<{ Token: string; ExpiresIn: number; IssuedAt: number }>,
      ) {
        const r = call.request;
        fetchRegistryToken(
          { host: r.Host, realm: r.Realm, service: r.Service, scopes: r.Scopes ?? [] },
          credentialsFor(config, r.Host),
          userAgent,
        ).then(
          (t) => cb(null, { Token: t.token, ExpiresIn: t.expiresIn, IssuedAt: t.issuedAt }),
          (err: unknown) =>
            cb({
              code:
                err instanceof RegistryTokenError
                  ? grpc.status.PERMISSION_DENIED
                  : grpc.status.UNAVAILABLE,
              details:
                err instanceof RegistryTokenError
                  ? err.message
                  : `fetching a token from ${r.Realm} for ${r.Host}: ${(err as Error).message}`,
            }),
        );
      },
      // No token authority: the daemon then asks for a token through FetchToken.
      GetTokenAuthority: unimplemented,
      VerifyTokenAuthority: unimplemented,
    },
  };
}
