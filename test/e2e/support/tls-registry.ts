/**
 * A registry (distribution's `docker-registry serve`) for one test file: HTTPS with a
 * certificate from a CA the test made (makeCertificates), and htpasswd sign-in. It runs
 * on a free port of 127.0.0.1 until `stop()`; a process exit hook kills it too, so a
 * failed or interrupted test run does not leave it behind.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

/** A port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
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

function kill(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

export async function startTlsRegistry(
  opts: { username?: string; password?: string } = {},
): Promise<TlsRegistry> {
  const username = opts.username ?? "mbake-tls";
  const password = opts.password ?? "tls-secret";
  const certs = makeCertificates({ dns: ["localhost"], ips: ["127.0.0.1"] });
  const dir = mkdtempSync(join(tmpdir(), "mbake-tls-registry-"));
  writeFileSync(join(dir, "htpasswd"), htpasswdLine(username, password));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  writeFileSync(
    join(dir, "config.yml"),
    [
      "version: 0.1",
      "log: { level: warn }",
      `storage: { filesystem: { rootdirectory: ${join(dir, "data")} }, delete: { enabled: true } }`,
      `http: { addr: "${address}", tls: { certificate: ${certs.serverCert}, key: ${certs.serverKey} } }`,
      `auth: { htpasswd: { realm: mbake-tls-test, path: ${join(dir, "htpasswd")} } }`,
      "",
    ].join("\n"),
  );
  const child = spawn("docker-registry", ["serve", join(dir, "config.yml")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const onExit = () => kill(child);
  process.on("exit", onExit);
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    kill(child);
    await exited;
    process.off("exit", onExit);
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`docker-registry exited at start:\n${output}`);
      const answer = await httpsGet(`https://${address}/v2/`, certs.ca).catch(() => undefined);
      if (answer?.status === 401) break;
      if (answer)
        throw new Error(`https://${address}/v2/ answered ${answer.status}, not 401:\n${output}`);
      if (Date.now() > deadline)
        throw new Error(`docker-registry did not answer on https://${address}/v2/:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, port, username, password, certs, log: () => output, stop };
}
