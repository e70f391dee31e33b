/**
 * Copies an image from the test registry into an OCI layout folder (blobs by digest,
 * index.json naming its manifest with a tag), through the registry's HTTP API.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const accept = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
].join(", ");

async function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return res;
}

function putBlob(dir: string, data: Buffer): string {
  const hex = createHash("sha256").update(data).digest("hex");
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  writeFileSync(join(dir, "blobs", "sha256", hex), data);
  return `sha256:${hex}`;
}

export async function copyImageToLayout(
  registry: string,
  repo: string,
  reference: string,
  dir: string,
  tag = "latest",
): Promise<{ manifestDigest: string; config: Record<string, unknown> }> {
  const base = `http://${registry}/v2/${repo}`;
  const res = await get(`${base}/manifests/${reference}`, { accept });
  const mediaType = res.headers.get("content-type") ?? "";
  const manifestBytes = Buffer.from(await res.arrayBuffer());
  const manifest = JSON.parse(manifestBytes.toString()) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  let config: Record<string, unknown> = {};
  for (const d of [manifest.config, ...manifest.layers]) {
    const blob = Buffer.from(await (await get(`${base}/blobs/${d.digest}`)).arrayBuffer());
    if (putBlob(dir, blob) !== d.digest)
      throw new Error(`blob ${d.digest} did not match its digest`);
    if (d === manifest.config) config = JSON.parse(blob.toString());
  }
  const manifestDigest = putBlob(dir, manifestBytes);
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType,
          digest: manifestDigest,
          size: manifestBytes.length,
          annotations: { "org.opencontainers.image.ref.name": tag },
        },
      ],
    }),
  );
  return { manifestDigest, config };
}
