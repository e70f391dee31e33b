import { describe, expect, it } from "vitest";
import type { Target } from "../../src/bake/model.js";
import { type SpecContext, targetToSpec } from "../../src/build/target-spec.js";
import type { Capabilities } from "../../src/buildkit/solve/spec.js";

const caps: Capabilities = {
  endpoint: "e",
  kind: "docker-engine",
  version: "Docker Engine 20.10",
  platforms: ["linux/amd64"],
  exporters: ["moby", "local", "tar"],
  cacheExporters: ["inline"],
  cacheImporters: ["registry"],
  namedContexts: false,
  multiPlatformImages: false,
};
const ctx: SpecContext = {
  cwd: "/work",
  runId: "r1",
  caps,
  platforms: [],
  dependencies: {},
  isDependency: false,
};

describe("a bake target as a build", () => {
  it("resolves context and dockerfile paths against the working folder and the context", () => {
    const { spec } = targetToSpec(
      { name: "app", context: "svc", dockerfile: "build/Dockerfile", args: { A: "1", B: null } },
      ctx,
    );
    expect(spec.contextDir).toBe("/work/svc");
    expect(spec.dockerfile).toEqual({ kind: "file", path: "/work/svc/build/Dockerfile" });
    expect(spec.args).toEqual({ A: "1" });
  });

  it("uses the dependency's image for a target: context and hands over its own image", () => {
    const dep = targetToSpec({ name: "base", context: "." }, { ...ctx, isDependency: true });
    expect(dep.handover).toEqual({ kind: "local", image: "mbake-local/base:r1" });
    expect(dep.spec.output).toEqual({ type: "docker" });
    const app = targetToSpec(
      { name: "app", contexts: { base: "target:base" } },
      {
        ...ctx,
        dependencies: {
          base: { target: "base", endpoint: "e", localImage: "mbake-local/base:r1" },
        },
      },
    );
    expect(app.spec.namedContexts).toEqual({ base: "docker-image://mbake-local/base:r1" });
    // Only the Engine's store holds it; a pushed hand-over is for the registry to serve.
    expect(app.spec.storeImages).toEqual(["mbake-local/base:r1"]);
    const pushed = targetToSpec(
      { name: "app", contexts: { base: "target:base" } },
      {
        ...ctx,
        dependencies: {
          base: {
            target: "base",
            endpoint: "e",
            pushedImage: "reg/mbake-handover/base:r1@sha256:a",
          },
        },
      },
    );
    expect(pushed.spec.storeImages).toBeUndefined();
  });

  it("asks for --allow before granting an entitlement", () => {
    const t: Target = { name: "net", network: "host", entitlements: ["network.host"] };
    expect(() => targetToSpec(t, ctx)).toThrowError(
      'target "net" asks for network.host; allow it with --allow network.host',
    );
    expect(targetToSpec(t, { ...ctx, allowed: ["network.host"] }).spec.entitlements).toEqual([
      "network.host",
    ]);
  });

  it("refuses several outputs clearly", () => {
    expect(() =>
      targetToSpec(
        {
          name: "x",
          output: [
            { type: "local", dest: "a" },
            { type: "tar", dest: "b" },
          ],
        },
        ctx,
      ),
    ).toThrowError(/has 2 outputs/);
  });

  it("builds call = build, asks the frontend for check/outline/targets with no output, and refuses other calls", () => {
    expect(targetToSpec({ name: "x", call: "build" }, ctx).spec.call).toBeUndefined();
    const check = targetToSpec(
      { name: "x", call: "check", output: [{ type: "registry" }], tags: ["r/x"] },
      ctx,
    ).spec;
    expect(check).toMatchObject({ call: "lint", tags: [], cacheTo: [] });
    expect(check.output).toBeUndefined();
    expect(targetToSpec({ name: "x", call: "outline" }, ctx).spec.call).toBe("outline");
    expect(() => targetToSpec({ name: "x", call: "debug" }, ctx)).toThrowError(
      /target "x": call = "debug" is not a method mbake knows; use build, check, outline or targets/,
    );
  });

  it("lets the daemon fetch a remote context, with its Dockerfile read from there", () => {
    const git = targetToSpec(
      { name: "x", context: "https://github.com/x/y.git#main", dockerfile: "build/Dockerfile" },
      ctx,
    );
    expect(git.spec.remoteContext).toBe("https://github.com/x/y.git#main");
    expect(git.spec.dockerfile).toEqual({ kind: "in-context", path: "build/Dockerfile" });
    const inline = targetToSpec(
      { name: "x", context: "git://host/repo.git", dockerfileInline: "FROM scratch\n" },
      ctx,
    );
    expect(inline.spec.dockerfile).toEqual({ kind: "inline", text: "FROM scratch\n" });
    expect(targetToSpec({ name: "x", context: "./svc" }, ctx).spec.remoteContext).toBeUndefined();
  });
});

describe("a target with no output", () => {
  it("keeps its image in a Docker Engine's store under its tags, as buildx's docker driver does", () => {
    const { spec, notes } = targetToSpec({ name: "app", tags: ["app:dev"] }, ctx);
    expect(spec.output).toEqual({ type: "image" });
    expect(spec.tags).toEqual(["app:dev"]);
    expect(notes).toEqual([]);
    // A multi-platform image only where the store holds one.
    const multi = { name: "app", platforms: ["linux/amd64", "linux/arm64"] };
    expect(
      targetToSpec(multi, { ...ctx, caps: { ...caps, multiPlatformImages: true } }).spec.output,
    ).toEqual({ type: "image" });
    const split = targetToSpec(multi, { ...ctx, platforms: ["linux/arm64"] });
    expect(split.spec.output).toBeUndefined();
    expect(split.notes).toEqual([
      "targets with no output keep their result only in the build cache of e; give them an output, or use --push or --load",
    ]);
  });

  it("stays in a buildkitd's build cache, saying so; type=cacheonly says nothing", () => {
    const buildkitd = { ...ctx, caps: { ...caps, kind: "buildkitd" as const, endpoint: "bk" } };
    const none = targetToSpec({ name: "app" }, buildkitd);
    expect(none.spec.output).toBeUndefined();
    expect(none.notes[0]).toMatch(/^targets with no output keep .* build cache of bk;/);
    for (const c of [ctx, buildkitd]) {
      const cacheOnly = targetToSpec({ name: "app", output: [{ type: "cacheonly" }] }, c);
      expect(cacheOnly.spec.output).toBeUndefined();
      expect(cacheOnly.notes).toEqual([]);
    }
  });
});

describe("pull with a target: context", () => {
  const app: Target = { name: "app", pull: true, contexts: { base: "target:base" } };
  it("is not applied where the hand-over is only in the Engine's store (a pull would not find it), and says so", () => {
    const r = targetToSpec(app, {
      ...ctx,
      dependencies: { base: { target: "base", endpoint: "e", localImage: "mbake-local/base:r1" } },
    });
    expect(r.spec.pull).toBe(false);
    expect(r.notes).toContain(
      `target "app": pull is not applied to its own base images: its target: contexts are handed over in the Engine's image store, where a pull would not look`,
    );
  });

  it("is applied where the hand-over was pushed to a registry", () => {
    const r = targetToSpec(app, {
      ...ctx,
      dependencies: {
        base: { target: "base", endpoint: "registry", pushedImage: "reg:5000/h/base:r1" },
      },
    });
    expect(r.spec.pull).toBe(true);
    expect(r.notes.join("\n")).not.toMatch(/pull is not applied/);
  });
});
