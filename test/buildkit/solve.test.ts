import { describe, expect, it } from "vitest";
import { rewriteNamedContexts } from "../../src/buildkit/solve/named-contexts.js";
import { CapabilityError, planSolve } from "../../src/buildkit/solve/request.js";
import { normalizedImageRef } from "../../src/buildkit/solve/source-policy.js";
import type { BuildSpec, Capabilities } from "../../src/buildkit/solve/spec.js";
import { parseAddress, stdioCommand } from "../../src/buildkit/transport/address.js";

const engine: Capabilities = {
  endpoint: "engine-a",
  kind: "docker-engine",
  version: "Docker Engine 20.10.24 (embedded BuildKit)",
  platforms: ["linux/amd64", "linux/arm64"],
  exporters: ["moby", "local", "tar"],
  cacheExporters: ["inline"],
  cacheImporters: ["registry", "local"],
  namedContexts: false,
  multiPlatformImages: false,
};
const buildkitd: Capabilities = {
  ...engine,
  kind: "buildkitd",
  version: "BuildKit v0.24.0",
  exporters: ["image", "local", "tar", "oci", "docker"],
  cacheExporters: ["inline", "registry", "local"],
  namedContexts: true,
  multiPlatformImages: true,
};
/** Docker Engine 28.5 with the containerd image store, as deriveCapabilities finds it. */
const modernEngine: Capabilities = {
  ...engine,
  endpoint: "engine-modern",
  version: "Docker Engine 28.5.2 (API 1.51, containerd image store, embedded BuildKit)",
  exporters: ["moby", "local", "tar", "oci", "docker"],
  cacheExporters: ["inline", "registry", "local"],
  namedContexts: true,
  multiPlatformImages: true,
  attestations: true,
  exporterPushes: true,
  imageStore: "containerd",
};

function spec(extra: Partial<BuildSpec> = {}): BuildSpec {
  return {
    contextDir: "/ctx",
    dockerfile: { kind: "inline", text: "FROM base\nCOPY --from=tools /bin/x /x\n" },
    args: { A: "1" },
    labels: { l: "v" },
    platforms: ["linux/amd64", "linux/arm64"],
    tags: ["r/app:1"],
    cacheFrom: [{ type: "registry", ref: "r/cache" }],
    cacheTo: [],
    secrets: [],
    noCache: false,
    noCacheFilter: [],
    pull: true,
    ulimits: [],
    extraHosts: [],
    namedContexts: {},
    ...extra,
  };
}

describe("solve planning", () => {
  it("maps a spec to the dockerfile frontend's attributes", () => {
    const plan = planSolve(spec({ output: { type: "local", dest: "out" }, target: "bin" }), engine);
    expect(plan.request.FrontendAttrs).toMatchObject({
      filename: "Dockerfile",
      target: "bin",
      "build-arg:A": "1",
      "label:l": "v",
      platform: "linux/amd64,linux/arm64",
      "image-resolve-mode": "pull",
      "cache-from": "r/cache",
    });
    expect(plan.request.Exporter).toBe("local");
    expect(plan.receive).toEqual({ kind: "local", dest: "out" });
    expect(Object.keys(plan.dirs).sort()).toEqual(["context", "dockerfile"]);
  });

  it("has a Docker Engine look in its image store for base images first, as buildx's docker driver does", () => {
    const resolveMode = (pull: boolean, caps: Capabilities) =>
      planSolve(spec({ pull, platforms: [] }), caps).request.FrontendAttrs["image-resolve-mode"];
    expect(resolveMode(false, engine)).toBe("local");
    expect(resolveMode(false, modernEngine)).toBe("local");
    // --pull asks the registry every time, on every daemon.
    expect(resolveMode(true, engine)).toBe("pull");
    expect(resolveMode(true, buildkitd)).toBe("pull");
    // buildkitd has no image store of the user's: its default (the registry) stands.
    expect(resolveMode(false, buildkitd)).toBeUndefined();
    // Subrequests (--call) resolve as the build would.
    const call = planSolve(spec({ pull: false, platforms: [], call: "outline" }), {
      ...modernEngine,
      subrequests: true,
    });
    expect(call.gateway?.opts["image-resolve-mode"]).toBe("local");
  });

  it("uses the Engine's moby exporter and pushes through the Engine", () => {
    const plan = planSolve(spec({ platforms: [], output: { type: "registry" } }), engine);
    expect(plan.request.Exporter).toBe("moby");
    expect(plan.request.ExporterAttrs).toEqual({ name: "r/app:1" });
    expect(plan.pushAfter).toEqual(["r/app:1"]);
    const bk = planSolve(spec({ output: { type: "registry" } }), buildkitd);
    expect(bk.request.Exporter).toBe("image");
    expect(bk.request.ExporterAttrs).toMatchObject({ name: "r/app:1", push: "true" });
  });

  it("sends type=docker from a buildkitd as an image tar: loaded into the local Engine, or to dest=", () => {
    const load = planSolve(spec({ platforms: [], output: { type: "docker" } }), buildkitd);
    expect(load.request.Exporter).toBe("docker");
    expect(load.request.ExporterAttrs).toEqual({ name: "r/app:1" });
    expect(load.loadIntoDocker).toBe(true);
    expect(load.receive).toBeUndefined();
    const file = planSolve(
      spec({ platforms: [], output: { type: "docker", dest: "img.tar" } }),
      buildkitd,
    );
    expect(file.receive).toEqual({ kind: "tar", dest: "img.tar" });
    expect(file.loadIntoDocker).toBeUndefined();
    expect(() =>
      planSolve(spec({ platforms: [], output: { type: "docker", context: "remote" } }), buildkitd),
    ).toThrowError(/context=remote is not supported/);
    const engineLoad = planSolve(spec({ platforms: [], output: { type: "docker" } }), engine);
    expect(engineLoad.request.Exporter).toBe("moby");
    expect(engineLoad.loadIntoDocker).toBeUndefined();
  });

  it("maps attest entries to attest:TYPE attributes, with buildx's default provenance", () => {
    const modern = { ...buildkitd, attestations: true };
    const plan = planSolve(
      spec({
        platforms: [],
        attest: [
          { type: "sbom", generator: "img/scanner:1" },
          { type: "provenance", mode: "max", builder: "id=ci,run" },
          { type: "sbom", generator: "ignored" },
        ],
      }),
      modern,
    );
    expect(plan.request.FrontendAttrs["attest:sbom"]).toBe("type=sbom,generator=img/scanner:1");
    expect(plan.request.FrontendAttrs["attest:provenance"]).toBe(
      'type=provenance,"builder=id=ci,run",mode=max',
    );
    const dflt = planSolve(spec({ platforms: [] }), modern);
    expect(dflt.request.FrontendAttrs["attest:provenance"]).toBe("mode=min,inline-only=true");
    const off = planSolve(
      spec({ platforms: [], attest: [{ type: "provenance", disabled: "true" }] }),
      modern,
    );
    expect(off.request.FrontendAttrs["attest:provenance"]).toBeUndefined();
    const none = planSolve(spec({ platforms: [], noDefaultAttestations: true }), modern);
    expect(none.request.FrontendAttrs["attest:provenance"]).toBeUndefined();
    // The Engine's BuildKit attaches none: no default, and asking for one is an error.
    expect(planSolve(spec({ platforms: [] }), engine).request.FrontendAttrs).not.toHaveProperty(
      "attest:provenance",
    );
    expect(() =>
      planSolve(spec({ platforms: [], attest: [{ type: "sbom" }] }), engine),
    ).toThrowError(/engine-a .* cannot attach attestations \(sbom\): they need BuildKit 0\.11/);
  });

  it("passes annotations to the exporter as buildx names them", () => {
    const plan = planSolve(
      spec({
        output: { type: "image" },
        annotations: [
          "org.opencontainers.image.title=app",
          "index,manifest:org.opencontainers.image.vendor=acme, inc",
          "manifest[linux/arm64]:note=arm",
        ],
      }),
      buildkitd,
    );
    expect(plan.request.ExporterAttrs).toMatchObject({
      "annotation.org.opencontainers.image.title": "app",
      "annotation-index.org.opencontainers.image.vendor": "acme, inc",
      "annotation-manifest.org.opencontainers.image.vendor": "acme, inc",
      "annotation-manifest[linux/arm64].note": "arm",
    });
    expect(() =>
      planSolve(spec({ output: { type: "image" }, annotations: ["layer:x=y"] }), buildkitd),
    ).toThrowError(/unknown annotation type "layer"/);
    expect(() =>
      planSolve(
        spec({ platforms: [], output: { type: "docker" }, annotations: ["index:x=y"] }),
        engine,
      ),
    ).toThrowError(/index annotations do not apply/);
  });

  it("hands a remote context to the frontend, sending only a Dockerfile mbake has", () => {
    const inRepo = planSolve(
      spec({
        platforms: [],
        remoteContext: "git://host/repo.git#main",
        dockerfile: { kind: "in-context", path: "docker/Dockerfile" },
      }),
      engine,
    );
    expect(inRepo.request.FrontendAttrs).toMatchObject({
      context: "git://host/repo.git#main",
      filename: "docker/Dockerfile",
    });
    expect(inRepo.request.FrontendAttrs.dockerfilekey).toBeUndefined();
    expect(Object.keys(inRepo.dirs)).toEqual([]);
    const inline = planSolve(
      spec({ platforms: [], remoteContext: "http://host/ctx.tar.gz", namedContexts: {} }),
      engine,
    );
    expect(inline.request.FrontendAttrs.dockerfilekey).toBe("dockerfile");
    expect(Object.keys(inline.dirs)).toEqual(["dockerfile"]);
  });

  it("refuses what the daemon cannot do, naming the endpoint", () => {
    expect(() => planSolve(spec({ output: { type: "image" } }), engine)).toThrowError(
      /engine-a .* cannot export a multi-platform image/,
    );
    expect(() =>
      planSolve(spec({ cacheTo: [{ type: "registry", ref: "r/c" }] }), engine),
    ).toThrowError(CapabilityError);
    expect(() =>
      planSolve(spec({ platforms: [], cacheTo: [{ type: "local", dest: "/c" }] }), engine),
    ).toThrowError(/engine-a .* cannot export "local" cache \(it supports: inline\)/);
  });

  it("on an Engine with the containerd image store: one solve pushes a multi-platform index with cache and provenance", () => {
    const plan = planSolve(
      spec({
        output: { type: "registry" },
        cacheTo: [{ type: "registry", ref: "r/cache", mode: "max" }],
        attest: [{ type: "provenance", mode: "min" }],
        annotations: ["index:org.opencontainers.image.title=app"],
      }),
      modernEngine,
    );
    expect(plan.request.Exporter).toBe("moby");
    expect(plan.request.ExporterAttrs).toEqual({
      name: "r/app:1",
      push: "true",
      "annotation-index.org.opencontainers.image.title": "app",
    });
    expect(plan.pushAfter).toEqual([]);
    expect(plan.request.FrontendAttrs).toMatchObject({
      platform: "linux/amd64,linux/arm64",
      "attest:provenance": "type=provenance,mode=min",
    });
    expect(plan.request.Cache?.Exports).toEqual([
      { Type: "registry", Attrs: { ref: "r/cache", mode: "max" } },
    ]);
    const oci = planSolve(spec({ output: { type: "oci", dest: "img.tar" } }), modernEngine);
    expect(oci.request.Exporter).toBe("oci");
    expect(oci.receive).toEqual({ kind: "tar", dest: "img.tar" });
    const folder = planSolve(
      spec({ output: { type: "oci", dest: "layout", tar: "false" } }),
      modernEngine,
    );
    expect(folder.exportStore).toBe("layout");
    expect(folder.receive).toBeUndefined();
    expect(folder.request.ExporterAttrs).toMatchObject({ tar: "false", name: "r/app:1" });
    const tar = planSolve(
      spec({ platforms: [], output: { type: "docker", dest: "img.tar" } }),
      modernEngine,
    );
    expect(tar.request.Exporter).toBe("docker");
    expect(tar.receive).toEqual({ kind: "tar", dest: "img.tar" });
    // The old Engine cannot: it says why, naming the endpoint.
    expect(() =>
      planSolve(spec({ output: { type: "oci", dest: "img.tar" } }), engine),
    ).toThrowError(/engine-a .* cannot export an OCI layout/);
    expect(() =>
      planSolve(spec({ platforms: [], output: { type: "docker", dest: "img.tar" } }), engine),
    ).toThrowError(/engine-a .* cannot write an image tar/);
    expect(() =>
      planSolve(spec({ platforms: [], attest: [{ type: "provenance" }] }), {
        ...engine,
        imageStore: "graphdriver",
      }),
    ).toThrowError(/keeps no attestation manifests; turn on its containerd image store/);
  });

  it("sends shm-size in bytes, as buildx converts it (the frontend takes a number only)", () => {
    const attrs = (shmSize: string) =>
      planSolve(spec({ platforms: [], shmSize }), modernEngine).request.FrontendAttrs["shm-size"];
    expect(attrs("96m")).toBe(String(96 * 1024 * 1024));
    expect(attrs("1g")).toBe(String(1024 ** 3));
    expect(attrs("512MiB")).toBe(String(512 * 1024 * 1024));
    expect(attrs("65536")).toBe("65536");
    expect(() => attrs("lots")).toThrowError(/invalid shm-size "lots": give a size such as 64m/);
    // A daemon that would ignore them says so before building.
    expect(() =>
      planSolve(spec({ platforms: [], shmSize: "1g", ulimits: ["nofile=1:1"] }), {
        ...engine,
        runLimits: false,
      }),
    ).toThrowError(/engine-a .* would ignore shm-size and ulimits: its BuildKit predates them/);
  });

  it("passes a resolved local cache import to the daemon as the request and the frontend see it", () => {
    const local = { type: "local", src: "/cache", digest: `sha256:${"a".repeat(64)}` };
    const plan = planSolve(spec({ platforms: [], cacheFrom: [local] }), engine);
    expect(plan.request.Cache?.Imports).toEqual([
      { Type: "local", Attrs: { src: "/cache", digest: `sha256:${"a".repeat(64)}` } },
    ]);
    expect(JSON.parse(plan.request.FrontendAttrs["cache-imports"]!)).toEqual(
      plan.request.Cache?.Imports,
    );
  });

  it("rewrites named contexts into the Dockerfile where the frontend lacks them, and passes them where it has them", () => {
    const contexts = {
      base: "docker-image://r/base@sha256:abc",
      tools: "docker-image://r/tools:1",
    };
    const old = planSolve(spec({ platforms: [], namedContexts: contexts }), engine);
    const dockerfile = old.dirs.dockerfile;
    expect(
      dockerfile?.kind === "memory" && Buffer.from(dockerfile.files.Dockerfile!.data).toString(),
    ).toBe("FROM r/base@sha256:abc\nCOPY --from=r/tools:1 /bin/x /x\n");
    const modern = planSolve(spec({ platforms: [], namedContexts: contexts }), buildkitd);
    expect(modern.request.FrontendAttrs["context:base"]).toBe("docker-image://r/base@sha256:abc");
    expect(
      rewriteNamedContexts("FROM x AS base\nFROM base\n", { base: "docker-image://y" }, "e"),
    ).toBe("FROM x AS base\nFROM base\n");
  });

  it("has the daemon read a hand-over in the Engine's store from there alone (no registry lookup)", () => {
    const handover = {
      namedContexts: {
        base: "docker-image://mbake-local/base:r1",
        tools: "docker-image://r/tools:1",
      },
      storeImages: ["mbake-local/base:r1", "app"],
    };
    const modern = planSolve(spec({ platforms: [], pull: false, ...handover }), modernEngine);
    // The frontend's image source for it carries no resolve mode: the policy gives it one.
    expect(modern.request.SourcePolicy).toEqual({
      version: 1,
      rules: [
        {
          action: 2,
          selector: { identifier: "docker-image://docker.io/mbake-local/base:r1", match_type: 1 },
          updates: { identifier: "", attrs: { "image.resolvemode": "local" } },
        },
        {
          action: 2,
          selector: { identifier: "docker-image://docker.io/library/app:latest", match_type: 1 },
          updates: { identifier: "", attrs: { "image.resolvemode": "local" } },
        },
      ],
    });
    // An Engine 20.10 gets it written into FROM, which image-resolve-mode covers.
    const old = planSolve(spec({ platforms: [], pull: false, ...handover }), engine);
    expect(old.request.SourcePolicy).toBeUndefined();
    expect(old.request.FrontendAttrs["image-resolve-mode"]).toBe("local");
    expect(planSolve(spec({ platforms: [] }), modernEngine).request.SourcePolicy).toBeUndefined();
  });

  it("names a store image as BuildKit names its source, so that the policy's exact match finds it", () => {
    expect(normalizedImageRef("localhost/app")).toBe("localhost/app:latest");
    expect(normalizedImageRef("127.0.0.1:5000/a/b:1")).toBe("127.0.0.1:5000/a/b:1");
    expect(normalizedImageRef("reg.io/app@sha256:ab")).toBe("reg.io/app@sha256:ab");
    expect(normalizedImageRef("me/app:1@sha256:ab")).toBe("docker.io/me/app:1@sha256:ab");
  });
});

describe("endpoint addresses", () => {
  it("parses every scheme buildctl knows", () => {
    expect(parseAddress("unix:///run/buildkit/buildkitd.sock")).toEqual({
      kind: "unix",
      path: "/run/buildkit/buildkitd.sock",
    });
    expect(parseAddress("tcp://10.0.0.1:1234")).toEqual({
      kind: "tcp",
      host: "10.0.0.1",
      port: 1234,
    });
    expect(parseAddress("docker://", { DOCKER_HOST: "unix:///tmp/d.sock" })).toEqual({
      kind: "docker",
      socketPath: "/tmp/d.sock",
    });
    expect(parseAddress("kube-pod://buildkitd-0?namespace=ci")).toEqual({
      kind: "kube-pod",
      pod: "buildkitd-0",
      namespace: "ci",
    });
    expect(parseAddress("ssh://me@host:2222")).toEqual({
      kind: "ssh",
      user: "me",
      host: "host",
      port: 2222,
    });
    expect(() => parseAddress("ftp://x")).toThrowError(/unsupported endpoint scheme/);
  });

  it("runs buildctl dial-stdio through docker, kubectl or ssh", () => {
    expect(stdioCommand(parseAddress("docker-container://bk"))).toEqual({
      command: "docker",
      args: ["exec", "-i", "bk", "buildctl", "dial-stdio"],
    });
    expect(stdioCommand(parseAddress("kube-pod://p?namespace=n"))?.args).toEqual([
      "--namespace=n",
      "exec",
      "-i",
      "p",
      "--",
      "buildctl",
      "dial-stdio",
    ]);
    expect(stdioCommand(parseAddress("ssh://u@h"))?.args).toEqual([
      "-T",
      "--",
      "u@h",
      "buildctl",
      "dial-stdio",
    ]);
  });
});

describe("a frontend subrequest (--call)", () => {
  it("goes with no frontend in the Solve and asks dockerfile.v0 through the gateway, exporting nothing", () => {
    const plan = planSolve(spec({ call: "outline", output: undefined, tags: [] }), {
      ...modernEngine,
      subrequests: true,
    });
    expect(plan.request.Frontend).toBe("");
    expect(plan.request.Exporter).toBeUndefined();
    expect(plan.request.Cache).toBeUndefined();
    expect(plan.gateway?.frontend).toBe("dockerfile.v0");
    expect(plan.gateway?.opts).toMatchObject({
      requestid: "frontend.outline",
      "frontend.caps": "moby.buildkit.frontend.subrequests+forward",
      "build-arg:A": "1",
      filename: "Dockerfile",
    });
    expect(Object.keys(plan.dirs)).toContain("dockerfile");
  });

  it("is refused on a daemon without subrequests, naming the endpoint and the method as typed", () => {
    expect(() => planSolve(spec({ call: "lint" }), engine)).toThrowError(
      /^endpoint engine-a \(Docker Engine 20\.10\.24 \(embedded BuildKit\)\) cannot answer --call check: its Dockerfile frontend takes no subrequests/,
    );
  });
});
