import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchRegistryToken, RegistryTokenError } from "../../src/support/registry-token.js";
import { startTokenServer, type TokenServer } from "./token-server.js";

let oauth: TokenServer;
let getOnly: TokenServer;
const user = { username: "alice", secret: "s3cret" };

beforeAll(async () => {
  oauth = await startTokenServer({
    username: "alice",
    password: "s3cret",
    refreshTokens: ["rt-1"],
  });
  getOnly = await startTokenServer({ username: "alice", password: "s3cret", getOnly: true });
});
afterAll(async () => {
  await oauth?.close();
  await getOnly?.close();
});

const request = (realm: string) => ({
  host: "registry.test",
  realm,
  service: "registry.test",
  scopes: ["repository:team/app:pull", "repository:team/base:pull,push"],
});

describe("registry token fetch (the session's Auth.FetchToken)", () => {
  it("uses the OAuth2 password grant with every scope and says who asks", async () => {
    const t = await fetchRegistryToken(request(oauth.realm), user, "mbake/test");
    expect(t.token).toMatch(/^opaque-/);
    expect(t.expiresIn).toBe(300);
    expect(t.issuedAt).toBeGreaterThan(0);
    expect(oauth.requests.at(-1)).toMatchObject({
      method: "POST",
      grantType: "password",
      username: "alice",
      userAgent: "mbake/test",
      scopes: ["repository:team/app:pull", "repository:team/base:pull,push"],
      service: "registry.test",
      granted: true,
    });
  });

  it("uses the refresh_token grant for an identity token (no user name)", async () => {
    await fetchRegistryToken(request(oauth.realm), { username: "", secret: "rt-1" }, "mbake");
    expect(oauth.requests.at(-1)).toMatchObject({ grantType: "refresh_token", granted: true });
  });

  it("falls back to GET with basic auth where the OAuth POST is not served", async () => {
    const t = await fetchRegistryToken(request(getOnly.realm), user, "mbake");
    expect(t.expiresIn).toBe(300);
    expect(getOnly.requests.map((r) => r.method)).toEqual(["POST", "GET"]);
    expect(getOnly.requests[1]).toMatchObject({ username: "alice", granted: true });
  });

  it("asks anonymously without credentials, and names realm and host when refused", async () => {
    const err = await fetchRegistryToken(request(oauth.realm), undefined, "mbake").catch((e) => e);
    expect(err).toBeInstanceOf(RegistryTokenError);
    expect(err.message).toMatch(
      new RegExp(
        `fetching an anonymous token from ${oauth.realm.replace(/[.]/g, "\\.")} for registry\\.test failed: 401`,
      ),
    );
    expect(oauth.requests.at(-1)).toMatchObject({ method: "GET", granted: false });
    await expect(
      fetchRegistryToken(request(oauth.realm), { username: "alice", secret: "wrong" }, "mbake"),
    ).rejects.toThrowError(/fetching a token from .* for registry\.test failed: 401/);
  });

  it("refuses a realm that is not an http(s) URL", async () => {
    await expect(
      fetchRegistryToken(request("file:///etc/passwd"), user, "mbake"),
    ).rejects.toThrowError(/invalid token realm "file:\/\/\/etc\/passwd"/);
  });
});
