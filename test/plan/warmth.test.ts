import { describe, expect, it } from "vitest";
import { jobsKept, samplesPerJob } from "../../src/plan/history.js";
import {
  parseRunState,
  parseWarmth,
  serializeRunState,
  serializeWarmth,
  stateFileLimit,
} from "../../src/plan/warmth.js";

const done = (target: string, endpoint: string, ms: number, platforms: string[] = []) => ({
  job: { id: target, target, platforms },
  state: "done",
  endpoint,
  startedAt: 1000,
  finishedAt: 1000 + ms,
});

describe("warmth state", () => {
  it("remembers where each target built, keeping older entries and replacing rebuilt ones", () => {
    const first = serializeWarmth({}, { app: "a", base: "b" });
    const second = serializeWarmth(parseWarmth(first), { app: "b" });
    expect(parseWarmth(second)).toEqual({ app: "b", base: "b" });
    expect(JSON.parse(second)).toMatchObject({ version: 2, lastEndpoint: { app: "b", base: "b" } });
  });

  it("reads the older version-1 file", () => {
    expect(parseWarmth('{"version":1,"lastEndpoint":{"app":"a"}}')).toEqual({ app: "a" });
  });

  it("starts cold on a missing, damaged, foreign or oversized state file", () => {
    expect(parseWarmth(undefined)).toEqual({});
    expect(parseWarmth("{not json")).toEqual({});
    expect(parseWarmth('{"version":3,"lastEndpoint":{"app":"a"}}')).toEqual({});
    expect(parseWarmth('{"version":1,"lastEndpoint":null}')).toEqual({});
    const huge = `{"version":2,"lastEndpoint":{"app":"a"},"pad":"${"x".repeat(stateFileLimit)}"}`;
    expect(parseWarmth(huge)).toEqual({});
  });

  it("drops entries that are not endpoint names", () => {
    expect(parseWarmth('{"version":1,"lastEndpoint":{"app":"a","bad":3}}')).toEqual({ app: "a" });
  });
});

describe("durations in the state file", () => {
  it("records each finished job's duration per target and platform, warm where it built last time", () => {
    const first = parseRunState(
      serializeRunState(parseRunState(undefined), [
        done("app", "a", 10_000, ["linux/amd64"]),
        { ...done("broken", "a", 5), state: "failed" },
      ]),
    );
    expect(first.lastEndpoint).toEqual({ app: "a" });
    expect(first.durations).toEqual({ "app@linux/amd64": [{ ms: 10_000, warm: false }] });
    const second = parseRunState(
      serializeRunState(first, [done("app", "a", 2000, ["linux/amd64"])]),
    );
    expect(second.durations["app@linux/amd64"]).toEqual([
      { ms: 10_000, warm: false },
      { ms: 2000, warm: true },
    ]);
    const moved = parseRunState(
      serializeRunState(second, [done("app", "b", 9000, ["linux/amd64"])]),
    );
    expect(moved.lastEndpoint).toEqual({ app: "b" });
    expect(moved.durations["app@linux/amd64"]!.at(-1)).toEqual({ ms: 9000, warm: false });
  });

  it("stays small: a few samples per job and a bounded number of jobs, oldest dropped first", () => {
    let memory = parseRunState(undefined);
    for (let i = 0; i < samplesPerJob + 3; i++)
      memory = parseRunState(serializeRunState(memory, [done("app", "a", 1000 + i)]));
    expect(memory.durations.app).toHaveLength(samplesPerJob);
    expect(memory.durations.app!.at(-1)!.ms).toBe(1000 + samplesPerJob + 2);
    const many = Array.from({ length: jobsKept + 10 }, (_, i) => done(`t${i}`, "a", 100));
    memory = parseRunState(serializeRunState(memory, many));
    expect(Object.keys(memory.durations)).toHaveLength(jobsKept);
    expect(memory.durations.app).toBeUndefined();
    expect(memory.durations[`t${jobsKept + 9}`]).toBeDefined();
  });

  it("ignores damaged samples and keys that could reach an object's prototype", () => {
    const memory = parseRunState(
      JSON.stringify({
        version: 2,
        lastEndpoint: { ["__proto__"]: "a" },
        durations: {
          app: [{ ms: 5, warm: true }, { ms: "x", warm: true }, { ms: -1, warm: false }, null],
          ["__proto__"]: [{ ms: 7, warm: false }],
          bad: "nope",
        },
      }),
    );
    expect(memory.durations.app).toEqual([{ ms: 5, warm: true }]);
    expect(memory.durations.bad).toBeUndefined();
    expect(({} as Record<string, unknown>).ms).toBeUndefined();
    expect(Object.getPrototypeOf(memory.durations)).toBe(Object.prototype);
  });
});
