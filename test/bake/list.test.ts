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
