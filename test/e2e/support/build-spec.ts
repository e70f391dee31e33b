/** A BuildSpec for the e2e tests: an inline Dockerfile, ARG BASE set to the seeded base image. */
import type { BuildSpec } from "../../../src/buildkit/solve/spec.js";
import { testEnv } from "../test-env.js";

export function buildSpec(
  contextDir: string,
  dockerfile: string,
  extra: Partial<BuildSpec> = {},
): BuildSpec {
  return {
    contextDir,
    dockerfile: { kind: "inline", text: dockerfile },
    args: { BASE: testEnv().baseImage },
    labels: {},
    platforms: [],
    tags: [],
    cacheFrom: [],
    cacheTo: [],
    secrets: [],
    noCache: false,
    noCacheFilter: [],
    pull: false,
    ulimits: [],
    extraHosts: [],
    namedContexts: {},
    ...extra,
  };
}
