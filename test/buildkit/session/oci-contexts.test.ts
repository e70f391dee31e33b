import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  OciContextError,
  parseOciLayoutRef,
  prepareOciContexts,
} from "../../../src/buildkit/session/oci-contexts.js";
import { putTag } from "../../../src/buildkit/session/oci-index.js";

const digestA = `sha256:${"a".repeat(64)}`;
const digestB = `sha256:${"b".repeat(64)}`;

describe("oci-layout:// named contexts", () => {
  it("parses path, tag and digest as buildx does", () => {
    expect(parseOciLayoutRef("oci-layout:///srv/layout")).toEqual({
      path: "/srv/layout",
      tag: "latest",
    });
    expect(parseOciLayoutRef("oci-layout://./out:v1")).toEqual({ path: "./out", tag: "v1" });
    expect(parseOciLayoutRef(`oci-layout://out@${digestA}`)).toEqual({
      path: "out",
      digest: digestA,
    });
    expect(parseOciLayoutRef(`oci-layout://out:v1@${digestA}`)).toEqual({
      path: "out",
      tag: "v1",
      digest: digestA,
    });
    expect(parseOciLayoutRef("docker-image://alpine")).toBeUndefined();
  });

  it("serves the folder as an oci: store and names the image by digest for the frontend", () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-ocictx-"));
    putTag(dir, { digest: digestA, size: 1 }, "latest");
    putTag(dir, { digest: digestB, size: 1 }, "v2");
    const out = prepareOciContexts(
      { base: `oci-layout://${dir}`, tools: `oci-layout://${dir}:v2`, other: "docker-image://x" },
      (() => {
        let n = 0;
        return () => `store${++n}`;
      })(),
    );
    expect(out.namedContexts).toEqual({
      base: `oci-layout://store1:latest@${digestA}`,
      tools: `oci-layout://store2:v2@${digestB}`,
      other: "docker-image://x",
    });
    expect([...out.stores.keys()]).toEqual(["oci:store1", "oci:store2"]);
    expect(out.stores.get("oci:store1")!.root).toBe(dir);
  });

  it("says which context is wrong when the folder is no layout or the tag is missing", () => {
    const empty = mkdtempSync(join(tmpdir(), "mbake-ocictx-"));
    expect(() => prepareOciContexts({ base: `oci-layout://${empty}` })).toThrowError(
      new RegExp(`context "base": ${empty} is not an OCI layout`),
    );
    const two = mkdtempSync(join(tmpdir(), "mbake-ocictx-"));
    putTag(two, { digest: digestA, size: 1 }, "a");
    putTag(two, { digest: digestB, size: 1 }, "b");
    expect(() => prepareOciContexts({ base: `oci-layout://${two}:c` })).toThrowError(
      OciContextError,
    );
    // A layout with one image needs no tag.
    const one = mkdtempSync(join(tmpdir(), "mbake-ocictx-"));
    putTag(one, { digest: digestA, size: 1 }, "only");
    expect(prepareOciContexts({ base: `oci-layout://${one}` }, () => "s").namedContexts.base).toBe(
      `oci-layout://s:latest@${digestA}`,
    );
  });
});
