/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL source text is written in plain strings */
import { describe, expect, it } from "vitest";
import { printBake, resolveBake } from "../../src/bake/index.js";

function print(
  text: string,
  names: string[] = [],
  overrides: string[] = [],
  env: Record<string, string> = {},
  name = "docker-bake.hcl",
) {
  return printBake(
    resolveBake({ files: [{ name, text }], names, overrides, env, localPlatform: "linux/amd64" }),
  );
}

describe("--print", () => {
  it("prints defaults, the default group and buildx's key order", () => {
    const out = print(`
group "default" {
  targets = ["app"]
}
target "app" {
  tags = ["app:latest"]
  args = { B = "2", A = 1 }
  platforms = ["linux/amd64"]
  output = ["type=local,dest=out"]
  cache-from = ["user/app:cache", "type=local,src=c"]
}
`);
    expect(out).toBe(`{
  "group": {
    "default": {
      "targets": [
        "app"
      ]
    }
  },
  "target": {
    "app": {
      "context": ".",
      "dockerfile": "Dockerfile",
      "args": {
        "A": "1",
        "B": "2"
      },
      "tags": [
        "app:latest"
      ],
      "cache-from": [
        {
          "ref": "user/app:cache",
          "type": "registry"
        },
        {
          "src": "c",
          "type": "local"
        }
      ],
      "platforms": [
        "linux/amd64"
      ],
      "output": [
        {
          "dest": "out",
          "type": "local"
        }
      ]
    }
  }
}`);
  });

  it("merges inherits with buildx's rules (args merge, tags replace, cache-from append)", () => {
    const out = JSON.parse(
      print(
        `
target "_a" {
  args = { X = "a", Y = "a" }
  tags = ["a"]
  cache-from = ["type=registry,ref=a"]
}
target "_b" {
  inherits = ["_a"]
  args = { Y = "b" }
  tags = ["b"]
}
target "app" {
  inherits = ["_b"]
  args = { Z = "c" }
  cache-from = ["type=registry,ref=c"]
}
`,
        ["app"],
      ),
    );
    expect(out.target.app.args).toEqual({ X: "a", Y: "b", Z: "c" });
    expect(out.target.app.tags).toEqual(["b"]);
    expect(out.target.app["cache-from"]).toEqual([
      { type: "registry", ref: "a" },
      { type: "registry", ref: "c" },
    ]);
    expect(out.group).toEqual({ default: { targets: ["app"] } });
  });

  it("accepts a plain inherits cycle", () => {
    const out = JSON.parse(
      print(
        'target "a" {\n inherits = ["b"]\n tags = ["a"]\n}\ntarget "b" {\n inherits = ["a"]\n args = { B = "1" }\n}\n',
        ["a"],
      ),
    );
    expect(out.target.a.tags).toEqual(["a"]);
    expect(out.target.a.args).toEqual({ B: "1" });
  });

  it("expands matrices into a group named after the target", () => {
    const out = JSON.parse(
      print(
        `
target "app" {
  name = "app-\${v}"
  matrix = { v = ["1", "2"] }
  args = { V = v }
}
`,
        ["app"],
      ),
    );
    expect(out.group.app.targets).toEqual(["app-1", "app-2"]);
    expect(out.target["app-2"].args).toEqual({ V: "2" });
  });

  it("uses environment overrides with buildx's coercion", () => {
    const text =
      'variable "TAG" { default = "x" }\nvariable "N" { default = 1 }\nvariable "ON" { default = false }\ntarget "app" {\n tags = ["${TAG}-${N + 1}-${ON}"]\n}\n';
    expect(
      JSON.parse(print(text, ["app"], [], { TAG: "v2", N: "41", ON: "true" })).target.app.tags,
    ).toEqual(["v2-42-true"]);
  });

  it("applies --set with patterns, args and list accumulation", () => {
    const out = JSON.parse(
      print(
        'target "a" {}\ntarget "b" {}\n',
        ["a", "b"],
        [
          "*.platform=linux/amd64",
          "*.platform=linux/arm64",
          "a.args.X=1",
          "b.tags=b:1",
          "a.no-cache=true",
        ],
      ),
    );
    expect(out.target.a.platforms).toEqual(["linux/amd64", "linux/arm64"]);
    expect(out.target.a.args).toEqual({ X: "1" });
    expect(out.target.a["no-cache"]).toBe(true);
    expect(out.target.b.tags).toEqual(["b:1"]);
    expect(() => print('target "a" {}\n', ["a"], ["a.platfrom=x"])).toThrowError(
      /unknown key "platfrom" \(did you mean "platform"\?\)/,
    );
    expect(() => print('target "a" {}\n', ["a"], ["zz.tags=x"])).toThrowError(
      /could not find any target matching "zz"/,
    );
  });

  it("reads extra-hosts: merged by inherits, set with --set, printed last", () => {
    const out = JSON.parse(
      print(
        'target "base" {\n  extra-hosts = { "db.internal" = "10.0.0.5", "cache" = "10.0.0.6" }\n}\n' +
          'target "app" {\n  inherits = ["base"]\n  extra-hosts = { "cache" = "10.0.0.7", "gone" = null }\n}\n',
        ["app"],
        ["app.extra-hosts.api=10.0.0.8"],
      ),
    );
    expect(out.target.app["extra-hosts"]).toEqual({
      cache: "10.0.0.7",
      "db.internal": "10.0.0.5",
      api: "10.0.0.8",
    });
    expect(Object.keys(out.target.app).at(-1)).toBe("extra-hosts");
    expect(() => print('target "a" {}\n', ["a"], ["a.extra-hosts=x"])).toThrowError(
      /expecting extra-hosts.<hostname>=<ip>/,
    );
  });

  it("appends with += and reads a valueless args override from the environment, as buildx", () => {
    const file =
      'target "a" {\n  tags = ["a:1"]\n  platforms = ["linux/amd64"]\n  cache-from = ["type=registry,ref=r/c"]\n}\n';
    const out = JSON.parse(
      print(
        file,
        ["a"],
        [
          "a.tags+=a:2",
          "a.tags+=a:3",
          "a.platform+=linux/arm64",
          "a.cache-from+=type=local,src=cache",
          "a.args.FROM_ENV",
          "a.args.NOT_SET",
        ],
        { FROM_ENV: "yes" },
      ),
    );
    expect(out.target.a.tags).toEqual(["a:1", "a:2", "a:3"]);
    expect(out.target.a.platforms).toEqual(["linux/amd64", "linux/arm64"]);
    expect(out.target.a["cache-from"]).toEqual([
      { type: "registry", ref: "r/c" },
      { type: "local", src: "cache" },
    ]);
    expect(out.target.a.args).toEqual({ FROM_ENV: "yes" });
    // Without +=, the values given replace the list.
    expect(JSON.parse(print(file, ["a"], ["a.tags=b:1"])).target.a.tags).toEqual(["b:1"]);
    expect(() => print(file, ["a"], ["a.tags"])).toThrowError(/expected TARGET.KEY=VALUE/);
  });

  it("pulls in target: contexts as cacheonly targets", () => {
    const out = JSON.parse(
      print('target "base" {}\ntarget "app" {\n contexts = { base = "target:base" }\n}\n', ["app"]),
    );
    expect(out.target.base.output).toEqual([{ type: "cacheonly" }]);
    expect(out.target.app.contexts).toEqual({ base: "target:base" });
  });

  it("reads JSON bake files with templates", () => {
    const json =
      '{"variable": {"TAG": {"default": "1.0"}}, "target": {"app": {"tags": ["app:${TAG}"], "platforms": ["linux/arm64"]}}}';
    const out = JSON.parse(print(json, ["app"], [], {}, "docker-bake.json"));
    expect(out.target.app.tags).toEqual(["app:1.0"]);
  });

  it("names unknown targets with a suggestion", () => {
    expect(() => print('target "release" {}\n', ["relase"])).toThrowError(
      /failed to find target relase \(did you mean "release"\?\)/,
    );
  });

  it("says a group that includes itself is why its name is not found, not that it is its own suggestion", () => {
    expect(() => print('group "g" {\n  targets = ["g"]\n}\n', ["g"])).toThrowError(
      'failed to find target g (group "g" lists itself and no target is named "g": remove "g" from group "g")',
    );
    const cycle =
      'group "a" {\n  targets = ["b"]\n}\ngroup "b" {\n  targets = ["t", "a"]\n}\ntarget "t" {}\n';
    expect(() => print(cycle, ["a"])).toThrowError(
      'failed to find target a (the groups form a cycle, a -> b -> a, and no target is named "a": remove "a" from group "b")',
    );
    // A target named like the group is what the group stands for inside itself.
    const out = JSON.parse(print('group "g" {\n  targets = ["g"]\n}\ntarget "g" {}\n', ["g"]));
    expect(Object.keys(out.target)).toEqual(["g"]);
  });

  it("reports variable cycles with the chain", () => {
    expect(() =>
      print(
        'variable "A" { default = B }\nvariable "B" { default = A }\ntarget "x" { tags = [A] }\n',
        ["x"],
      ),
    ).toThrowError(/Variable cycle: A -> B -> A/);
  });

  it("runs validation blocks", () => {
    const text =
      'variable "PORT" {\n default = 80\n validation {\n condition = PORT > 1024\n error_message = "PORT must be above 1024."\n }\n}\ntarget "x" {}\n';
    expect(() => print(text, ["x"])).toThrowError(
      /Invalid value for variable "PORT": PORT must be above 1024./,
    );
    expect(JSON.parse(print(text, ["x"], [], { PORT: "8080" })).target.x.context).toBe(".");
  });
});

describe("references between targets", () => {
  it("reads another target's attributes through target.NAME.ATTR", () => {
    const out = JSON.parse(
      print(
        'target "base" {\n  args = { GO = "1.22" }\n  tags = ["base:1"]\n}\ntarget "app" {\n  args = { GO = target.base.args.GO }\n  tags = [for t in target.base.tags : "app-${t}"]\n}\n',
        ["app"],
      ),
    );
    expect(out.target.app.args).toEqual({ GO: "1.22" });
    expect(out.target.app.tags).toEqual(["app-base:1"]);
  });

  it("reports a cycle through attribute references, naming it", () => {
    expect(() =>
      print('target "a" {\n  tags = target.b.tags\n}\ntarget "b" {\n  tags = target.a.tags\n}\n', [
        "a",
      ]),
    ).toThrowError(
      /Cycle in attribute references: target\.(a|b)\.tags -> target\.(a|b)\.tags -> target\.(a|b)\.tags/,
    );
  });
});

describe("several files", () => {
  it("merges blocks of the same name, later files overriding attributes, JSON over HCL", () => {
    const res = resolveBake({
      files: [
        {
          name: "docker-bake.hcl",
          text: 'variable "TAG" { default = "1" }\ntarget "app" {\n  tags = ["app:${TAG}"]\n  args = { A = "hcl" }\n}\n',
        },
        {
          name: "docker-bake.override.json",
          text: '{"variable": {"TAG": {"default": "2"}}, "target": {"app": {"args": {"A": "json"}, "platforms": ["linux/arm64"]}}}',
        },
      ],
      names: ["app"],
      overrides: [],
      env: {},
    });
    expect(res.targets.app).toMatchObject({
      tags: ["app:2"],
      args: { A: "json" },
      platforms: ["linux/arm64"],
    });
  });

  it("drops duplicate cache and output entries as buildx does, by swapping with the last", () => {
    const hcl = `
target "p" {
  cache-from = ["a", "b", "a", "c", "d"]
  output = ["type=local,dest=o1", "type=local,dest=o2", "type=local,dest=o1", "type=local,dest=o3", "type=local,dest=o4"]
}
target "c" {
  inherits = ["p"]
  cache-from = ["e", "b", "f", "a", "g"]
}
`;
    const refs = (t: { "cache-from": { ref: string }[] }) => t["cache-from"].map((c) => c.ref);
    const out = JSON.parse(print(hcl, ["c", "p"]));
    // Values as buildx v0.29 prints them.
    expect(refs(out.target.p)).toEqual(["a", "b", "d", "c"]);
    expect(out.target.p.output.map((o: { dest: string }) => o.dest)).toEqual([
      "o1",
      "o2",
      "o4",
      "o3",
    ]);
    expect(refs(out.target.c)).toEqual(["a", "b", "d", "c", "e", "g", "f"]);
    const set = JSON.parse(
      print(hcl, ["c"], ["c.cache-from+=b", "c.cache-from+=h", "c.cache-from+=e"]),
    );
    expect(refs(set.target.c)).toEqual(["a", "b", "d", "c", "e", "g", "f", "h"]);
  });
});

describe("a target: context that names no target", () => {
  it("points at the target when the context came from --set (fuzz finding)", () => {
    const text = 'target "base" {}\ntarget "api" {\n  contexts = { base = "target:base" }\n}\n';
    let message = "";
    try {
      print(text, ["api"], ["a*.contexts.x+=target:a"]);
    } catch (err) {
      message = String((err as Error).message);
    }
    expect(message).toMatch(
      /^docker-bake\.hcl:2:8: Target "api" uses context "target:a", but there is no target "a"/,
    );
  });
});
