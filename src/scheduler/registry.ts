/**
 * A small client of the registry HTTP API (distribution v2): enough to read a
 * manifest and to push an index that joins single-platform images.
 */
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

export class RegistryClient {
  private token: string | undefined;

  constructor(
    readonly host: string,
    private readonly auth?: RegistryAuth,
  ) {}

  private base(): string {
    return `${isLoopback(this.host) ? "http" : "https"}://${this.host}/v2`;
  }

  private async request(
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: string } = {},
    scope = "",
  ): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    else if (this.auth)
      headers.authorization = `Basic ${Buffer.from(`${this.auth.username}:${this.auth.secret}`).toString("base64")}`;
    let res = await fetch(`${this.base()}${path}`, {
      method,
      headers,
      ...(init.body ? { body: init.body } : {}),
    });
    const challenge = res.headers.get("www-authenticate") ?? "";
    if (res.status === 401 && /^Bearer /i.test(challenge) && !this.token) {
      const params = Object.fromEntries(
        [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
      );
      const url = new URL(params.realm ?? "");
      if (params.service) url.searchParams.set("service", params.service);
      url.searchParams.set("scope", params.scope ?? scope);
      const tokenRes = await fetch(
        url,
        this.auth
          ? {
              headers: {
                authorization: `Basic ${Buffer.from(`${this.auth.username}:${this.auth.secret}`).toString("base64")}`,
              },
            }
          : {},
      );
      if (!tokenRes.ok)
        throw new Error(`registry ${this.host}: token request failed with HTTP ${tokenRes.status}`);
      const body = (await tokenRes.json()) as { token?: string; access_token?: string };
      this.token = body.token ?? body.access_token;
      headers.authorization = `Bearer ${this.token}`;
      res = await fetch(`${this.base()}${path}`, {
        method,
        headers,
        ...(init.body ? { body: init.body } : {}),
      });
    }
    return res;
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
  async putIndex(
    repo: string,
    tag: string,
    parts: readonly { manifest: ManifestInfo; platform: string }[],
  ): Promise<string> {
    const docker = parts.every((p) => p.manifest.mediaType.startsWith("application/vnd.docker"));
    const mediaType = docker
      ? "application/vnd.docker.distribution.manifest.list.v2+json"
      : "application/vnd.oci.image.index.v1+json";
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: parts.map((p) => {
        const [os, architecture, variant] = p.platform.split("/");
        return {
          mediaType: p.manifest.mediaType,
          digest: p.manifest.digest,
          size: p.manifest.size,
          platform: { architecture, os, ...(variant ? { variant } : {}) },
        };
      }),
    });
    const res = await this.request(
      "PUT",
      `/${repo}/manifests/${tag}`,
      { headers: { "content-type": mediaType }, body },
      `repository:${repo}:pull,push`,
    );
    if (res.status !== 201)
      throw new Error(
        `registry ${this.host}: pushing the index ${repo}:${tag} failed with HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`,
      );
    return res.headers.get("docker-content-digest") ?? "";
  }
}
