/**
 * Fetching a registry bearer token on the daemon's behalf (the session's
 * Auth.FetchToken), as BuildKit's own client does: with credentials, the OAuth2 POST
 * to the realm (password grant, or refresh_token grant for an identity token),
 * falling back to the GET token endpoint with basic auth where the POST is not
 * served; without credentials, an anonymous GET. The secret never leaves this machine.
 */
import type { RegistryCredentials } from "./docker-config.js";
import { processSecrets } from "./secret-texts.js";

export interface TokenRequest {
  readonly host: string;
  readonly realm: string;
  readonly service: string;
  readonly scopes: readonly string[];
}

export interface RegistryToken {
  readonly token: string;
  /** Seconds; 60 when the server gave none (BuildKit's default). */
  readonly expiresIn: number;
  /** Unix seconds, 0 when unknown. */
  readonly issuedAt: number;
}

export class RegistryTokenError extends Error {
  override name = "RegistryTokenError";
}

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

const clientId = "buildkit-client";
const defaultExpiry = 60;

function issuedAtSeconds(value: unknown): number {
  if (typeof value !== "string") return 0;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

function realmUrl(req: TokenRequest): URL {
  try {
    const url = new URL(req.realm);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("not http(s)");
    return url;
  } catch {
    throw new RegistryTokenError(
      `registry ${req.host} named an invalid token realm "${req.realm}"`,
    );
  }
}

async function failure(
  what: string,
  req: TokenRequest,
  res: Response,
): Promise<RegistryTokenError> {
  const body = (await res.text().catch(() => "")).replace(/\s+/g, " ").trim().slice(0, 200);
  return new RegistryTokenError(
    `${what} from ${req.realm} for ${req.host} failed: ${res.status} ${res.statusText}${body ? ` (${body})` : ""}`,
  );
}

export async function fetchRegistryToken(
  req: TokenRequest,
  creds: RegistryCredentials | undefined,
  userAgent: string,
  fetchImpl: Fetch = fetch,
): Promise<RegistryToken> {
  const realm = realmUrl(req);
  const headers = { "user-agent": userAgent };
  if (creds?.secret) {
    const form = new URLSearchParams();
    if (creds.username) {
      form.set("grant_type", "password");
      form.set("username", creds.username);
      form.set("password", creds.secret);
    } else {
      form.set("grant_type", "refresh_token");
      form.set("refresh_token", creds.secret);
    }
    if (req.service) form.set("service", req.service);
    if (req.scopes.length > 0) form.set("scope", req.scopes.join(" "));
    form.set("client_id", clientId);
    form.set("access_type", "online");
    const res = await fetchImpl(realm.toString(), {
      method: "POST",
      headers: { ...headers, "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
      body: form.toString(),
    });
    if (res.ok) {
      const body = (await res.json()) as Record<string, unknown>;
      const token = body.access_token;
      if (typeof token !== "string" || token === "")
        throw new RegistryTokenError(
          `${req.realm} answered the token request for ${req.host} without access_token`,
        );
      processSecrets.add(token);
      return {
        token,
        expiresIn: Number(body.expires_in) > 0 ? Number(body.expires_in) : defaultExpiry,
        issuedAt: issuedAtSeconds(body.issued_at),
      };
    }
    // Registries without the OAuth POST answer 404, 401 or (with a user name) 405.
    const fallBack =
      res.status === 404 || res.status === 401 || (res.status === 405 && creds.username !== "");
    if (!fallBack) throw await failure("fetching a token", req, res);
    await res.body?.cancel();
  }
  const url = new URL(realm);
  if (req.service) url.searchParams.set("service", req.service);
  for (const s of req.scopes) url.searchParams.append("scope", s);
  const res = await fetchImpl(url.toString(), {
    method: "GET",
    headers: creds?.secret
      ? {
          ...headers,
          authorization: `Basic ${Buffer.from(`${creds.username}:${creds.secret}`).toString("base64")}`,
        }
      : headers,
  });
  if (!res.ok)
    throw await failure(
      creds?.secret ? "fetching a token" : "fetching an anonymous token",
      req,
      res,
    );
  const body = (await res.json()) as Record<string, unknown>;
  const token = typeof body.token === "string" && body.token ? body.token : body.access_token;
  if (typeof token !== "string" || token === "")
    throw new RegistryTokenError(
      `${req.realm} answered the token request for ${req.host} without a token`,
    );
  processSecrets.add(token);
  return {
    token,
    expiresIn: Number(body.expires_in) > 0 ? Number(body.expires_in) : defaultExpiry,
    issuedAt: issuedAtSeconds(body.issued_at),
  };
}
