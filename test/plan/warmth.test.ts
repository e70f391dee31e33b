import { describe, expect, it } from "vitest";
import { parseWarmth, serializeWarmth } from "../../src/plan/warmth.js";

describe("warmth state", () => {
  it("remembers where each target built, keeping older entries and replacing rebuilt ones", () => {
    const first = serializeWarmth({}, { app: "a", base: "b" });
    const second = serializeWarmth(parseWarmth(first), { app: "b" });
    expect(parseWarmth(second)).toEqual({ app: "b", base: "b" });
    expect(JSON.parse(second)).toEqual({ version: 1, lastEndpoint: { app: "b", base: "b" } });
  });

  it("starts cold on a missing, damaged or foreign state file", () => {
    expect(parseWarmth(undefined)).toEqual({});
    expect(parseWarmth("{not json")).toEqual({});
    expect(parseWarmth('{"version":2,"lastEndpoint":{"app":"a"}}')).toEqual({});
    expect(parseWarmth('{"version":1,"lastEndpoint":null}')).toEqual({});
  });

  it("drops entries that are not endpoint names", () => {
    expect(parseWarmth('{"version":1,"lastEndpoint":{"app":"a","bad":3}}')).toEqual({ app: "a" });
  });
});
