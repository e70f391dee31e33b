/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: bake text uses ${} */
import { describe, expect, it } from "vitest";
import { composeToBake } from "../../src/bake/compose.js";
import { listTargets, listVariables, table } from "../../src/bake/list.js";
import { loadBake } from "../../src/bake/load.js";
import { printedContext } from "../../src/bake/print.js";
import { parseListFlag } from "../../src/cli/args.js";

const project = (text: string, env: Record<string, string> = {}) =>
  loadBake({ files: [{ name: "docker-bake.hcl", text }], env });

describe("--list as buildx prints it", () => {
  it("pads columns with tabs to multiples of eight, as Go's tabwriter with '\\t' padding", () => {
    expect(
      table([
        ["TARGET", "DESCRIPTION"],
        ["a-longer-name", "x"],
        ["b", ""],
      ]),
    ).toBe("TARGET\t\tDESCRIPTION\na-longer-name\tx\nb\t\t\n");
  });

  it("lists a group with its sorted targets as description, and hides _private names", () => {
    const p = project(`
      group "all" {
        targets = ["web", "api"]
      }
      target "api" {
        description = "the API"
      }
      target "web" {}
      target "_base" {}
    `);
    expect(listTargets(p)).toBe("TARGET\tDESCRIPTION\nall\tapi, web\napi\tthe API\nweb\t\n");
    expect(JSON.parse(listTargets(p, "json"))).toEqual([
      { name: "all", description: "api, web", group: true },
      { name: "api", description: "the API" },
      { name: "web" },
    ]);
  });

  it("lists both a group block and the group a matrix target of the same name forms", () => {
    const hcl =
      'target "x" {}\ntarget "foo" {\n  name = "f-${v}"\n  matrix = { v = ["a", "b"] }\n}\ngroup "foo" {\n  targets = ["x"]\n}\n';
    expect(listTargets(project(hcl))).toBe(
      "TARGET\tDESCRIPTION\nf-a\t\nf-b\t\nfoo\tx\nfoo\tf-a, f-b\nx\t\n",
    );
    // A compose file's default group beside a matrix target named "default".
    const compose = composeToBake(
      { name: "compose.yaml", text: "services:\n  svc:\n    build: .\n" },
      {},
    );
    const p = loadBake({
      files: [
        compose,
        {
          name: "docker-bake.hcl",
          text: 'target "default" {\n  name = "d-${v}"\n  matrix = { v = ["a", "b"] }\n}\n',
        },
      ],
      env: {},
    });
    expect(JSON.parse(listTargets(p, "json"))).toEqual([
      { name: "d-a" },
      { name: "d-b" },
      { name: "default", description: "svc", group: true },
      { name: "default", description: "d-a, d-b", group: true },
      { name: "svc" },
    ]);
  });

  it("orders a target and a group of the same name as Go's unstable sort leaves them", () => {
    const names = Array.from({ length: 14 }, (_, i) => `n${String(13 - i).padStart(2, "0")}`);
    const hcl = [
      ...names.map((n) => `target "${n}" {}\n`),
      ...["n02", "n05", "n09", "n11"].map((n) => `group "${n}" {\n  targets = ["n00"]\n}\n`),
    ].join("");
    const rows = listTargets(project(hcl)).split("\n");
    // buildx 0.29.1 prints the group n02 before the target, the other groups after theirs.
    expect(rows.slice(3, 5)).toEqual(["n02\tn00", "n02\t"]);
    expect(rows.slice(7, 9)).toEqual(["n05\t", "n05\tn00"]);
    expect(rows.slice(12, 14)).toEqual(["n09\t", "n09\tn00"]);
    expect(rows.slice(15, 17)).toEqual(["n11\t", "n11\tn00"]);
  });

  it("sorts from buildx's order: the blocks' (compose's first), then groups matrix targets form", () => {
    const compose = composeToBake(
      { name: "compose.yaml", text: "services:\n  svc:\n    build: .\n" },
      {},
    );
    const hcl =
      'target "m" {\n  name = "m${v}"\n  matrix = { v = ["", "-x"] }\n}\ngroup "g" {\n  targets = ["m"]\n}\ntarget "a" {}\ngroup "m" {\n  targets = ["a"]\n}\n';
    const p = loadBake({ files: [compose, { name: "docker-bake.hcl", text: hcl }], env: {} });
    expect(p.config.targets).toEqual(["svc", "m", "m-x", "a"]);
    expect(p.config.groups.map((g) => [g.name, g.targets.join(",")])).toEqual([
      ["default", "svc"],
      ["g", "m"],
      ["m", "a"],
      ["m", "m,m-x"],
    ]);
  });

  it("leaves variables named like the built-in ones out, as buildx does", () => {
    const p = project(
      'variable "BAKE_LOCAL_PLATFORM" {\n  default = "x"\n}\nvariable "BAKE_CMD_CONTEXT" {\n  default = "y"\n}\nvariable "Z" {\n  default = "z"\n}\n',
    );
    expect(listVariables(p)).toBe("VARIABLE\tTYPE\tVALUE\tDESCRIPTION\nZ\t\t\tz\t\n");
  });

  it("shows variables with cty's type names, <null> for null and JSON for typed values", () => {
    const p = project(`
      variable "TAGS" {
        type = list(string)
        default = ["a", "b"]
      }
      variable "EMPTY" {
        default = null
      }
      variable "NAME" {}
    `);
    expect(listVariables(p)).toBe(
      // buildx 0.29.1's output for this file, byte for byte
      'VARIABLE\tTYPE\t\tVALUE\t\tDESCRIPTION\nEMPTY\t\t\t\t<null>\t\t\nNAME\t\t\t\t\t\t\nTAGS\t\tlist of string\t["a","b"]\t\n',
    );
  });

  it("reads --list values as buildx's parseList does", () => {
    expect(parseListFlag("targets")).toEqual({ type: "targets", format: "table" });
    expect(parseListFlag("type=variables,format=json")).toEqual({
      type: "variables",
      format: "json",
    });
    expect(() => parseListFlag("type=targets,format=yaml")).toThrow(/format/);
  });
});

describe("printed context", () => {
  it("is cleaned like Go's path.Clean, cwd:// dropped, URLs kept", () => {
    expect(printedContext("./web")).toBe("web");
    expect(printedContext("./")).toBe(".");
    expect(printedContext("a/../b/")).toBe("b");
    expect(printedContext("cwd://./sub")).toBe("sub");
    expect(printedContext("https://github.com/a/b.git#main")).toBe(
      "https://github.com/a/b.git#main",
    );
  });
});
