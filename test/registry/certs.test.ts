import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryClient } from "../../src/registry/client.js";
import {
  isNotTls,
  isUntrustedCertificate,
  listFiles,
  registryCaFiles,
  registryCertsDirs,
  trustedCas,
} from "../../src/registry/transport.js";
import { makeCertificates, type TestCertificates } from "../e2e/support/tls-front.js";

describe("registryCertsDirs", () => {
  it("looks in /etc/docker/certs.d and then DOCKER_CONFIG/certs.d, by host:port", () => {
    expect(registryCertsDirs("registry.test:5443", { DOCKER_CONFIG: "/cfg" }, "/home/u")).toEqual([
      "/etc/docker/certs.d/registry.test:5443",
      "/cfg/certs.d/registry.test:5443",
    ]);
  });

  it("uses ~/.docker when DOCKER_CONFIG is unset or empty", () => {
    const expected = ["/etc/docker/certs.d/registry.test", "/home/u/.docker/certs.d/registry.test"];
    expect(registryCertsDirs("registry.test", {}, "/home/u")).toEqual(expected);
    expect(registryCertsDirs("registry.test", { DOCKER_CONFIG: "" }, "/home/u")).toEqual(expected);
  });
});

describe("registryCaFiles", () => {
  const tree: Record<string, string[]> = {
    "/etc/docker/certs.d/127.0.0.1:5443": ["b.crt", "client.cert", "client.key", "a.crt"],
    "/cfg/certs.d/127.0.0.1:5443": ["ca.crt", "README", "ca.pem"],
    "/cfg/certs.d/127.0.0.1:5444": ["other.crt"],
  };
  const list = (dir: string) => tree[dir] ?? [];

  it("takes the *.crt files (CAs) of both directories, system first, sorted by name", () => {
    expect(registryCaFiles("127.0.0.1:5443", { DOCKER_CONFIG: "/cfg" }, list, "/home/u")).toEqual([
      "/etc/docker/certs.d/127.0.0.1:5443/a.crt",
      "/etc/docker/certs.d/127.0.0.1:5443/b.crt",
      "/cfg/certs.d/127.0.0.1:5443/ca.crt",
    ]);
  });

  it("matches the port exactly, and finds nothing for a registry without a directory", () => {
    expect(registryCaFiles("127.0.0.1:5444", { DOCKER_CONFIG: "/cfg" }, list)).toEqual([
      "/cfg/certs.d/127.0.0.1:5444/other.crt",
    ]);
    expect(registryCaFiles("127.0.0.1", { DOCKER_CONFIG: "/cfg" }, list)).toEqual([]);
    expect(registryCaFiles("registry.test", { DOCKER_CONFIG: "/cfg" }, list)).toEqual([]);
  });
});

describe("listFiles and trustedCas", () => {
  it("lists a directory's files and nothing for a missing one", () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-certsd-"));
    writeFileSync(join(dir, "ca.crt"), "x");
    mkdirSync(join(dir, "sub.crt"));
    expect(listFiles(dir)).toEqual(["ca.crt"]);
    expect(listFiles(join(dir, "missing"))).toEqual([]);
  });

  it("adds the certs.d CAs to Node's roots, and leaves the defaults alone without them", () => {
    const config = mkdtempSync(join(tmpdir(), "mbake-docker-config-"));
    mkdirSync(join(config, "certs.d", "127.0.0.1:5443"), { recursive: true });
    writeFileSync(join(config, "certs.d", "127.0.0.1:5443", "ca.crt"), "PEM TEXT");
    const found = trustedCas("127.0.0.1:5443", { DOCKER_CONFIG: config });
    expect(found?.files).toEqual([join(config, "certs.d", "127.0.0.1:5443", "ca.crt")]);
    expect(found?.ca.at(-1)).toBe("PEM TEXT");
    expect(found?.ca.slice(0, tls.rootCertificates.length)).toEqual([...tls.rootCertificates]);
    expect(trustedCas("127.0.0.1:5444", { DOCKER_CONFIG: config })).toBeUndefined();
  });

  it("tells a plain-HTTP server from an untrusted certificate", () => {
    expect(isNotTls({ code: "EPROTO" })).toBe(true);
    expect(isNotTls({ code: "ERR_SSL_WRONG_VERSION_NUMBER" })).toBe(true);
    expect(isNotTls({ code: "SELF_SIGNED_CERT_IN_CHAIN" })).toBe(false);
    expect(isNotTls({ code: "ECONNREFUSED" })).toBe(false);
    for (const code of [
      "SELF_SIGNED_CERT_IN_CHAIN",
      "DEPTH_ZERO_SELF_SIGNED_CERT",
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
      "ERR_TLS_CERT_ALTNAME_INVALID",
      "CERT_HAS_EXPIRED",
    ])
      expect(isUntrustedCertificate({ code }), code).toBe(true);
    expect(isUntrustedCertificate({ code: "EPROTO" })).toBe(false);
    expect(isUntrustedCertificate({ code: "ECONNREFUSED" })).toBe(false);
  });
});

/** A registry stand-in: answers HEAD/GET of one manifest, asking for basic credentials. */
function registryHandler(manifest: string) {
  const digest = `sha256:${createHash("sha256").update(manifest).digest("hex")}`;
  return {
    digest,
    handler: (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (req.headers.authorization !== `Basic ${Buffer.from("u:p").toString("base64")}`) {
        res.writeHead(401, { "www-authenticate": 'Basic realm="test"' }).end();
        return;
      }
      if (req.url === "/v2/team/app/manifests/v1") {
        res.writeHead(200, {
          "content-type": "application/vnd.oci.image.manifest.v1+json",
          "docker-content-digest": digest,
          "content-length": Buffer.byteLength(manifest),
        });
        res.end(req.method === "HEAD" ? undefined : manifest);
        return;
      }
      res.writeHead(404).end();
    },
  };
}

describe("RegistryClient over HTTPS with a CA from certs.d", () => {
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: "test" });
  const { digest, handler } = registryHandler(manifest);
  let certs: TestCertificates;
  let secure: https.Server;
  let plain: http.Server;
  let secureHost: string;
  let plainHost: string;

  beforeAll(async () => {
    certs = makeCertificates({ dns: ["localhost"], ips: ["127.0.0.1"] });
    secure = https.createServer(
      { key: readFileSync(certs.serverKey), cert: readFileSync(certs.serverCert) },
      handler,
    );
    plain = http.createServer(handler);
    await new Promise<void>((r) => secure.listen(0, "127.0.0.1", r));
    await new Promise<void>((r) => plain.listen(0, "127.0.0.1", r));
    secureHost = `127.0.0.1:${(secure.address() as AddressInfo).port}`;
    plainHost = `127.0.0.1:${(plain.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    secure?.closeAllConnections();
    plain?.closeAllConnections();
    await Promise.all([new Promise((r) => secure?.close(r)), new Promise((r) => plain?.close(r))]);
  });

  function configWithCa(host: string): string {
    const config = mkdtempSync(join(tmpdir(), "mbake-docker-config-"));
    mkdirSync(join(config, "certs.d", host), { recursive: true });
    copyFileSync(certs.ca, join(config, "certs.d", host, "ca.crt"));
    return config;
  }

  it("reads a manifest from a registry whose CA is in DOCKER_CONFIG/certs.d/HOST:PORT", async () => {
    const client = new RegistryClient(
      secureHost,
      { username: "u", secret: "p" },
      { env: { DOCKER_CONFIG: configWithCa(secureHost) } },
    );
    expect(await client.manifest("team/app", "v1")).toEqual({
      digest,
      size: Buffer.byteLength(manifest),
      mediaType: "application/vnd.oci.image.manifest.v1+json",
    });
    const fetched = await client.getManifest("team/app", "v1");
    expect(fetched.body).toBe(manifest);
    expect(fetched.descriptor.digest).toBe(digest);
  });

  it("says where to put the CA when the certificate is not trusted, without trying plain HTTP", async () => {
    const empty = mkdtempSync(join(tmpdir(), "mbake-docker-config-"));
    const client = new RegistryClient(
      secureHost,
      { username: "u", secret: "p" },
      { env: { DOCKER_CONFIG: empty } },
    );
    const error = await client.manifest("team/app", "v1").then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toContain(`registry ${secureHost}: the TLS certificate`);
    expect(error?.message).toContain("is not trusted");
    expect(error?.message).toContain(
      `put the registry's CA certificate in /etc/docker/certs.d/${secureHost}/ca.crt or ${empty}/certs.d/${secureHost}/ca.crt`,
    );
  });

  it("names the CA files it tried when the certificate does not chain to them", async () => {
    const other = makeCertificates({ dns: [], ips: ["127.0.0.1"] });
    const config = mkdtempSync(join(tmpdir(), "mbake-docker-config-"));
    mkdirSync(join(config, "certs.d", secureHost), { recursive: true });
    copyFileSync(other.ca, join(config, "certs.d", secureHost, "ca.crt"));
    const client = new RegistryClient(
      secureHost,
      { username: "u", secret: "p" },
      { env: { DOCKER_CONFIG: config } },
    );
    await expect(client.manifest("team/app", "v1")).rejects.toThrow(
      `does not chain to the CA certificates in ${join(config, "certs.d", secureHost, "ca.crt")}`,
    );
  });

  it("falls back to plain HTTP for a loopback registry that does not speak TLS", async () => {
    const client = new RegistryClient(
      plainHost,
      { username: "u", secret: "p" },
      { env: { DOCKER_CONFIG: mkdtempSync(join(tmpdir(), "mbake-docker-config-")) } },
    );
    expect((await client.manifest("team/app", "v1")).digest).toBe(digest);
    expect((await client.getManifest("team/app", "v1")).body).toBe(manifest);
    await expect(client.manifest("team/app", "missing")).rejects.toThrow(
      `registry ${plainHost}: team/app:missing not found (HTTP 404)`,
    );
  });

  it("keeps the 401 message for missing credentials over HTTPS", async () => {
    const client = new RegistryClient(secureHost, undefined, {
      env: { DOCKER_CONFIG: configWithCa(secureHost) },
    });
    await expect(client.manifest("team/app", "v1")).rejects.toThrow(
      `registry ${secureHost}: HEAD /v2/team/app/manifests/v1 was refused (HTTP 401); log in with docker login`,
    );
  });
});
