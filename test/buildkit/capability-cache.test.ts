import { describe, expect, it } from "vitest";
import {
  capabilityCacheEntries,
  capabilityCacheTtlMs,
  emptyCapabilityCache,
  lookupCapabilities,
  parseCapabilityCache,
  rememberCapabilities,
  serializeCapabilityCache,
} from "../../src/buildkit/capability-cache.js";
import type { Capabilities } from "../../src/buildkit/solve/spec.js";

const address = "unix:///run/engine.sock";
const caps: Capabilities = {
  endpoint: address,
  kind: "docker-engine",
  version: "Docker Engine 28.5.2",
  platforms: ["linux/amd64", "linux/arm64"],
  exporters: ["moby", "local"],
  cacheExporters: ["inline"],
  cacheImporters: ["registry"],
  namedContexts: true,
  multiPlatformImages: true,
  imageStore: "containerd",
  cpus: 2,
  found: ["Docker Engine 28.5.2"],
};
// The daemon's start marks: the same process, and the same daemon after a restart.
const started = "socket 1:100:1000";
const restarted = "socket 1:101:5000";
const t0 = 1_800_000_000_000;

describe("the capability cache", () => {
  it("answers for the same daemon process within the time it is trusted", () => {
    const cache = rememberCapabilities(emptyCapabilityCache, address, started, caps, t0);
    expect(lookupCapabilities(cache, address, started, t0 + 1000)).toEqual(caps);
    // What a run writes, the next one reads back.
    const again = parseCapabilityCache(serializeCapabilityCache(cache));
    expect(lookupCapabilities(again, address, started, t0 + 1000)).toEqual(caps);
  });

  it("does not answer once the daemon restarted", () => {
    const cache = rememberCapabilities(emptyCapabilityCache, address, started, caps, t0);
    expect(lookupCapabilities(cache, address, restarted, t0 + 1000)).toBeUndefined();
    // The new answer replaces the old one.
    const renewed = rememberCapabilities(
      cache,
      address,
      restarted,
      { ...caps, cpus: 4 },
      t0 + 2000,
    );
    expect(renewed.entries).toHaveLength(1);
    expect(lookupCapabilities(renewed, address, restarted, t0 + 3000)?.cpus).toBe(4);
  });

  it("does not answer once the answer is too old, or when the clock went back", () => {
    const cache = rememberCapabilities(emptyCapabilityCache, address, started, caps, t0);
    expect(lookupCapabilities(cache, address, started, t0 + capabilityCacheTtlMs)).toBeUndefined();
    expect(lookupCapabilities(cache, address, started, t0 - 1)).toBeUndefined();
  });

  it("keeps each endpoint apart and a bounded number of them", () => {
    let cache = emptyCapabilityCache;
    for (let i = 0; i < capabilityCacheEntries + 5; i++)
      cache = rememberCapabilities(cache, `unix:///e${i}.sock`, started, caps, t0 + i);
    expect(cache.entries).toHaveLength(capabilityCacheEntries);
    expect(lookupCapabilities(cache, address, started, t0 + 100)).toBeUndefined();
    const newest = `unix:///e${capabilityCacheEntries + 4}.sock`;
    expect(lookupCapabilities(cache, newest, started, t0 + 100)).toEqual(caps);
    expect(lookupCapabilities(cache, "unix:///e0.sock", started, t0 + 100)).toBeUndefined();
  });

  it("takes a file it did not write, or a damaged one, as empty", () => {
    const good = JSON.parse(
      serializeCapabilityCache(
        rememberCapabilities(emptyCapabilityCache, address, started, caps, t0),
      ),
    );
    const damaged = (f: (entry: Record<string, unknown>) => void) => {
      const copy = structuredClone(good);
      f(copy.entries[0]);
      return JSON.stringify(copy);
    };
    for (const text of [
      undefined,
      "",
      "not json",
      "[]",
      JSON.stringify({ ...good, version: 2 }),
      JSON.stringify({ version: 1, entries: {} }),
      damaged((e) => {
        e.mark = 7;
      }),
      damaged((e) => {
        e.caps = { ...(e.caps as object), platforms: "linux/amd64" };
      }),
      damaged((e) => {
        e.caps = { ...(e.caps as object), kind: "something-else" };
      }),
      damaged((e) => {
        e.caps = { ...(e.caps as object), cpus: -1 };
      }),
      damaged((e) => {
        e.savedAt = "yesterday";
      }),
    ]) {
      expect(lookupCapabilities(parseCapabilityCache(text), address, started, t0 + 1)).toBe(
        undefined,
      );
    }
  });
});
