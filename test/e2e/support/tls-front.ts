/**
 * A real `tcp://` BuildKit endpoint with mutual TLS for the tests: certificates made
 * with openssl (a CA, a server certificate for 127.0.0.1 and buildkitd.test, a client
 * certificate), and a TLS server that carries each connection to a Docker Engine's
 * BuildKit (through its POST /grpc upgrade), as a TLS-terminating proxy in front of
 * buildkitd would.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import { hijack } from "../../../src/buildkit/transport/engine.js";

export interface TestCertificates {
  readonly dir: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** A fresh CA and server/client certificates signed by it. */
export function makeCertificates(hosts: { dns: string[]; ips: string[] }): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "mbake-certs-"));
  openssl(
    dir,
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"].concat([
      "-subj",
      "/CN=mbake test CA",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
    ]),
  );
  const san = [...hosts.dns.map((d) => `DNS:${d}`), ...hosts.ips.map((i) => `IP:${i}`)].join(",");
  writeFileSync(join(dir, "server.ext"), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  writeFileSync(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const who of ["server", "client"]) {
    openssl(
      dir,
      ["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=mbake test ${who}`].concat([
        "-keyout",
        `${who}.key`,
        "-out",
        `${who}.csr`,
      ]),
    );
    openssl(
      dir,
      ["x509", "-req", "-in", `${who}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key"].concat([
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        `${who}.ext`,
        "-out",
        `${who}.pem`,
      ]),
    );
  }
  return {
    dir,
    ca: join(dir, "ca.pem"),
    serverCert: join(dir, "server.pem"),
    serverKey: join(dir, "server.key"),
    clientCert: join(dir, "client.pem"),
    clientKey: join(dir, "client.key"),
  };
}

export interface TlsFront {
  readonly port: number;
  /** Connections the server refused during the TLS handshake. */
  readonly refused: string[];
  close(): Promise<void>;
}

/** Serves BuildKit's gRPC over TLS on 127.0.0.1, requiring a client certificate from the CA. */
export async function startTlsFront(
  certs: TestCertificates,
  engineSocket: string,
): Promise<TlsFront> {
  const refused: string[] = [];
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer(
    {
      key: readFileSync(certs.serverKey),
      cert: readFileSync(certs.serverCert),
      ca: readFileSync(certs.ca),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ["h2"],
    },
    (client) => {
      sockets.add(client);
      client.on("close", () => sockets.delete(client));
      client.pause();
      hijack(engineSocket, "/grpc").then(
        (daemon) => {
          client.pipe(daemon).pipe(client);
          client.resume();
          daemon.resume();
          daemon.on("error", () => client.destroy());
          client.on("error", () => daemon.destroy());
          client.on("close", () => daemon.destroy());
        },
        () => client.destroy(),
      );
    },
  );
  server.on("tlsClientError", (err) => refused.push(err.message));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
