/**
 * A registry (distribution's `docker-registry serve`) for one test file: HTTPS with a
 * certificate from a CA the test made (makeCertificates), and htpasswd sign-in. It runs
 * on a free port of 127.0.0.1 until `stop()`; a process exit hook kills it too, so a
 * failed or interrupted test run does not leave it behind.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as https from "node:https";
import { join } from "node:path";
import { startRegistryProcess } from "./registry-process.js";
import { makeCertificates, type TestCertificates } from "./tls-front.js";

export interface TlsRegistry {
  /** host:port, e.g. 127.0.0.1:40123 */
  readonly address: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly certs: TestCertificates;
  /** The registry's own output (warnings and errors), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export interface HttpsAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** One HTTPS request that trusts only `ca` (the registry's certificate must chain to it). */
export function httpsGet(
  url: string,
  ca: string,
  headers: Record<string, string> = {},
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca: readFileSync(ca), headers, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const flat: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(", ") : v;
        resolve({
          status: res.statusCode ?? 0,
          headers: flat,
          body: Buffer.concat(chunks).toString("utf8"),
        });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
  });
}

/** An htpasswd line with a bcrypt hash (distribution accepts only bcrypt), as scripts/test-env makes it. */
function htpasswdLine(user: string, password: string): string {
  return execFileSync(
    "python3",
    [
      "-W",
      "ignore",
      "-c",
      "import crypt,sys; print(sys.argv[1] + ':' + crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH)))",
      user,
      password,
    ],
    { encoding: "utf8" },
  );
}

export async function startTlsRegistry(
  opts: { username?: string; password?: string } = {},
): Promise<TlsRegistry> {
  const username = opts.username ?? "mbake-tls";
  const password = opts.password ?? "tls-secret";
  const certs = makeCertificates({ dns: ["localhost"], ips: ["127.0.0.1"] });
  const registry = await startRegistryProcess({
    name: "tls-registry",
    config: (dir, address) => {
      writeFileSync(join(dir, "htpasswd"), htpasswdLine(username, password));
      return [
        `http: { addr: "${address}", tls: { certificate: ${certs.serverCert}, key: ${certs.serverKey} } }`,
        `auth: { htpasswd: { realm: mbake-tls-test, path: ${join(dir, "htpasswd")} } }`,
      ];
    },
    probe: async (address) => {
      const answer = await httpsGet(`https://${address}/v2/`, certs.ca);
      return answer.status === 401 ? "up" : "wrong";
    },
  });
  return {
    address: registry.address,
    port: registry.port,
    username,
    password,
    certs,
    log: registry.log,
    stop: registry.stop,
  };
}
