import { describe, expect, it } from "vitest";
import { mediaTypes } from "../../src/registry/join.js";
import { testEnv } from "./test-env.js";

const accept = Object.values(mediaTypes).join(", ");

interface Index {
  manifests: { digest: string; platform: { os: string; architecture: string } }[];
}

describe("the seeded base image", () => {
  it("is a multi-arch index for linux/amd64 and linux/arm64 whose configs match", async () => {
    const { registry } = testEnv();
    const res = await fetch(`http://${registry}/v2/busybox/manifests/latest`, {
      headers: { accept },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.oci.image.index.v1+json");
    const index = (await res.json()) as Index;
    const platforms = index.manifests
      .map((m) => `${m.platform.os}/${m.platform.architecture}`)
      .sort();
    expect(platforms).toEqual(["linux/amd64", "linux/arm64"]);
    for (const m of index.manifests) {
      const manifest = (await (
        await fetch(`http://${registry}/v2/busybox/manifests/${m.digest}`, { headers: { accept } })
      ).json()) as { config: { digest: string } };
      const config = (await (
        await fetch(`http://${registry}/v2/busybox/blobs/${manifest.config.digest}`)
      ).json()) as {
        architecture: string;
        os: string;
        rootfs: { diff_ids: string[] };
      };
      expect(config.architecture).toBe(m.platform.architecture);
      expect(config.os).toBe("linux");
      expect(config.rootfs.diff_ids).toHaveLength(1);
    }
  });

  it("the private registry refuses anonymous access and accepts its user", async () => {
    const { privateRegistry } = testEnv();
    const anonymous = await fetch(`http://${privateRegistry.address}/v2/`);
    expect(anonymous.status).toBe(401);
    const basic = Buffer.from(`${privateRegistry.username}:${privateRegistry.password}`).toString(
      "base64",
    );
    const authed = await fetch(`http://${privateRegistry.address}/v2/`, {
      headers: { authorization: `Basic ${basic}` },
    });
    expect(authed.status).toBe(200);
  });
});
