import { describe, expect, it } from "vitest";
import { parseArgs, UsageError } from "../../src/cli/args.js";

function bake(argv: string[]) {
  const cmd = parseArgs(argv);
  if (cmd.kind !== "bake") throw new Error(`expected bake, got ${cmd.kind}`);
  return cmd.options;
}

describe("parseArgs", () => {
  it("builds the default group when no target is named", () => {
    const o = bake([]);
    expect(o.targets).toEqual([]);
    expect(o.progress).toBe("auto");
    expect(o.files).toEqual([]);
  });

  it("accepts buildx bake's flags in both --flag=value and --flag value forms", () => {
    const o = bake([
      "-f",
      "a.hcl",
      "--file=b.json",
      "-fc.hcl",
      "--set",
      "app.args.X=1",
      "--set=*.platform=linux/arm64",
      "--push",
      "--no-cache",
      "--progress=plain",
      "--metadata-file",
      "meta.json",
      "app",
      "web",
    ]);
    expect(o.files).toEqual(["a.hcl", "b.json", "c.hcl"]);
    expect(o.set).toEqual(["app.args.X=1", "*.platform=linux/arm64"]);
    expect(o.push).toBe(true);
    expect(o.noCache).toBe(true);
    expect(o.progress).toBe("plain");
    expect(o.metadataFile).toBe("meta.json");
    expect(o.targets).toEqual(["app", "web"]);
  });

  it("takes mbake's own flags", () => {
    const o = bake([
      "--endpoint",
      "a=unix:///tmp/a.sock",
      "--endpoint",
      "docker://",
      "--max-parallel",
      "3",
      "--fail-fast",
      "--dry-run",
      "--cache",
      "registry://127.0.0.1:5000/cache",
    ]);
    expect(o.endpoints).toEqual(["a=unix:///tmp/a.sock", "docker://"]);
    expect(o.maxParallel).toBe(3);
    expect(o.failFast).toBe(true);
    expect(o.dryRun).toBe(true);
    expect(o.cache).toBe("registry://127.0.0.1:5000/cache");
  });

  it("suggests the closest flag for a typo", () => {
    expect(() => parseArgs(["--pirnt"])).toThrowError(
      /unknown flag --pirnt \(did you mean "--print"\?\)/,
    );
    expect(() => parseArgs(["--progress", "plian"])).toThrowError(/did you mean "plain"/);
  });

  it("rejects a missing flag value and bad numbers", () => {
    expect(() => parseArgs(["--set"])).toThrowError(UsageError);
    expect(() => parseArgs(["--max-parallel", "0"])).toThrowError(/positive whole number/);
    expect(() => parseArgs(["--push=yes"])).toThrowError(/takes no value/);
  });

  it("treats everything after -- as targets, so a target may be named like a command", () => {
    expect(bake(["--", "endpoints", "du"]).targets).toEqual(["endpoints", "du"]);
    expect(parseArgs(["endpoints"]).kind).toBe("endpoints");
  });

  it("parses the endpoint tools", () => {
    expect(parseArgs(["endpoints", "inspect", "a", "--json"])).toEqual({
      kind: "endpoints",
      endpoints: [],
      inspect: "a",
      json: true,
    });
    expect(parseArgs(["prune", "--keep-duration", "24h", "--force", "-a"])).toEqual({
      kind: "prune",
      endpoints: [],
      all: true,
      force: true,
      keepDuration: "24h",
    });
    expect(() => parseArgs(["endpoints", "inspekt"])).toThrowError(/did you mean "inspect"/);
    expect(() => parseArgs(["completion", "tcsh"])).toThrowError(/bash, zsh or fish/);
  });

  it("reads --call as buildx does: the method (check is lint), format= and ignorestatus=; --check is the check", () => {
    expect(bake(["--call", "check,format=json"])).toMatchObject({
      call: "lint",
      callFormat: "json",
    });
    expect(bake(["--call=targets,format=json,ignorestatus=1"])).toMatchObject({
      call: "targets",
      callFormat: "json",
      callIgnoreStatus: true,
    });
    expect(bake(["--call", "outline"]).callFormat).toBeUndefined();
    expect(bake(["--check"]).call).toBe("lint");
    expect(bake(["--call", "build,format=json"]).call).toBeUndefined();
    expect(() => bake(["--call", "targets,foo=bar"])).toThrow(/unexpected key "foo"/);
    expect(() => bake(["--call", "targets,outline"])).toThrow(/one method only/);
    expect(() => bake(["--call", "targets,ignorestatus=maybe"])).toThrow(UsageError);
  });
});
