import { describe, expect, it } from "vitest";
import { platformProblem } from "../../src/bake/platform-spec.js";

describe("platform names, as buildx (containerd) checks them", () => {
  it("takes OS/ARCH[/VARIANT], an OS with a version, local, and one known OS or architecture alone", () => {
    for (const ok of [
      "linux/amd64",
      "linux/arm/v7",
      "linux(1.0)/amd64",
      "windows(10.0.1+a)/amd64",
      "linux/foo",
      "local",
      "LOCAL",
      "Linux",
      "linux(1)",
      "x86_64",
      "ARM64",
      "armhf",
      "darwin",
      "linux/amd64,linux/arm64",
      "",
    ])
      expect(platformProblem(ok), ok).toBeUndefined();
  });

  it("refuses what buildx refuses, in containerd's words", () => {
    expect(platformProblem("a")).toBe('"a": unknown operating system or architecture');
    expect(platformProblem("amd64(1)")).toBe(
      '"amd64(1)": unknown operating system or architecture',
    );
    expect(platformProblem("linux/*")).toBe('"linux/*": wildcards not yet supported');
    expect(platformProblem("linux/arm/v7/x")).toBe(
      '"linux/arm/v7/x": cannot parse platform specifier',
    );
    expect(platformProblem("linux/arm/v7/x/y")).toMatch(/^"x\/y" is an invalid component of/);
    expect(platformProblem("linux//amd64")).toMatch(
      /^"" is an invalid component of "linux\/\/amd64": platform specifier component must match/,
    );
    expect(platformProblem(" linux/amd64")).toMatch(/^" linux" is an invalid OS component of/);
    expect(platformProblem("linux/amd64,bad")).toBe(
      '"bad": unknown operating system or architecture',
    );
  });
});
