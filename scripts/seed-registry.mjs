// Seeds a multi-arch busybox base image (linux/amd64 + linux/arm64) into a registry
// through its HTTP API: one layer per architecture (bin/busybox and a symlink per
// applet), a config with the right architecture and diff_ids, a manifest per
// architecture, and an OCI index naming both with their platform.
//
//   node scripts/seed-registry.mjs HOST:PORT AMD64_BUSYBOX ARM64_BUSYBOX
//
// The tarballs are deterministic (fixed mtimes, sorted entries), so a second run
// uploads nothing new and tags the same digests.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const [registry, amd64Path, arm64Path] = process.argv.slice(2);
if (!registry || !amd64Path || !arm64Path) {
  console.error("usage: node scripts/seed-registry.mjs HOST:PORT AMD64_BUSYBOX ARM64_BUSYBOX");
  process.exit(2);
}
const repo = "busybox";
const tags = ["latest", "1"];
const base = `http://${registry}/v2/${repo}`;

const sha256 = (buf) => `sha256:${createHash("sha256").update(buf).digest("hex")}`;

function tarHeader(name, { size = 0, mode = 0o644, type = "0", linkname = "" }) {
  const h = Buffer.alloc(512);
  const put = (value, offset, length) => h.write(value, offset, length, "utf8");
  const octal = (value, length) => value.toString(8).padStart(length - 1, "0");
  put(name, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(0, 12), 136, 12);
  h.fill(" ", 148, 156);
  put(type, 156, 1);
  put(linkname, 157, 100);
  put("ustar", 257, 6);
  put("00", 263, 2);
  put("root", 265, 32);
  put("root", 297, 32);
  let sum = 0;
  for (const byte of h) sum += byte;
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  return h;
}

function tarball(entries) {
  const parts = [];
  for (const e of entries) {
    if (e.type === "dir") parts.push(tarHeader(e.name, { mode: e.mode ?? 0o755, type: "5" }));
    else if (e.type === "symlink")
      parts.push(tarHeader(e.name, { mode: 0o777, type: "2", linkname: e.target }));
    else {
      parts.push(tarHeader(e.name, { size: e.data.length, mode: e.mode ?? 0o644 }));
      parts.push(e.data);
      const pad = (512 - (e.data.length % 512)) % 512;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

const applets = execFileSync(amd64Path, ["--list"], { encoding: "utf8" })
  .split("\n")
  .map((s) => s.trim())
  .filter((s) => s && s !== "busybox" && /^[a-z0-9_.[-]+$/.test(s));

function rootfs(busybox) {
  const entries = [
    { type: "dir", name: "bin/" },
    { type: "file", name: "bin/busybox", data: busybox, mode: 0o755 },
    ...applets.sort().map((a) => ({ type: "symlink", name: `bin/${a}`, target: "busybox" })),
    { type: "dir", name: "etc/" },
    { type: "file", name: "etc/group", data: Buffer.from("root:x:0:\nnogroup:x:65534:\n") },
    {
      type: "file",
      name: "etc/passwd",
      data: Buffer.from(
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
      ),
    },
    { type: "dir", name: "root/", mode: 0o700 },
    { type: "dir", name: "tmp/", mode: 0o1777 },
    { type: "dir", name: "usr/" },
    { type: "dir", name: "usr/bin/" },
    { type: "symlink", name: "usr/bin/env", target: "../../bin/busybox" },
    { type: "dir", name: "var/" },
  ];
  return tarball(entries);
}

async function request(method, url, body, headers = {}) {
  const res = await fetch(url, { method, body, headers, redirect: "manual" });
  return res;
}

async function uploadBlob(data) {
  const digest = sha256(data);
  const head = await request("HEAD", `${base}/blobs/${digest}`);
  if (head.status === 200) return digest;
  const start = await request("POST", `${base}/blobs/uploads/`);
  if (start.status !== 202)
    throw new Error(`starting an upload: HTTP ${start.status} ${await start.text()}`);
  const location = new URL(start.headers.get("location"), `http://${registry}`);
  location.searchParams.set("digest", digest);
  const put = await request("PUT", location, data, { "content-type": "application/octet-stream" });
  if (put.status !== 201)
    throw new Error(`uploading ${digest}: HTTP ${put.status} ${await put.text()}`);
  return digest;
}

async function putManifest(ref, mediaType, doc) {
  const data = Buffer.from(JSON.stringify(doc));
  const res = await request("PUT", `${base}/manifests/${ref}`, data, { "content-type": mediaType });
  if (res.status !== 201)
    throw new Error(`putting manifest ${ref}: HTTP ${res.status} ${await res.text()}`);
  return { digest: sha256(data), size: data.length };
}

async function image(arch, variant, busyboxPath) {
  const tar = rootfs(readFileSync(busyboxPath));
  const gz = gzipSync(tar, { level: 9 });
  const layerDigest = await uploadBlob(gz);
  const config = Buffer.from(
    JSON.stringify({
      architecture: arch,
      ...(variant ? { variant } : {}),
      os: "linux",
      created: "2024-01-01T00:00:00Z",
      config: {
        Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        Cmd: ["sh"],
      },
      rootfs: { type: "layers", diff_ids: [sha256(tar)] },
      history: [{ created: "2024-01-01T00:00:00Z", created_by: "mbake test-env: busybox-static" }],
    }),
  );
  const configDigest = await uploadBlob(config);
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: configDigest,
      size: config.length,
    },
    layers: [
      {
        mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
        digest: layerDigest,
        size: gz.length,
      },
    ],
  };
  const { digest, size } = await putManifest(`${arch}`, manifest.mediaType, manifest);
  return {
    digest,
    size,
    platform: { architecture: arch, os: "linux", ...(variant ? { variant } : {}) },
  };
}

const images = [await image("amd64", undefined, amd64Path), await image("arm64", "v8", arm64Path)];
const index = {
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: images.map((m) => ({
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: m.digest,
    size: m.size,
    platform: m.platform,
  })),
};
for (const tag of tags) {
  const { digest } = await putManifest(tag, index.mediaType, index);
  console.error(
    `test-env: seeded ${registry}/${repo}:${tag} (${digest}) for linux/amd64, linux/arm64`,
  );
}
