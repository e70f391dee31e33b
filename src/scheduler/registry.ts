/**
 * A small client of the registry HTTP API (distribution v2): enough to read a
 * manifest and to push an index that joins single-platform images.
 */
import { createHash } from "node:crypto";
import {
  type Descriptor,
  type FetchedManifest,
  joinPlatformImages,
  type ManifestStore,
} from "./join.js";

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

export function splitReference(ref: string): {
  host: string;
  repo: string;
  tag?: string;
  digest?: string;
} {
  const at = ref.indexOf("@");
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  let rest = at >= 0 ? ref.slice(0, at) : ref;
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  if (slash < 0 || !(first.includes(".") || first.includes(":") || first === "localhost")) {
    return {
      host: "registry-1.docker.io",
      repo: slash < 0 ? `library/${rest}` : rest,
      ...(tag ? { tag } : {}),
      ...(digest ? { digest } : {}),
    };
  }
  return {
    host: first,
    repo: rest.slice(slash + 1),
    ...(tag ? { tag } : {}),
    ...(digest ? { digest } : {}),
  };
}

function isLoopback(host: string): boolean {
  return /^(127\.|localhost(:|$)|\[::1\])/.test(host);
}

function basic(auth: RegistryAuth): string {
  return `Basic ${Buffer.from(`${auth.username}:${auth.secret}`).toString("base64")}`;
}

function sha256(data: string | Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

export class RegistryClient implements ManifestStore {
  /** Bearer tokens by scope (a pull token does not allow a push). */
  private readonly tokens = new Map<string, string>();

  constructor(
    readonly host: string,
    private readonly auth?: RegistryAuth,
  ) {}

  private base(): string {
    return `${isLoopback(this.host) ? "http" : "https"}://${this.host}/v2`;
  }

  private async token(challenge: string, scope: string): Promise<string> {
    const params = Object.fromEntries(
      [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    const url = new URL(params.realm ?? "");
    if (params.service) url.searchParams.set("service", params.service);
    url.searchParams.set("scope", scope || params.scope || "");
    const res = await fetch(url, this.auth ? { headers: { authorization: basic(this.auth) } } : {});
    if (!res.ok)
      throw new Error(
        `registry ${this.host}: the token request for ${scope} failed with HTTP ${res.status}${this.auth ? "" : " (no credentials for this registry; run docker login)"}`,
      );
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token ?? "";
    this.tokens.set(scope, token);
    return token;
  }

  /** One request, answering a Bearer challenge once; `url` is a path under /v2 or absolute. */
  private async request(
    method: string,
    url: string,
    init: { headers?: Record<string, string>; body?: string | Uint8Array } = {},
    scope = "",
  ): Promise<Response> {
    const target = /^https?:/.test(url) ? url : `${this.base()}${url}`;
    const send = (authorization: string | undefined) =>
      fetch(target, {
        method,
        headers: { ...init.headers, ...(authorization ? { authorization } : {}) },
        ...(init.body !== undefined ? { body: init.body } : {}),
      });
    const cached = this.tokens.get(scope);
    let res = await send(cached ? `Bearer ${cached}` : this.auth ? basic(this.auth) : undefined);
    const challenge = res.headers.get("www-authenticate") ?? "";
    if (res.status === 401 && /^Bearer /i.test(challenge)) {
      res = await send(`Bearer ${await this.token(challenge, scope)}`);
    }
    if (res.status === 401)
      throw new Error(
        `registry ${this.host}: ${method} ${new URL(target).pathname} was refused (HTTP 401)${this.auth ? "; check the credentials" : "; log in with docker login"}`,
      );
    return res;
  }

  /** Fetches a manifest (image or index) with its exact bytes. */
  async getManifest(repo: string, reference: string): Promise<FetchedManifest> {
    const res = await this.request(
      "GET",
      `/${repo}/manifests/${reference}`,
      { headers: { accept: manifestTypes } },
      `repository:${repo}:pull`,
    );
    if (!res.ok)
      throw new Error(`registry ${this.host}: ${repo}:${reference} not found (HTTP ${res.status})`);
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

  async manifest(repo: string, reference: string): Promise<ManifestInfo> {
    const res = await this.request(
      "HEAD",
      `/${repo}/manifests/${reference}`,
      { headers: { accept: manifestTypes } },
      `repository:${repo}:pull`,
    );
    if (!res.ok)
      throw new Error(`registry ${this.host}: ${repo}:${reference} not found (HTTP ${res.status})`);
    return {
      digest: res.headers.get("docker-content-digest") ?? "",
      size: Number(res.headers.get("content-length") ?? 0),
      mediaType: (res.headers.get("content-type") ?? "").split(";")[0]!,
    };
  }

  /** Pushes an index of the given manifests (each with its platform) under `tag`; returns its digest. */
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
