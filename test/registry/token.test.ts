/** The registry client against a registry that answers with a Bearer challenge. */

import { mkdtempSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryClient } from "../../src/registry/client.js";
import { startTokenServer, type TokenServer } from "../support/token-server.js";

const manifest = JSON.stringify({ schemaVersion: 2, mediaType: "test" });
let tokens: TokenServer;
let registry: http.Server;
let host: string;

beforeAll(async () => {
  tokens = await startTokenServer({ username: "u", password: "p" });
  registry = http.createServer((req, res) => {
    // Any token the token server issued for this repository will do.
    if (!/^Bearer opaque-repository:team\/app:pull/.test(req.headers.authorization ?? "")) {
      res
        .writeHead(401, {
          "www-authenticate": `Bearer realm="${tokens.realm}",service="registry.test"`,
        })
        .end();
      return;
    }
    res.writeHead(200, {
      "content-type": "application/vnd.oci.image.manifest.v1+json",
      "docker-content-digest": "sha256:abc",
      "content-length": Buffer.byteLength(manifest),
    });
    res.end(req.method === "HEAD" ? undefined : manifest);
  });
  await new Promise<void>((r) => registry.listen(0, "127.0.0.1", r));
  host = `127.0.0.1:${(registry.address() as AddressInfo).port}`;
});
afterAll(async () => {
  registry?.closeAllConnections();
  await new Promise((r) => registry?.close(r));
  await tokens?.close();
});

const env = () => ({ DOCKER_CONFIG: mkdtempSync(join(tmpdir(), "mbake-docker-config-")) });

describe("RegistryClient and bearer tokens", () => {
  it("fetches a token for the scope with its credentials, then reuses it", async () => {
    const client = new RegistryClient(host, { username: "u", secret: "p" }, { env: env() });
    expect((await client.getManifest("team/app", "v1")).body).toBe(manifest);
    await client.manifest("team/app", "v1");
    const asked = tokens.requests.filter((r) => r.granted);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({
      method: "POST",
      grantType: "password",
      username: "u",
      service: "registry.test",
      scopes: ["repository:team/app:pull"],
    });
  });

  it("names the registry, the scope and the token server's answer when the token is refused", async () => {
    const client = new RegistryClient(host, { username: "u", secret: "wrong" }, { env: env() });
    await expect(client.manifest("team/app", "v1")).rejects.toThrow(
      new RegExp(
        `^registry ${host}: the token request for repository:team/app:pull failed: fetching a token from http://127\\.0\\.0\\.1:\\d+/token for ${host} failed: 401`,
      ),
    );
  });
});
