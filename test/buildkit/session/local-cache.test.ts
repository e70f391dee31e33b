import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  closeLocalCache,
  LocalCacheError,
  prepareLocalCache,
  recordLocalCacheExports,
} from "../../../src/buildkit/session/local-cache.js";
import { findTag, putTag } from "../../../src/buildkit/session/oci-index.js";

const digestA = `sha256:${"a".repeat(64)}`;
const digestB = `sha256:${"b".repeat(64)}`;

function layout(withBlob: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-lc-"));
  if (withBlob) {
    mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
    writeFileSync(join(dir, "blobs", "sha256", "a".repeat(64)), "{}");
  }
  return dir;
}

describe("OCI layout index tags", () => {
  it("records a descriptor under a tag, replacing what the tag named before, keeping other tags", () => {
    const dir = layout(false);
    putTag(
      dir,
      { mediaType: "application/vnd.oci.image.index.v1+json", digest: digestA, size: 10 },
      "latest",
    );
    putTag(dir, { digest: digestB, size: 20 }, "v1");
    putTag(dir, { digest: digestB, size: 20 }, "latest");
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
    expect(index.schemaVersion).toBe(2);
    expect(index.manifests).toHaveLength(2);
    expect(findTag(dir, "latest")?.digest).toBe(digestB);
    expect(findTag(dir, "v1")?.digest).toBe(digestB);
    expect(findTag(dir, "other")).toBeUndefined();
    expect(JSON.parse(readFileSync(join(dir, "oci-layout"), "utf8"))).toEqual({
      imageLayoutVersion: "1.0.0",
    });
  });
});

describe("local cache preparation", () => {
  it("resolves an import to the digest its tag names, relative folders from the working folder", () => {
    const dir = layout(true);
    putTag(dir, { digest: digestA, size: 2 }, "latest");
    const plan = prepareLocalCache([{ type: "local", src: "." }], [], dir);
    expect(plan.cacheFrom).toEqual([{ type: "local", src: dir, digest: digestA }]);
    expect([...plan.stores.keys()]).toEqual([`local:${dir}`]);
    expect(plan.warnings).toEqual([]);
  });

  it("builds without an import that is not there yet, and says so", () => {
    const dir = layout(false);
    const plan = prepareLocalCache(
      [
        { type: "local", src: dir },
        { type: "registry", ref: "r/c" },
      ],
      [{ type: "local", dest: dir }],
      "/",
    );
    expect(plan.cacheFrom).toEqual([{ type: "registry", ref: "r/c" }]);
    expect(plan.warnings).toEqual([`local cache ${dir} has no "latest" yet; building without it`]);
    expect(plan.exports).toEqual([{ dir, tag: "latest" }]);
    expect(plan.stores.size).toBe(1);
  });

  it("skips an import whose tag names a blob the folder lacks", () => {
    const dir = layout(false);
    putTag(dir, { digest: digestB, size: 2 }, "ci");
    const plan = prepareLocalCache([{ type: "local", src: dir, tag: "ci" }], [], "/");
    expect(plan.cacheFrom).toEqual([]);
    expect(plan.warnings[0]).toMatch(/skipped: it lacks sha256:b{64}/);
  });

  it("needs src= and dest=", () => {
    expect(() => prepareLocalCache([{ type: "local" }], [], "/")).toThrowError(LocalCacheError);
    expect(() => prepareLocalCache([], [{ type: "local", mode: "max" }], "/")).toThrowError(
      /cache-to type=local needs dest=/,
    );
  });

  it("records the daemon's cache manifest under each export's tag", () => {
    const dir = layout(false);
    const plan = prepareLocalCache([], [{ type: "local", dest: dir, tag: "main" }], "/");
    recordLocalCacheExports(plan, {
      "cache.manifest": JSON.stringify({
        mediaType: "application/vnd.oci.image.index.v1+json",
        digest: digestA,
        size: 321,
      }),
    });
    expect(findTag(dir, "main")).toMatchObject({ digest: digestA, size: 321 });
  });

  it("cleans up only the unfinished writes it made, never a folder that was there before", () => {
    const fresh = layout(false);
    const mine = prepareLocalCache([], [{ type: "local", dest: fresh }], "/");
    const w = mine.stores.get(`local:${fresh}`)!.writer("half", 10, "");
    w.write(Buffer.from("abc"), 0);
    w.close();
    expect(existsSync(join(fresh, "ingest"))).toBe(true);
    closeLocalCache(mine);
    expect(existsSync(join(fresh, "ingest"))).toBe(false);

    const theirs = layout(true);
    mkdirSync(join(theirs, "ingest", "keep"), { recursive: true });
    putTag(theirs, { digest: digestA, size: 2 }, "latest");
    const plan = prepareLocalCache([{ type: "local", src: theirs }], [], "/");
    closeLocalCache(plan);
    expect(existsSync(join(theirs, "ingest", "keep"))).toBe(true);
  });
});
