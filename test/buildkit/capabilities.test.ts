import { describe, expect, it } from "vitest";
import { type DaemonFacts, deriveCapabilities } from "../../src/buildkit/capabilities.js";

// What the daemons of the test environment answer (ListWorkers, Info, /version, /info).
const engine2010: DaemonFacts = {
  endpoint: "unix:///e/engine-a.sock",
  platforms: ["linux/amd64", "linux/arm64"],
  workerLabels: [{}],
  engine: { version: "20.10.24+dfsg1", apiVersion: "1.41", storageDriver: "overlay2" },
};
const engine285: DaemonFacts = {
  endpoint: "unix:///e/engine-modern.sock",
  platforms: ["linux/amd64", "linux/arm64"],
  workerLabels: [
    {
      "org.mobyproject.buildkit.worker.executor": "containerd",
      "org.mobyproject.buildkit.worker.snapshotter": "overlayfs",
    },
  ],
  info: { version: "v0.0.0+unknown" },
  engine: {
    version: "28.5.2+dfsg4",
    apiVersion: "1.51",
    storageDriver: "overlayfs",
    driverType: "io.containerd.snapshotter.v1",
  },
};

describe("capabilities from what the daemon says", () => {
  it("an Engine 20.10 (graph driver store, no Info): moby, local and tar, inline cache only", () => {
    const caps = deriveCapabilities(engine2010);
    expect(caps).toMatchObject({
      kind: "docker-engine",
      exporters: ["moby", "local", "tar"],
      cacheExporters: ["inline"],
      multiPlatformImages: false,
      attestations: false,
      exporterPushes: false,
      namedContexts: false,
      runLimits: false,
      imageStore: "graphdriver",
    });
    expect(caps.version).toBe(
      "Docker Engine 20.10.24+dfsg1 (API 1.41, graph driver overlay2 image store, embedded BuildKit)",
    );
    expect(caps.found).toContain("BuildKit Info not implemented: BuildKit before v0.11");
  });

  it("an Engine with the containerd image store: everything, though its BuildKit says v0.0.0", () => {
    const caps = deriveCapabilities(engine285);
    expect(caps).toMatchObject({
      kind: "docker-engine",
      exporters: ["moby", "local", "tar", "oci", "docker"],
      cacheExporters: ["inline", "registry", "local"],
      multiPlatformImages: true,
      attestations: true,
      exporterPushes: true,
      namedContexts: true,
      runLimits: true,
      imageStore: "containerd",
    });
    expect(caps.version).toMatch(
      /^Docker Engine 28\.5\.2\+dfsg4 \(API 1\.51, containerd image store/,
    );
    expect(caps.found?.join("\n")).toMatch(/driver-type io\.containerd\.snapshotter\.v1/);
  });

  it("knows the containerd store from the worker's snapshotter label alone (as buildx does)", () => {
    const { driverType: _, ...engine } = engine285.engine!;
    const caps = deriveCapabilities({ ...engine285, engine });
    expect(caps.multiPlatformImages).toBe(true);
    expect(caps.found?.join("\n")).toMatch(
      /worker label org\.mobyproject\.buildkit\.worker\.snapshotter/,
    );
  });

  it("an Engine 23 without the containerd store: named contexts from its API version, no cache export", () => {
    const caps = deriveCapabilities({
      ...engine2010,
      engine: { version: "23.0.6", apiVersion: "1.42", storageDriver: "overlay2" },
    });
    expect(caps.namedContexts).toBe(true);
    expect(caps.cacheExporters).toEqual(["inline"]);
    expect(caps.attestations).toBe(false);
  });

  it("a buildkitd: attestations where Info answers (v0.11+), whatever version it prints", () => {
    const old = deriveCapabilities({ endpoint: "tcp://b:1", platforms: [], workerLabels: [{}] });
    expect(old).toMatchObject({ kind: "buildkitd", attestations: false, namedContexts: false });
    expect(old.version).toBe("BuildKit unknown");
    const v010 = deriveCapabilities({
      endpoint: "tcp://b:1",
      platforms: [],
      workerLabels: [{}],
      workerVersion: "v0.10.6",
    });
    expect(v010).toMatchObject({ attestations: false, namedContexts: true });
    const distro = deriveCapabilities({
      endpoint: "tcp://b:1",
      platforms: [],
      workerLabels: [{}],
      info: { version: "v0.0.0+unknown" },
    });
    expect(distro).toMatchObject({
      attestations: true,
      namedContexts: true,
      exporterPushes: true,
      cacheExporters: ["inline", "registry", "local"],
    });
  });
});

describe("folders shared between solves (local-sessionid)", () => {
  it("from the Engine's API version (27.2+), or from a BuildKit v0.15+, never from an older one", () => {
    expect(deriveCapabilities(engine2010).localSessionIds).toBe(false);
    expect(deriveCapabilities(engine285).localSessionIds).toBe(true);
    const docker27 = (apiVersion: string) =>
      deriveCapabilities({ ...engine2010, engine: { version: "27", apiVersion } }).localSessionIds;
    expect([docker27("1.46"), docker27("1.47")]).toEqual([false, true]);
    const kit = (workerVersion: string) =>
      deriveCapabilities({
        endpoint: "tcp://b:1",
        platforms: [],
        workerLabels: [{}],
        workerVersion,
      }).localSessionIds;
    expect([kit("v0.14.1"), kit("v0.15.0"), kit("v0.0.0+unknown")]).toEqual([false, true, false]);
  });
});

describe("an endpoint's CPUs", () => {
  it("come from the Engine's /info NCPU and reach placement as the endpoint's capacity", () => {
    expect(
      deriveCapabilities({ ...engine285, engine: { ...engine285.engine, cpus: 8 } }).cpus,
    ).toBe(8);
  });

  it("are left unknown when the daemon does not say", () => {
    expect(deriveCapabilities(engine285).cpus).toBeUndefined();
    expect(
      deriveCapabilities({ endpoint: "unix:///b.sock", platforms: [], workerLabels: [] }).cpus,
    ).toBeUndefined();
  });

  it("are this machine's for a buildkitd on a local socket whose worker names this host", () => {
    const local: DaemonFacts = {
      endpoint: "unix:///run/buildkit/buildkitd.sock",
      platforms: ["linux/amd64"],
      workerLabels: [{ "org.mobyproject.buildkit.worker.hostname": "build-box" }],
      localHost: { hostname: "build-box", cpus: 12 },
    };
    const caps = deriveCapabilities(local);
    expect(caps.cpus).toBe(12);
    expect(caps.cpusFrom).toContain("build-box");
    expect(caps.found?.join("\n")).toContain("CPUs: 12");
  });

  it("stay unknown for a buildkitd with a host name of its own (a container, another machine)", () => {
    const inContainer: DaemonFacts = {
      endpoint: "unix:///tmp/buildkitd.sock",
      platforms: ["linux/amd64"],
      workerLabels: [{ "org.mobyproject.buildkit.worker.hostname": "4f2a9c0d1e7b" }],
      localHost: { hostname: "build-box", cpus: 12 },
    };
    expect(deriveCapabilities(inContainer).cpus).toBeUndefined();
    // A remote daemon: the client gives no local host to compare with.
    const remote: DaemonFacts = {
      endpoint: "tcp://builder:1234",
      platforms: ["linux/amd64"],
      workerLabels: [{ "org.mobyproject.buildkit.worker.hostname": "build-box" }],
    };
    expect(deriveCapabilities(remote).cpus).toBeUndefined();
  });
});
