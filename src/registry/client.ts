/**
 * A small client of the registry HTTP API (distribution v2): enough to read a
 * manifest and to push an index that joins single-platform images.
 *
 * It speaks HTTPS, trusting the CA certificates Docker would for the registry
 * (certs.d, see transport.ts); a registry on a loopback address that
 * does not speak TLS is reached over plain HTTP instead, as Docker does for
 * its default insecure range.
 */
import { createHash } from "node:crypto";
import { CancelledError } from "../support/abort.js";
import {
  fetchRegistryToken,
  type RegistryToken,
  RegistryTokenError,
} from "../support/registry-token.js";
import {
  type Descriptor,
  type FetchedManifest,
  joinPlatformImages,
  type ManifestStore,
} from "./join.js";
import {
  type Env,
  isNotTls,
  isUntrustedCertificate,
  registryCertsDirs,
  send,
  trustedCas,
} from "./transport.js";

export interface RegistryAuth {
  readonly username: string;
  readonly secret: string;
}

export interface ManifestInfo {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
}

const manifestTypes = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.index.v1+json",
].join(", ");

function isLoopback(host: string): boolean {
  return /^(127\.|localhost(:|$)|\[::1\])/.test(host);
}

function basic(auth: RegistryAuth): string {
  return `Basic ${Buffer.from(`${auth.username}:${auth.secret}`).toString("base64")}`;
}

function sha256(data: string | Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

export interface RegistryClientOptions {
  /** Where DOCKER_CONFIG (for certs.d) is read; process.env by default. */
  readonly env?: Env;
  /** Aborting it ends the request under way and fails every later one: CancelledError. */
  readonly signal?: AbortSignal;
}

export class RegistryClient implements ManifestStore {
  /** Bearer tokens by scope (a pull token does not allow a push). */
  private readonly tokens = new Map<string, string>();
  private readonly env: Env;
  private readonly signal: AbortSignal | undefined;
  /** CA certificates by host:port (undefined: Node's defaults). */
  private readonly cas = new Map<string, { ca: string[]; files: string[] } | undefined>();
  /** https until a loopback registry turns out to speak plain HTTP. */
  private scheme: "https" | "http" = "https";
  private schemeSettled = false;

  constructor(
    readonly host: string,
    private readonly auth?: RegistryAuth,
    options: RegistryClientOptions = {},
  ) {
    this.env = options.env ?? process.env;
    this.signal = options.signal;
  }

  private base(): string {
    return `${this.scheme}://${this.host}/v2`;
  }

  private trusted(host: string): { ca: string[]; files: string[] } | undefined {
    if (!this.cas.has(host)) this.cas.set(host, trustedCas(host, this.env));
    return this.cas.get(host);
  }

  /** A network or TLS failure, said in the registry's terms. */
  private failure(err: unknown, method: string, url: string): Error {
    const target = new URL(url);
    const cause = (err as Error).message;
    if (isUntrustedCertificate(err)) {
      const files = this.trusted(target.host)?.files ?? [];
      const [system, user] = registryCertsDirs(target.host, this.env);
      return new Error(
        `registry ${this.host}: the TLS certificate of ${target.host} is not trusted (${cause}); ${
          files.length > 0
            ? `it does not chain to the CA certificates in ${files.join(", ")}`
            : `put the registry's CA certificate in ${system}/ca.crt or ${user}/ca.crt`
        }`,
        { cause: err },
      );
    }
    return new Error(`registry ${this.host}: ${method} ${target.href} failed: ${cause}`, {
      cause: err,
    });
  }

  /** One request to an absolute URL with the CAs for its host. */
  private async send(
    url: string,
    init: { method: string; headers?: Record<string, string>; body?: string | Uint8Array },
  ): Promise<Response> {
    try {
      return await send(
        url,
        this.signal ? { ...init, signal: this.signal } : init,
        (host) => this.trusted(host)?.ca,
      );
    } catch (err) {
      if (err instanceof CancelledError) throw err;
      throw this.failure(err, init.method, url);
    }
  }

  /** GET or HEAD of a manifest in any of the media types mbake reads; fails unless found. */
  private async readManifest(
    method: "GET" | "HEAD",
    repo: string,
    reference: string,
  ): Promise<Response> {
    const res = await this.request(
      method,
      `/${repo}/manifests/${reference}`,
      { headers: { accept: manifestTypes } },
      `repository:${repo}:pull`,
    );
    if (!res.ok)
      throw new Error(
        `registry ${this.host}: ${repo}:${reference} ${res.status === 404 ? "not found" : "could not be read"} (HTTP ${res.status})`,
      );
    return res;
  }

  /** A bearer token for `scope`, fetched the way the session fetches one for the daemon. */
  private async token(challenge: string, scope: string): Promise<string> {
    const params = Object.fromEntries(
      [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    const wanted = scope || params.scope || "";
    let token: RegistryToken;
    try {
      token = await fetchRegistryToken(
        {
          host: this.host,
          realm: params.realm ?? "",
          service: params.service ?? "",
          scopes: wanted ? [wanted] : [],
        },
        this.auth,
        "mbake",
        (url, init) =>
          this.send(url, {
            method: init.method ?? "GET",
            headers: { ...(init.headers as Record<string, string>) },
            ...(typeof init.body === "string" ? { body: init.body } : {}),
          }),
      );
    } catch (err) {
      if (!(err instanceof RegistryTokenError)) throw err;
      throw new Error(
        `registry ${this.host}: the token request for ${wanted} failed: ${err.message}${this.auth ? "" : " (no credentials for this registry; run docker login)"}`,
      );
    }
    this.tokens.set(scope, token.token);
    return token.token;
  }

  /** One request, answering a Bearer challenge once; `url` is a path under /v2 or absolute. */
  private async request(
    method: string,
    url: string,
    init: { headers?: Record<string, string>; body?: string | Uint8Array } = {},
    scope = "",
  ): Promise<Response> {
    const absolute = /^https?:/.test(url);
    let target = absolute ? url : `${this.base()}${url}`;
    const attempt = (authorization: string | undefined) =>
      this.send(target, {
        method,
        headers: { ...init.headers, ...(authorization ? { authorization } : {}) },
        ...(init.body !== undefined ? { body: init.body } : {}),
      });
    const cached = this.tokens.get(scope);
    const first = cached ? `Bearer ${cached}` : this.auth ? basic(this.auth) : undefined;
    let res: Response;
    if (this.schemeSettled || absolute) {
      res = await attempt(first);
    } else {
      try {
        res = await attempt(first);
      } catch (err) {
        if (err instanceof CancelledError) throw err;
        if (!isLoopback(this.host) || !isNotTls((err as Error).cause)) throw err;
        this.scheme = "http";
        target = `${this.base()}${url}`;
        res = await attempt(first);
      }
      this.schemeSettled = true;
    }
    const challenge = res.headers.get("www-authenticate") ?? "";
    if (res.status === 401 && /^Bearer /i.test(challenge)) {
      res = await attempt(`Bearer ${await this.token(challenge, scope)}`);
    }
    if (res.status === 401)
      throw new Error(
        `registry ${this.host}: ${method} ${new URL(target).pathname} was refused (HTTP 401)${this.auth ? "; check the credentials" : "; log in with docker login"}`,
      );
    return res;
  }

  /** Fetches a manifest (image or index) with its exact bytes. */
  async getManifest(repo: string, reference: string): Promise<FetchedManifest> {
    const res = await this.readManifest("GET", repo, reference);
    const body = await res.text();
    return {
      descriptor: {
        mediaType: (res.headers.get("content-type") ?? "").split(";")[0]!,
        digest: res.headers.get("docker-content-digest") ?? sha256(body),
        size: Buffer.byteLength(body),
      },
      body,
    };
  }

  /** Pushes a manifest under a tag (or its digest); returns its descriptor. */
  async putManifest(
    repo: string,
    reference: string,
    mediaType: string,
    body: string,
  ): Promise<Descriptor> {
    const res = await this.request(
      "PUT",
      `/${repo}/manifests/${reference}`,
      { headers: { "content-type": mediaType }, body },
      `repository:${repo}:pull,push`,
    );
    if (res.status !== 201)
      throw new Error(
        `registry ${this.host}: pushing the manifest ${repo}:${reference} failed with HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`,
      );
    return {
      mediaType,
      digest: res.headers.get("docker-content-digest") ?? sha256(body),
      size: Buffer.byteLength(body),
    };
  }

  /** Uploads a blob in one request unless the registry has it already; returns its digest. */
  async pushBlob(repo: string, data: Uint8Array): Promise<{ digest: string; size: number }> {
    const digest = sha256(data);
    const scope = `repository:${repo}:pull,push`;
    const head = await this.request("HEAD", `/${repo}/blobs/${digest}`, {}, scope);
    if (head.ok) return { digest, size: data.byteLength };
    const started = await this.request("POST", `/${repo}/blobs/uploads/`, {}, scope);
    const location = started.headers.get("location");
    if (started.status !== 202 || !location)
      throw new Error(
        `registry ${this.host}: starting an upload to ${repo} failed with HTTP ${started.status}`,
      );
    const url = new URL(location, `${this.base()}/`);
    url.searchParams.set("digest", digest);
    const done = await this.request(
      "PUT",
      url.toString(),
      { headers: { "content-type": "application/octet-stream" }, body: data },
      scope,
    );
    if (done.status !== 201)
      throw new Error(
        `registry ${this.host}: uploading ${digest} to ${repo} failed with HTTP ${done.status}`,
      );
    return { digest, size: data.byteLength };
  }

  /** A manifest's descriptor without its body (HEAD). */
  async manifest(repo: string, reference: string): Promise<ManifestInfo> {
    const res = await this.readManifest("HEAD", repo, reference);
    return {
      digest: res.headers.get("docker-content-digest") ?? "",
      size: Number(res.headers.get("content-length") ?? 0),
      mediaType: (res.headers.get("content-type") ?? "").split(";")[0]!,
    };
  }

  /**
   * Pushes an index of the given manifests (each with its platform) under `tag`; returns
   * its digest. A part that is itself an index (BuildKit adds attestations) contributes
   * its platform's image and attestations, not itself.
   */
  async putIndex(
    repo: string,
    tag: string,
    parts: readonly { manifest: ManifestInfo; platform: string }[],
  ): Promise<string> {
    const index = await joinPlatformImages(
      this,
      repo,
      tag,
      parts.map((p) => ({ reference: p.manifest.digest, platform: p.platform })),
    );
    return index.digest;
  }
}
