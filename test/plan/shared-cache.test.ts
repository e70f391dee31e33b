import { describe, expect, it } from "vitest";
import { cacheTag, parseSharedCache, sharedCacheFor } from "../../src/plan/shared-cache.js";

const app = { name: "app", platforms: ["linux/amd64"], exportsImage: true };
const base = { name: "base", platforms: ["linux/amd64"], exportsImage: false };

describe("shared cache", () => {
  it("parses registry:// settings and rejects tags or bad repositories", () => {
    expect(parseSharedCache("registry://127.0.0.1:5000/cache/mbake")).toBe(
      "127.0.0.1:5000/cache/mbake",
    );
    expect(() => parseSharedCache("registry://host/Repo:tag")).toThrowError(/invalid --cache/);
  });

  it("keys refs by target and platform with valid tag characters", () => {
    expect(cacheTag("app", "linux/arm/v7")).toBe("app-linux-arm-v7");
    expect(cacheTag("my app", undefined)).toBe("my_app");
  });

  it("reads the target's and its dependencies' cache and writes its own with mode=max", () => {
    expect(sharedCacheFor("r/c", app, [base], true)).toEqual({
      cacheFrom: [
        { type: "registry", ref: "r/c:app-linux-amd64" },
        { type: "registry", ref: "r/c:base-linux-amd64" },
      ],
      cacheTo: [
        { type: "registry", ref: "r/c:app-linux-amd64", mode: "max", "image-manifest": "false" },
      ],
      extraTags: [],
    });
  });

  it("writes one index for a whole multi-platform build, which each split part of the target reads too", () => {
    const multi = { ...app, platforms: ["linux/amd64", "linux/arm64"] };
    const whole = sharedCacheFor("r/c", multi, [], true);
    expect(whole.cacheTo).toEqual([
      {
        type: "registry",
        ref: "r/c:app-linux-amd64_linux-arm64",
        mode: "max",
        "image-manifest": "false",
      },
    ]);
    expect(whole.cacheFrom.map((e) => e.ref)).toEqual([
      "r/c:app-linux-amd64",
      "r/c:app-linux-arm64",
      "r/c:app-linux-amd64_linux-arm64",
    ]);
    // The arm64 part of the same target split onto an Engine 20.10.
    const part = { ...app, platforms: ["linux/arm64"], targetPlatforms: multi.platforms };
    expect(sharedCacheFor("r/c", part, [], false).cacheFrom.map((e) => e.ref)).toEqual([
      "r/c:app-linux-arm64",
      "r/c:app-linux-amd64_linux-arm64",
    ]);
  });

  it("leaves a target's own cache settings alone", () => {
    const own = {
      ...app,
      cacheFrom: [{ type: "local", src: "c" }],
      cacheTo: [{ type: "local", dest: "c" }],
    };
    expect(sharedCacheFor("r/c", own, [], true)).toEqual({
      cacheFrom: own.cacheFrom,
      cacheTo: own.cacheTo,
      extraTags: [],
    });
  });

  it("falls back to inline cache pushed under the cache ref where registry cache cannot be exported", () => {
    const d = sharedCacheFor("r/c", app, [], false);
    expect(d.cacheTo).toEqual([{ type: "inline" }]);
    expect(d.extraTags).toEqual(["r/c:app-linux-amd64"]);
    const local = sharedCacheFor("r/c", base, [], false);
    expect(local.cacheTo).toEqual([]);
    expect(local.note).toMatch(/exports no image/);
  });
});
