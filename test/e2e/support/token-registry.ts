/**
 * A registry with distribution's token auth for one test file: a token server (see
 * test/support/token-server.ts) signing JWTs with a key the test made, and
 * `docker-registry serve` trusting that key's certificate. Plain HTTP on 127.0.0.1
 * (the Engines treat loopback registries as insecure).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTokenServer, type TokenServer } from "../../support/token-server.js";
import { makeCertificates } from "./tls-front.js";

export interface TokenRegistry {
  readonly address: string;
  readonly username: string;
  readonly password: string;
  readonly tokens: TokenServer;
  log(): string;
  stop(): Promise<void>;
}

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

export async function startTokenRegistry(): Promise<TokenRegistry> {
  const username = "mbake-token";
  const password = "token-secret";
  const certs = makeCertificates({ dns: ["token-issuer"], ips: [] });
  const issuer = "mbake-test-issuer";
  const service = "mbake-token-registry";
  const tokens = await startTokenServer({
    username,
    password,
    signing: { keyFile: join(certs.dir, "ca.key"), certFile: certs.ca, issuer },
  });
  const dir = mkdtempSync(join(tmpdir(), "mbake-token-registry-"));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  writeFileSync(
    join(dir, "config.yml"),
    [
      "version: 0.1",
      "log: { level: warn }",
      `storage: { filesystem: { rootdirectory: ${join(dir, "data")} }, delete: { enabled: true } }`,
      `http: { addr: "${address}" }`,
      `auth: { token: { realm: "${tokens.realm}", service: ${service}, issuer: ${issuer}, rootcertbundle: ${certs.ca} } }`,
      "",
    ].join("\n"),
  );
  let output = "";
  const child: ChildProcess = spawn("docker-registry", ["serve", join(dir, "config.yml")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.once("exit", kill);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await fetch(`http://${address}/v2/`).catch(() => undefined);
    if (res?.status === 401 && /Bearer/.test(res.headers.get("www-authenticate") ?? "")) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      kill();
      await tokens.close();
      throw new Error(`the token registry did not start on ${address}: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    address,
    username,
    password,
    tokens,
    log: () => output,
    stop: async () => {
      kill();
      process.removeListener("exit", kill);
      await tokens.close();
    },
  };
}
