import { describe, expect, it } from "vitest";
import { buildGraph } from "../../src/graph/graph.js";
import {
  describePlan,
  type EndpointInfo,
  longestChain,
  type PlanOptions,
  type PlanTarget,
  planJobs,
} from "../../src/plan/plan.js";

/** An Engine on amd64 that emulates arm64 (one platform per image in its store). */
const amd: EndpointInfo = {
  name: "amd",
  nativePlatforms: ["linux/amd64"],
  platforms: ["linux/amd64", "linux/arm64"],
  maxParallel: 2,
  multiPlatformImages: false,
};
const arm: EndpointInfo = {
  name: "arm",
  nativePlatforms: ["linux/arm64"],
  platforms: ["linux/arm64", "linux/amd64"],
  maxParallel: 2,
  multiPlatformImages: false,
};

interface Spec {
  deps?: string[];
  platforms?: string[];
  image?: boolean;
  push?: boolean;
}

function plan(
  specs: Record<string, Spec>,
  endpoints: EndpointInfo[] = [amd, arm],
  options: PlanOptions = {},
) {
  const graph = buildGraph(
    Object.fromEntries(
      Object.entries(specs).map(([name, s]) => [
        name,
        {
          name,
          contexts: Object.fromEntries((s.deps ?? []).map((d) => [d, `target:${d}`])),
        },
      ]),
    ),
  );
  const targets: Record<string, PlanTarget> = Object.fromEntries(
    Object.entries(specs).map(([name, s]) => [
      name,
      {
        name,
        platforms: s.platforms ?? [],
        exportsImage: !!(s.image || s.push),
        pushes: !!s.push,
      },
    ]),
  );
  return planJobs(graph, targets, endpoints, options);
}

function placement(p: ReturnType<typeof plan>): Record<string, string | undefined> {
  return Object.fromEntries(p.jobs.map((j) => [j.id, j.preferred[0]]));
}

describe("placement", () => {
  it("prefers the endpoint that runs the platform natively, keeping the emulating one as fallback", () => {
    const p = plan({ x: { platforms: ["linux/arm64"] }, y: { platforms: ["linux/amd64"] } });
    expect(p.jobs.find((j) => j.id === "x")!.preferred).toEqual(["arm", "amd"]);
    expect(p.jobs.find((j) => j.id === "y")!.preferred).toEqual(["amd", "arm"]);
    expect(p.jobs.map((j) => [j.id, j.native])).toEqual([
      ["x", ["arm"]],
      ["y", ["amd"]],
    ]);
    expect(p.problems).toEqual([]);
  });

  it("treats linux/arm64/v8 and linux/arm64 as the same platform", () => {
    const armV8 = { ...arm, nativePlatforms: ["linux/arm64/v8"], platforms: ["linux/arm64/v8"] };
    const p = plan({ x: { platforms: ["linux/arm64"] }, y: { platforms: ["linux/arm64/v8"] } }, [
      amd,
      armV8,
    ]);
    expect(p.jobs.map((j) => j.preferred)).toEqual([
      ["arm", "amd"],
      ["arm", "amd"],
    ]);
  });

  it("prefers the endpoint where the target built last time when both are native", () => {
    const amd2 = { ...amd, name: "amd2" };
    expect(placement(plan({ t: { platforms: ["linux/amd64"] } }, [amd, amd2]))).toEqual({
      t: "amd",
    });
    expect(
      placement(
        plan({ t: { platforms: ["linux/amd64"] } }, [amd, amd2], { warmth: { t: "amd2" } }),
      ),
    ).toEqual({ t: "amd2" });
  });

  it("puts native placement before warm cache", () => {
    const p = plan({ t: { platforms: ["linux/arm64"] } }, [amd, arm], { warmth: { t: "amd" } });
    expect(placement(p)).toEqual({ t: "arm" });
  });

  it("spreads independent targets over equal endpoints by load", () => {
    const amd2 = { ...amd, name: "amd2", maxParallel: 1 };
    const big = { ...amd, maxParallel: 1 };
    const p = plan({ a: {}, b: {}, c: {}, d: {} }, [big, amd2]);
    expect(Object.values(placement(p)).sort()).toEqual(["amd", "amd", "amd2", "amd2"]);
  });

  it("reports a platform no endpoint can build", () => {
    const p = plan({ t: { platforms: ["linux/s390x"] } });
    expect(p.jobs[0]!.preferred).toEqual([]);
    expect(p.problems).toEqual(["no endpoint can build t for linux/s390x"]);
  });

  it("keeps a multi-platform target whole on an endpoint that can export multi-platform images", () => {
    const kit = { ...amd, name: "kit", multiPlatformImages: true };
    const p = plan({ img: { platforms: ["linux/amd64", "linux/arm64"], push: true } }, [kit, arm]);
    expect(p.jobs.map((j) => [j.id, j.platforms, j.preferred[0]])).toEqual([
      ["img", ["linux/amd64", "linux/arm64"], "kit"],
    ]);
    expect(p.joins).toEqual([]);
  });

  it("places a whole multi-platform image only where the image store holds one, even when an old Engine is less busy", () => {
    const modern = { ...amd, name: "modern", multiPlatformImages: true };
    const p = plan(
      {
        a: { platforms: ["linux/amd64"] },
        img: { platforms: ["linux/amd64", "linux/arm64"], push: true },
      },
      [modern, amd, arm],
    );
    expect(p.jobs.find((j) => j.id === "img")!.preferred).toEqual(["modern"]);
    expect(p.joins).toEqual([]);
  });
});

describe("split and join", () => {
  it("splits a pushed multi-platform image per native platform and joins it in the registry", () => {
    const p = plan({ img: { platforms: ["linux/amd64", "linux/arm64"], push: true } });
    expect(p.jobs.map((j) => [j.id, j.platforms, j.preferred[0], j.part])).toEqual([
      ["img@linux/amd64", ["linux/amd64"], "amd", { of: "img", index: 0, count: 2 }],
      ["img@linux/arm64", ["linux/arm64"], "arm", { of: "img", index: 1, count: 2 }],
    ]);
    expect(p.joins).toEqual([{ target: "img", jobs: ["img@linux/amd64", "img@linux/arm64"] }]);
    expect(p.problems).toEqual([]);
  });

  it("splits on request even when an endpoint could build the image whole", () => {
    const kit = { ...amd, multiPlatformImages: true };
    const target = { img: { platforms: ["linux/amd64", "linux/arm64"], push: true } };
    expect(plan(target, [kit, arm]).joins).toEqual([]);
    expect(placement(plan(target, [kit, arm], { split: true }))).toEqual({
      "img@linux/amd64": "amd",
      "img@linux/arm64": "arm",
    });
  });

  it("explains a multi-platform image that can neither be exported whole nor joined", () => {
    const p = plan({ img: { platforms: ["linux/amd64", "linux/arm64"], image: true } });
    expect(p.jobs.map((j) => j.id)).toEqual(["img"]);
    expect(p.problems[0]).toMatch(
      /^img: no endpoint can export a 2-platform image without pushing/,
    );
  });

  it("makes dependents of a split target wait for every platform", () => {
    const p = plan({
      img: { platforms: ["linux/amd64", "linux/arm64"], push: true },
      app: { deps: ["img"], platforms: ["linux/amd64"] },
    });
    expect(p.jobs.find((j) => j.id === "app")!.after).toEqual([
      "img@linux/amd64",
      "img@linux/arm64",
    ]);
    expect(p.handovers).toEqual([{ from: "img", to: "app", strategy: "registry" }]);
  });
});

describe("hand-over between dependencies and dependents", () => {
  it("keeps a dependent on its dependency's endpoint when there is no registry", () => {
    const p = plan({
      base: { platforms: ["linux/amd64"] },
      app: { deps: ["base"], platforms: ["linux/arm64"] },
    });
    expect(placement(p)).toEqual({ base: "amd", app: "amd" });
    expect(p.jobs.find((j) => j.id === "app")!.preferred).toEqual(["amd", "arm"]);
    expect(p.handovers).toEqual([{ from: "base", to: "app", strategy: "same-endpoint" }]);
    expect(p.problems).toEqual([]);
  });

  it("lets a dependent go where it runs best when a registry carries the hand-over", () => {
    const p = plan(
      {
        base: { platforms: ["linux/amd64"] },
        app: { deps: ["base"], platforms: ["linux/arm64"] },
      },
      [amd, arm],
      { registry: "127.0.0.1:5000" },
    );
    expect(placement(p)).toEqual({ base: "amd", app: "arm" });
    expect(p.handovers).toEqual([{ from: "base", to: "app", strategy: "registry" }]);
  });

  it("hands over through the registry a dependency that pushes its image anyway", () => {
    const p = plan({
      base: { platforms: ["linux/amd64"], push: true },
      app: { deps: ["base"], platforms: ["linux/arm64"] },
    });
    expect(placement(p)).toEqual({ base: "amd", app: "arm" });
    expect(p.handovers[0]!.strategy).toBe("registry");
  });

  it("reports dependencies pinned to different endpoints without a registry", () => {
    const p = plan({
      x: { platforms: ["linux/amd64"] },
      y: { platforms: ["linux/arm64"] },
      app: { deps: ["x", "y"] },
    });
    expect(p.jobs.find((j) => j.id === "app")!.preferred).toEqual([]);
    expect(p.problems).toEqual([
      "app uses x (on amd) and y (on arm), which can only be handed over on their own endpoint; give a registry for hand-over so they can meet",
    ]);
  });

  it("reports a dependent its dependency's endpoint cannot build", () => {
    const amdOnly = { ...amd, platforms: ["linux/amd64"] };
    const armOnly = { ...arm, platforms: ["linux/arm64"] };
    const p = plan(
      { base: { platforms: ["linux/amd64"] }, app: { deps: ["base"], platforms: ["linux/arm64"] } },
      [amdOnly, armOnly],
    );
    expect(p.problems).toEqual([
      "app must run on amd where base ran, but amd cannot build it; give a registry for hand-over",
    ]);
  });
});

describe("describePlan", () => {
  it("shows the steps, where each job goes, hand-overs, joins and problems", () => {
    const p = plan({
      base: { platforms: ["linux/amd64"] },
      img: { deps: ["base"], platforms: ["linux/amd64", "linux/arm64"], push: true },
      odd: { platforms: ["linux/s390x"] },
    });
    expect(describePlan(p)).toBe(
      [
        "step 1:",
        "  base [linux/amd64] -> amd (then arm)",
        "  odd [linux/s390x] -> (no endpoint can build this)",
        "step 2:",
        "  img@linux/amd64 [linux/amd64] -> amd (then arm) after base",
        "  img@linux/arm64 [linux/arm64] -> amd (then arm) after base",
        "hand-over:",
        "  base -> img: on the same endpoint",
        "join: img <- img@linux/amd64, img@linux/arm64 (one multi-platform index in the registry)",
        "critical path: base -> img@linux/amd64",
        "problem: no endpoint can build odd for linux/s390x",
        "",
      ].join("\n"),
    );
  });
});

describe("longestChain", () => {
  it("follows the longest run of jobs that wait for each other", () => {
    const p = plan({
      base: {},
      lib: { deps: ["base"] },
      app: { deps: ["lib", "tool"] },
      tool: {},
      docs: {},
    });
    expect(longestChain(p)).toEqual(["base", "lib", "app"]);
  });
});
