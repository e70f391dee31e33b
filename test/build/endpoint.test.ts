import { describe, expect, it } from "vitest";
import type { Target } from "../../src/bake/model.js";
import { type BuildRun, buildEndpoint, type Daemon, onceEach } from "../../src/build/endpoint.js";
import {
  BuildFailedError,
  type BuildkitClient,
  type BuildOptions,
  type BuildResult,
  EndpointGoneError,
} from "../../src/buildkit/client.js";
import { CapabilityError } from "../../src/buildkit/solve/request.js";
import type { BuildSpec, Capabilities } from "../../src/buildkit/solve/spec.js";
import type { Job } from "../../src/plan/plan.js";
import {
  EndpointUnavailableError,
  JobFailedError,
  type ScheduledJob,
} from "../../src/scheduler/scheduler.js";

const caps: Capabilities = {
  endpoint: "a",
  kind: "buildkitd",
  version: "v0.12",
  platforms: ["linux/amd64"],
  exporters: ["image", "local", "tar"],
  cacheExporters: ["inline", "registry"],
  cacheImporters: ["registry"],
  namedContexts: true,
  multiPlatformImages: true,
};

/** A daemon whose client records each spec and answers with `answer`. */
function daemon(answer: (spec: BuildSpec, opts: BuildOptions) => Promise<BuildResult>): {
  daemon: Daemon;
  specs: BuildSpec[];
} {
  const specs: BuildSpec[] = [];
  const client = {
    build: (spec: BuildSpec, opts: BuildOptions) => {
      specs.push(spec);
      return answer(spec, opts);
    },
  } as unknown as BuildkitClient;
  return { daemon: { name: "a", maxParallel: 2, caps, client }, specs };
}

function run(targets: Record<string, Target>, extra: Partial<BuildRun> = {}) {
  const warnings: string[] = [];
  const value: BuildRun = {
    cwd: "/work",
    env: {},
    stdout: process.stdout,
    runId: "r1",
    userAgent: "mbake/test",
    targets,
    graph: {
      order: Object.keys(targets),
      dependencies: new Map(
        Object.values(targets).map((t) => [
          t.name,
          Object.values(t.contexts ?? {})
            .filter((c) => c.startsWith("target:"))
            .map((c) => c.slice(7)),
        ]),
      ),
      dependents: new Map(),
    },
    allowed: [],
    warn: onceEach((m, target) => warnings.push(target ? `${target}: ${m}` : m)),
    ...extra,
  };
  return { run: value, warnings };
}

function job(target: string, more: Partial<Job> = {}): ScheduledJob {
  const j: Job = { id: target, target, platforms: [], preferred: ["a"], after: [], ...more };
  return { job: j, attempt: 1, dependencies: {} };
}

const ctx = { signal: new AbortController().signal, onStatus: () => {} };

describe("the build endpoint adapter", () => {
  it("gives placement the CPUs the user set (cpus=) over those the daemon reports", () => {
    const { daemon: d } = daemon(async () => ({ exporterResponse: {}, pushed: {} }));
    const { run: r } = run({});
    expect(buildEndpoint(d, r).cpus).toBeUndefined();
    expect(buildEndpoint({ ...d, caps: { ...caps, cpus: 2 } }, r).cpus).toBe(2);
    expect(buildEndpoint({ ...d, cpus: 16, caps: { ...caps, cpus: 2 } }, r).cpus).toBe(16);
  });

  it("reports an image build's digest and names, as buildx's metadata does", async () => {
    const { daemon: d, specs } = daemon(async () => ({
      exporterResponse: { "containerimage.digest": "sha256:img" },
      pushed: {},
    }));
    const { run: r } = run({
      app: { name: "app", tags: ["localhost:5000/app:1"], output: [{ type: "registry" }] },
    });
    const outcome = await buildEndpoint(d, r).build(job("app"), ctx);
    expect(specs[0]!.tags).toEqual(["localhost:5000/app:1"]);
    expect(outcome).toEqual({
      exporterResponse: {
        "containerimage.digest": "sha256:img",
        "image.name": "localhost:5000/app:1",
      },
      digest: "sha256:img",
      output: "localhost:5000/app:1",
    });
  });

  it("hands a pushed dependency over pinned to the digest the Engine pushed", async () => {
    const { daemon: d } = daemon(async (spec) => ({
      exporterResponse: {},
      pushed: { [spec.tags[0]!]: "sha256:pushed" },
    }));
    const { run: r } = run(
      { base: { name: "base" }, app: { name: "app", contexts: { base: "target:base" } } },
      { handoverRegistry: "127.0.0.1:5000" },
    );
    const outcome = await buildEndpoint(d, r).build(job("base"), ctx);
    expect(outcome.handover).toEqual({
      pushedImage: "127.0.0.1:5000/mbake-handover/base@sha256:pushed",
    });
    expect(outcome.digest).toBe("sha256:pushed");
  });

  it("pushes one platform of a split target under its per-platform tag", async () => {
    const { daemon: d, specs } = daemon(async () => ({ exporterResponse: {}, pushed: {} }));
    const { run: r } = run({
      app: {
        name: "app",
        tags: ["localhost:5000/app:1"],
        platforms: ["linux/amd64", "linux/arm64"],
        output: [{ type: "registry" }],
      },
    });
    await buildEndpoint(d, r).build(
      job("app", {
        id: "app@linux/arm64",
        platforms: ["linux/arm64"],
        part: { of: "app", index: 1, count: 2 },
      }),
      ctx,
    );
    expect(specs[0]!.tags).toEqual(["localhost:5000/app:1-mbake-linux-arm64"]);
    expect(specs[0]!.platforms).toEqual(["linux/arm64"]);
  });

  it("turns BuildKit's errors into the scheduler's: a gone daemon may be retried, a failed build fails", async () => {
    const cases: [Error, new (...args: never[]) => Error][] = [
      [new EndpointGoneError("a: connection reset"), EndpointUnavailableError],
      [new BuildFailedError("RUN false exited 1", "[2/2] RUN false"), JobFailedError],
      [new CapabilityError("needs BuildKit v0.13"), JobFailedError],
    ];
    for (const [thrown, expected] of cases) {
      const { daemon: d } = daemon(async () => {
        throw thrown;
      });
      const { run: r } = run({ app: { name: "app" } });
      const err = await buildEndpoint(d, r)
        .build(job("app"), ctx)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(expected);
      expect((err as Error).message).toBe(thrown.message);
    }
    const { daemon: d } = daemon(async () => {
      throw new BuildFailedError("RUN false exited 1", "[2/2] RUN false");
    });
    const err = await buildEndpoint(d, run({ app: { name: "app" } }).run)
      .build(job("app"), ctx)
      .catch((e: unknown) => e);
    expect((err as JobFailedError).failedStep).toBe("[2/2] RUN false");
  });

  it("fails the job, not the run, when the target cannot become a build", async () => {
    const { daemon: d, specs } = daemon(async () => ({ exporterResponse: {}, pushed: {} }));
    const { run: r } = run({ app: { name: "app", call: "debug" } });
    const err = await buildEndpoint(d, r)
      .build(job("app"), ctx)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobFailedError);
    expect((err as Error).message).toMatch(/call = "debug" is not a method mbake knows/);
    expect(specs).toEqual([]);
  });

  it("tells each warning once, however many builds report it", async () => {
    const { daemon: d } = daemon(async (_spec, opts) => {
      opts.onWarning?.("local cache ./c has no latest yet");
      return { exporterResponse: {}, pushed: {} };
    });
    const cacheOnly = [{ type: "cacheonly" }];
    const { run: r, warnings } = run({
      a: { name: "a", output: cacheOnly },
      b: { name: "b", output: cacheOnly },
    });
    const endpoint = buildEndpoint(d, r);
    await endpoint.build(job("a"), ctx);
    await endpoint.build(job("b"), ctx);
    expect(warnings).toEqual(["a: local cache ./c has no latest yet"]);
  });

  it("says once per endpoint, not per target, that results with no output stay in a buildkitd's cache", async () => {
    const { daemon: d } = daemon(async () => ({ exporterResponse: {}, pushed: {} }));
    const { run: r, warnings } = run({ a: { name: "a" }, b: { name: "b" } });
    const endpoint = buildEndpoint(d, r);
    await endpoint.build(job("a"), ctx);
    await endpoint.build(job("b"), ctx);
    expect(warnings).toEqual([
      "targets with no output keep their result only in the build cache of a; give them an output, or use --push or --load",
    ]);
  });

  it("asks the client to share local folders between solves only when the run has several targets", async () => {
    const asked: (boolean | undefined)[] = [];
    const { daemon: d } = daemon(async (_spec, opts) => {
      asked.push(opts.shareLocalDirs);
      return { exporterResponse: {}, pushed: {} };
    });
    await buildEndpoint(d, run({ a: { name: "a" } }).run).build(job("a"), ctx);
    await buildEndpoint(d, run({ a: { name: "a" }, b: { name: "b" } }).run).build(job("a"), ctx);
    expect(asked).toEqual([false, true]);
  });
});
