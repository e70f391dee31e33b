/**
 * A registry with distribution's token auth for one test file: a token server (see
 * test/support/token-server.ts) signing JWTs with a key the test made, and
 * `docker-registry serve` trusting that key's certificate. Plain HTTP on 127.0.0.1
 * (the Engines treat loopback registries as insecure).
 */
import { join } from "node:path";
import { startTokenServer, type TokenServer } from "../../support/token-server.js";
import { type RegistryProcess, startRegistryProcess } from "./registry-process.js";
import { makeCertificates } from "./tls-front.js";

export interface TokenRegistry {
  readonly address: string;
  readonly username: string;
  readonly password: string;
  readonly tokens: TokenServer;
  log(): string;
  stop(): Promise<void>;
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
  let registry: RegistryProcess;
  try {
    registry = await startRegistryProcess({
      name: "token-registry",
      config: (_dir, address) => [
        `http: { addr: "${address}" }`,
        `auth: { token: { realm: "${tokens.realm}", service: ${service}, issuer: ${issuer}, rootcertbundle: ${certs.ca} } }`,
      ],
      probe: async (address) => {
        const res = await fetch(`http://${address}/v2/`);
        return res.status === 401 && /Bearer/.test(res.headers.get("www-authenticate") ?? "")
          ? "up"
          : "wrong";
      },
    });
  } catch (err) {
    await tokens.close();
    throw err;
  }
  return {
    address: registry.address,
    username,
    password,
    tokens,
    log: registry.log,
    stop: async () => {
      await registry.stop();
      await tokens.close();
    },
  };
}
