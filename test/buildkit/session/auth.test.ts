/** The session's Auth service over a real gRPC connection, as the daemon calls it. */
import { createPublicKey, randomBytes, verify } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authService } from "../../../src/buildkit/session/auth.js";
import { type ServiceClient, serveSessionService } from "../../support/session-service.js";
import { startTokenServer, type TokenServer } from "../../support/token-server.js";

const dir = mkdtempSync(join(tmpdir(), "mbake-auth-"));
let served: Awaited<ReturnType<typeof serveSessionService>>;
let client: ServiceClient;
let tokens: TokenServer;

beforeAll(async () => {
  tokens = await startTokenServer({ username: "bob", password: "pw" });
  const configDir = join(dir, "docker");
  mkdirSync(configDir);
  writeFileSync(
    join(configDir, "config.json"),
    JSON.stringify({
      auths: { "registry.test:5000": { auth: Buffer.from("bob:pw").toString("base64") } },
    }),
  );
  served = await serveSessionService(authService({ DOCKER_CONFIG: configDir }, "mbake/1.2.3"));
  client = served.client;
});
afterAll(async () => {
  served?.close();
  await tokens?.close();
});

function call<T>(method: string, req: object): Promise<T> {
  return new Promise((resolve, reject) =>
    (client[method] as (r: object, cb: (e: unknown, r: T) => void) => void).call(
      client,
      req,
      (err, res) => (err ? reject(err) : resolve(res)),
    ),
  );
}

describe("the session's Auth service", () => {
  it("gives credentials only for the host asked about", async () => {
    expect(await call("Credentials", { Host: "registry.test:5000" })).toEqual({
      Username: "bob",
      Secret: "pw",
    });
    expect(await call("Credentials", { Host: "other.test" })).toEqual({ Username: "", Secret: "" });
  });

  it("fetches a token for the daemon with the host's credentials", async () => {
    const res = await call<{ Token: string; ExpiresIn: string }>("FetchToken", {
      Host: "registry.test:5000",
      Realm: tokens.realm,
      Service: "registry.test:5000",
      Scopes: ["repository:app:pull"],
    });
    expect(res.Token).toMatch(/^opaque-repository:app:pull/);
    expect(res.ExpiresIn).toBe("300");
    expect(tokens.requests.at(-1)).toMatchObject({
      userAgent: "mbake/1.2.3",
      username: "bob",
      granted: true,
    });
  });

  it("answers PermissionDenied with the token server's refusal", async () => {
    await expect(
      call("FetchToken", {
        Host: "other.test",
        Realm: tokens.realm,
        Service: "x",
        Scopes: ["repository:app:pull"],
      }),
    ).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: expect.stringMatching(/anonymous token .* for other\.test failed: 401/),
    });
  });

  it("is a token authority: a key per host and salt, and payloads signed as the daemon verifies them", async () => {
    const salt = Buffer.from("daemon-salt");
    const { PublicKey } = await call<{ PublicKey: Buffer }>("GetTokenAuthority", {
      Host: "registry.test:5000",
      Salt: salt,
    });
    expect(PublicKey).toHaveLength(32);
    const again = await call<{ PublicKey: Buffer }>("GetTokenAuthority", {
      Host: "registry.test:5000",
      Salt: salt,
    });
    expect(again.PublicKey).toEqual(PublicKey);
    const other = await call<{ PublicKey: Buffer }>("GetTokenAuthority", {
      Host: "other.test",
      Salt: salt,
    });
    expect(other.PublicKey).not.toEqual(PublicKey);
    // The daemon checks NaCl's sign.Open: a 64-byte Ed25519 signature, then the payload.
    const payload = randomBytes(32);
    const { Signed } = await call<{ Signed: Buffer }>("VerifyTokenAuthority", {
      Host: "registry.test:5000",
      Salt: salt,
      Payload: payload,
    });
    expect(Signed.subarray(64)).toEqual(payload);
    const key = createPublicKey({
      key: { kty: "OKP", crv: "Ed25519", x: PublicKey.toString("base64url") },
      format: "jwk",
    });
    expect(verify(null, payload, key, Signed.subarray(0, 64))).toBe(true);
    expect(verify(null, randomBytes(32), key, Signed.subarray(0, 64))).toBe(false);
  });
});
