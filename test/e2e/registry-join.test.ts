import { createHash, randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { RegistryClient } from "../../src/registry/client.js";
import { type Descriptor, joinPlatformImages, mediaTypes } from "../../src/registry/join.js";
import { testEnv } from "./test-env.js";

const accept = Object.values(mediaTypes).join(", ");

function sha256(data: string | Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** Pushes a one-layer image for `platform` through the registry HTTP API; returns its manifest descriptor. */
async function pushImage(
  client: RegistryClient,
  repo: string,
  tag: string,
  platform: string,
): Promise<Descriptor> {
  const [os, architecture] = platform.split("/");
  const tar = Buffer.alloc(2048); // an empty tar archive: two zero blocks
  const layer = gzipSync(tar);
  const config = Buffer.from(
    JSON.stringify({
      architecture,
      os,
      config: { Cmd: ["/bin/true"] },
      rootfs: { type: "layers", diff_ids: [sha256(tar)] },
    }),
  );
  const layerBlob = await client.pushBlob(repo, layer);
  const configBlob = await client.pushBlob(repo, config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: mediaTypes.ociManifest,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...configBlob },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layerBlob }],
  });
  return client.putManifest(repo, tag, mediaTypes.ociManifest, manifest);
}

async function readIndex(
  registry: string,
  repo: string,
  reference: string,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${reference}`, {
    headers: { accept, ...headers },
  });
  expect(res.status).toBe(200);
  return {
    mediaType: res.headers.get("content-type"),
    digest: res.headers.get("docker-content-digest"),
    body: (await res.json()) as { manifests: Descriptor[] },
  };
}

describe("joining per-platform images in a real registry", () => {
  it("pushes one index that names each platform's image by digest", async () => {
    const { registry } = testEnv();
    const client = new RegistryClient(registry);
    const run = randomBytes(4).toString("hex");
    const repo = "mbake-e2e/join";
    const amd = await pushImage(client, repo, `${run}-amd64`, "linux/amd64");
    const arm = await pushImage(client, repo, `${run}-arm64`, "linux/arm64");

    const index = await joinPlatformImages(client, repo, run, [
      { reference: `${run}-amd64`, platform: "linux/amd64" },
      { reference: arm.digest, platform: "linux/arm64" },
    ]);

    const pulled = await readIndex(registry, repo, run);
    expect(pulled.mediaType).toBe(mediaTypes.ociIndex);
    expect(pulled.digest).toBe(index.digest);
    expect(pulled.body.manifests.map((m) => [m.digest, m.platform])).toEqual([
      [amd.digest, { os: "linux", architecture: "amd64" }],
      [arm.digest, { os: "linux", architecture: "arm64" }],
    ]);
    expect((await readIndex(registry, repo, index.digest)).digest).toBe(index.digest);
  });

  it("keeps the attestations of a platform image that BuildKit pushed as an index", async () => {
    const { registry } = testEnv();
    const client = new RegistryClient(registry);
    const run = randomBytes(4).toString("hex");
    const repo = "mbake-e2e/join-attested";
    const amd = await pushImage(client, repo, `${run}-amd64`, "linux/amd64");
    const arm = await pushImage(client, repo, `${run}-arm64-image`, "linux/arm64");
    const statement = await client.pushBlob(repo, Buffer.from('{"_type":"https://in-toto.io"}'));
    const emptyConfig = await client.pushBlob(repo, Buffer.from("{}"));
    const attestation = await client.putManifest(
      repo,
      `${run}-arm64-att`,
      mediaTypes.ociManifest,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.ociManifest,
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...emptyConfig },
        layers: [{ mediaType: "application/vnd.in-toto+json", ...statement }],
      }),
    );
    const attestationEntry = {
      ...attestation,
      platform: { os: "unknown", architecture: "unknown" },
      annotations: {
        "vnd.docker.reference.digest": arm.digest,
        "vnd.docker.reference.type": "attestation-manifest",
      },
    };
    await client.putManifest(
      repo,
      `${run}-arm64`,
      mediaTypes.ociIndex,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.ociIndex,
        manifests: [{ ...arm, platform: { os: "linux", architecture: "arm64" } }, attestationEntry],
      }),
    );

    await joinPlatformImages(client, repo, run, [
      { reference: `${run}-amd64`, platform: "linux/amd64" },
      { reference: `${run}-arm64`, platform: "linux/arm64/v8" },
    ]);

    const pulled = await readIndex(registry, repo, run);
    expect(pulled.body.manifests.map((m) => m.digest)).toEqual([
      amd.digest,
      arm.digest,
      attestation.digest,
    ]);
    expect(pulled.body.manifests[2]).toEqual(attestationEntry);
  });

  it("joins images looked up by tag the way the bake command does", async () => {
    const { registry } = testEnv();
    const client = new RegistryClient(registry);
    const run = randomBytes(4).toString("hex");
    const repo = "mbake-e2e/join-by-tag";
    const amd = await pushImage(client, repo, `${run}-mbake-linux-amd64`, "linux/amd64");
    const arm = await pushImage(client, repo, `${run}-mbake-linux-arm64`, "linux/arm64");
    const parts = await Promise.all(
      ["linux/amd64", "linux/arm64"].map(async (platform) => ({
        manifest: await client.manifest(repo, `${run}-mbake-${platform.replace("/", "-")}`),
        platform,
      })),
    );
    const digest = await client.putIndex(repo, run, parts);
    const pulled = await readIndex(registry, repo, run);
    expect(pulled.digest).toBe(digest);
    expect(pulled.body.manifests.map((m) => m.digest)).toEqual([amd.digest, arm.digest]);
  });

  it("signs in to a registry that needs credentials, and says so when they are missing", async () => {
    const { privateRegistry } = testEnv();
    const run = randomBytes(4).toString("hex");
    const repo = "mbake-e2e/join-private";
    const client = new RegistryClient(privateRegistry.address, {
      username: privateRegistry.username,
      secret: privateRegistry.password,
    });
    const amd = await pushImage(client, repo, `${run}-amd64`, "linux/amd64");
    const index = await joinPlatformImages(client, repo, run, [
      { reference: `${run}-amd64`, platform: "linux/amd64" },
    ]);
    const authorization = `Basic ${Buffer.from(`${privateRegistry.username}:${privateRegistry.password}`).toString("base64")}`;
    const pulled = await readIndex(privateRegistry.address, repo, run, { authorization });
    expect(pulled.digest).toBe(index.digest);
    expect(pulled.body.manifests.map((m) => m.digest)).toEqual([amd.digest]);

    const anonymous = new RegistryClient(privateRegistry.address);
    await expect(
      joinPlatformImages(anonymous, repo, `${run}-again`, [
        { reference: `${run}-amd64`, platform: "linux/amd64" },
      ]),
    ).rejects.toThrow(/HTTP 401.*docker login/);
  });
});
