import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ociExportStore,
  recordOciExport,
  tagsOf,
} from "../../../src/buildkit/session/oci-export.js";

describe("type=oci,tar=false: the exported manifest named in the layout's index", () => {
  it("takes the tag of each image name, latest without one", () => {
    expect(tagsOf(undefined)).toEqual(["latest"]);
    expect(tagsOf("reg.test:5000/team/app:v1,app")).toEqual(["v1", "latest"]);
    expect(tagsOf("app:2@sha256:abc")).toEqual(["2"]);
  });

  it("records the daemon's descriptor under every tag and writes oci-layout", () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-ociexport-"));
    const desc = {
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: `sha256:${"a".repeat(64)}`,
      size: 668,
    };
    recordOciExport(ociExportStore(dir), {
      "containerimage.descriptor": Buffer.from(JSON.stringify(desc)).toString("base64"),
      "image.name": "r/app:v1,r/app:v2",
    });
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
    expect(
      index.manifests.map(
        (m: { digest: string; annotations: Record<string, string> }) =>
          `${m.digest.slice(0, 9)} ${m.annotations["org.opencontainers.image.ref.name"]}`,
      ),
    ).toEqual(["sha256:aa v1", "sha256:aa v2"]);
    expect(JSON.parse(readFileSync(join(dir, "oci-layout"), "utf8"))).toEqual({
      imageLayoutVersion: "1.0.0",
    });
    expect(() => recordOciExport(ociExportStore(dir), {})).toThrowError(
      /did not say which manifest/,
    );
  });
});
