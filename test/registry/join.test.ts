import { describe, expect, it } from "vitest";
import {
  type FetchedManifest,
  indexFor,
  JoinError,
  mediaTypes,
  parsePlatform,
} from "../../src/registry/join.js";

function image(digest: string, mediaType: string = mediaTypes.ociManifest): FetchedManifest {
  return { descriptor: { mediaType, digest, size: 100 }, body: "{}" };
}

function subIndex(manifests: unknown[]): FetchedManifest {
  return {
    descriptor: { mediaType: mediaTypes.ociIndex, digest: "sha256:idx", size: 300 },
    body: JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests }),
  };
}

describe("indexFor", () => {
  it("lists each platform image by digest with its platform", () => {
    const index = indexFor([
      { part: { reference: "t-amd64", platform: "linux/amd64" }, manifest: image("sha256:a") },
      { part: { reference: "t-arm", platform: "linux/arm/v7" }, manifest: image("sha256:b") },
    ]);
    expect(index.mediaType).toBe(mediaTypes.ociIndex);
    expect(JSON.parse(index.body)).toEqual({
      schemaVersion: 2,
      mediaType: mediaTypes.ociIndex,
      manifests: [
        {
          mediaType: mediaTypes.ociManifest,
          digest: "sha256:a",
          size: 100,
          platform: { os: "linux", architecture: "amd64" },
        },
        {
          mediaType: mediaTypes.ociManifest,
          digest: "sha256:b",
          size: 100,
          platform: { os: "linux", architecture: "arm", variant: "v7" },
        },
      ],
    });
  });

  it("makes a Docker manifest list from Docker manifests", () => {
    const index = indexFor([
      {
        part: { reference: "a", platform: "linux/amd64" },
        manifest: image("sha256:a", mediaTypes.dockerManifest),
      },
    ]);
    expect(index.mediaType).toBe(mediaTypes.dockerList);
  });

  it("takes the matching image and its attestation out of a per-platform index", () => {
    const index = indexFor([
      {
        part: { reference: "t-arm64", platform: "linux/arm64/v8" },
        manifest: subIndex([
          {
            mediaType: mediaTypes.ociManifest,
            digest: "sha256:img",
            size: 1,
            platform: { os: "linux", architecture: "arm64" },
          },
          {
            mediaType: mediaTypes.ociManifest,
            digest: "sha256:att",
            size: 2,
            platform: { os: "unknown", architecture: "unknown" },
            annotations: { "vnd.docker.reference.digest": "sha256:img" },
          },
        ]),
      },
    ]);
    expect(JSON.parse(index.body).manifests.map((m: { digest: string }) => m.digest)).toEqual([
      "sha256:img",
      "sha256:att",
    ]);
  });

  it("refuses two images for the same platform", () => {
    expect(() =>
      indexFor([
        { part: { reference: "x", platform: "linux/arm64" }, manifest: image("sha256:a") },
        { part: { reference: "y", platform: "linux/arm64/v8" }, manifest: image("sha256:b") },
      ]),
    ).toThrow(new JoinError("x and y are both linux/arm64/v8; join one image per platform"));
  });

  it("says which platforms a per-platform index has when the wanted one is missing", () => {
    expect(() =>
      indexFor([
        {
          part: { reference: "t-s390x", platform: "linux/s390x" },
          manifest: subIndex([
            {
              mediaType: mediaTypes.ociManifest,
              digest: "sha256:1",
              size: 1,
              platform: { os: "linux", architecture: "amd64" },
            },
            {
              mediaType: mediaTypes.ociManifest,
              digest: "sha256:2",
              size: 1,
              platform: { os: "linux", architecture: "arm64" },
            },
          ]),
        },
      ]),
    ).toThrow("t-s390x has no image for linux/s390x (it has linux/amd64, linux/arm64)");
  });

  it("refuses an empty join and a malformed platform", () => {
    expect(() => indexFor([])).toThrow(JoinError);
    expect(() => parsePlatform("amd64")).toThrow(/write it as os\/arch/);
  });
});
