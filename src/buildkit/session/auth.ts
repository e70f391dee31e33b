/** The Auth session service: registry credentials for the host the daemon asks about. */
import * as grpc from "@grpc/grpc-js";
import { credentialsFor, readDockerConfig } from "../../support/docker-config.js";
import { fetchRegistryToken, RegistryTokenError } from "../../support/registry-token.js";
import { authDefinition } from "../api/services.js";
import type { SessionService } from "./service.js";
import { authorityPublicKey, signAsAuthority } from "./token-authority.js";

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
      // Offering a token authority makes a daemon of BuildKit v0.9+ ask FetchToken for
      // tokens (the credentials stay in mbake); older daemons never ask and use Credentials.
      GetTokenAuthority(
        call: grpc.ServerUnaryCall<{ Host: string; Salt: Uint8Array }, unknown>,
        cb: grpc.sendUnaryData<{ PublicKey: Buffer }>,
      ) {
        cb(null, { PublicKey: authorityPublicKey(call.request.Host, call.request.Salt ?? []) });
      },
      VerifyTokenAuthority(
        call: grpc.ServerUnaryCall<
          { Host: string; Salt: Uint8Array; Payload: Uint8Array },
          unknown
        >,
        cb: grpc.sendUnaryData<{ Signed: Buffer }>,
      ) {
        const r = call.request;
        cb(null, { Signed: signAsAuthority(r.Host, r.Salt ?? [], r.Payload ?? []) });
      },
    },
  };
}
