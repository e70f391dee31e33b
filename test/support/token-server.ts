/**
 * A registry token server for the tests (distribution's "token" auth): the OAuth2
 * POST (password and refresh_token grants) and the GET with basic auth, issuing
 * RS256 JWTs with the signing certificate in x5c, as distribution verifies them
 * against its rootcertbundle. Every request is recorded.
 */
import { createSign, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface TokenRequestRecord {
  readonly method: string;
  readonly userAgent: string;
  readonly grantType?: string;
  readonly username?: string;
  readonly scopes: string[];
  readonly service?: string;
  readonly granted: boolean;
}

export interface TokenServer {
  readonly realm: string;
  readonly requests: TokenRequestRecord[];
  close(): Promise<void>;
}

export interface TokenServerOptions {
  readonly username: string;
  readonly password: string;
  /**
   * PEM files of the signing key and its certificate (the registry's rootcertbundle);
   * without them tokens are opaque strings that no registry would accept.
   */
  readonly signing?: {
    readonly keyFile: string;
    readonly certFile: string;
    readonly issuer: string;
  };
  /** Refresh tokens that stand for the user (identity tokens in a Docker config). */
  readonly refreshTokens?: readonly string[];
  /** Serve only the GET endpoint (the POST answers 404), as some registries do. */
  readonly getOnly?: boolean;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    req.on("data", (d: Buffer) => {
      text += d.toString();
    });
    req.on("end", () => resolve(text));
  });
}

export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const signing = opts.signing;
  const key = signing ? readFileSync(signing.keyFile) : undefined;
  const certDer = signing ? new X509Certificate(readFileSync(signing.certFile)).raw : undefined;
  const requests: TokenRequestRecord[] = [];
  const sign = (service: string, scopes: string[], subject: string): string => {
    if (!signing || !key || !certDer) return `opaque-${scopes.join("+")}-${Date.now()}`;
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.flatMap((s) => {
      const [type, name, actions] = s.split(":");
      return type && name && actions ? [{ type, name, actions: actions.split(",") }] : [];
    });
    const header = { typ: "JWT", alg: "RS256", x5c: [certDer.toString("base64")] };
    const claims = {
      iss: signing.issuer,
      sub: subject,
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: Math.random().toString(36).slice(2),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign("RSA-SHA256").update(input).sign(key);
    return `${input}.${b64url(signature)}`;
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://token");
    const userAgent = req.headers["user-agent"] ?? "";
    const reply = (status: number, json: object) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(json));
    };
    if (req.method === "POST") {
      const form = new URLSearchParams(await body(req));
      const scopes = (form.get("scope") ?? "").split(" ").filter(Boolean);
      const grantType = form.get("grant_type") ?? "";
      const username = form.get("username") ?? undefined;
      if (opts.getOnly) {
        requests.push({ method: "POST", userAgent, grantType, scopes, granted: false });
        reply(404, { error: "not found" });
        return;
      }
      const granted =
        (grantType === "password" &&
          username === opts.username &&
          form.get("password") === opts.password) ||
        (grantType === "refresh_token" &&
          (opts.refreshTokens ?? []).includes(form.get("refresh_token") ?? ""));
      const service = form.get("service") ?? "";
      requests.push({
        method: "POST",
        userAgent,
        grantType,
        ...(username ? { username } : {}),
        scopes,
        service,
        granted,
      });
      if (!granted) return reply(401, { error: "invalid_grant" });
      return reply(200, {
        access_token: sign(service, scopes, opts.username),
        expires_in: 300,
        issued_at: new Date().toISOString(),
      });
    }
    const scopes = url.searchParams.getAll("scope");
    const service = url.searchParams.get("service") ?? "";
    const auth = req.headers.authorization ?? "";
    const decoded = auth.startsWith("Basic ")
      ? Buffer.from(auth.slice(6), "base64").toString()
      : "";
    const granted = decoded === `${opts.username}:${opts.password}`;
    requests.push({
      method: "GET",
      userAgent,
      ...(decoded ? { username: decoded.split(":")[0]! } : {}),
      scopes,
      service,
      granted,
    });
    if (!granted) return reply(401, { errors: [{ code: "UNAUTHORIZED" }] });
    reply(200, { token: sign(service, scopes, opts.username), expires_in: 300 });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
