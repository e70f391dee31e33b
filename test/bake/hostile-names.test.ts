/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL source text is written in plain strings */
/**
 * Names that are also JavaScript's object machinery (`__proto__`, `constructor`,
 * `toString`) are ordinary names, as in buildx: as variables, functions, targets,
 * groups, arg and label keys, matrix keys and object keys. Before, `__proto__` as a
 * key was dropped and a variable named like it read the environment's prototype.
 * The expected output is buildx's own --print of the same file.
 */
import { describe, expect, it } from "vitest";
import { printBake, resolveBake } from "../../src/bake/index.js";

const source = `variable "__proto__" { default = "pv" }
variable "constructor" { default = "cv" }
variable "toString" { default = "tv" }
function "__proto__" {
  params = [x]
  result = "f-\${x}"
}
function "toString" {
  params = [x]
  result = "g-\${x}"
}
group "default" { targets = ["__proto__", "constructor", "toString", "hasOwnProperty", "m"] }
group "toString" { targets = ["constructor"] }
target "__proto__" {
  args = { __proto__ = "a1", constructor = "a2", toString = "\${__proto__}-\${constructor}-\${toString}" }
  labels = { __proto__ = "l1", valueOf = __proto__("x") }
}
target "constructor" {
  inherits = ["__proto__"]
  tags = ["x:\${toString("y")}"]
}
target "hasOwnProperty" {
  args = { x = "\${{__proto__ = 1}.__proto__}", y = jsonencode({__proto__ = 2, constructor = 3}), z = jsonencode(merge({__proto__ = "m"}, {toString = "t"})) }
}
target "m" {
  name = "m-\${__proto__}"
  matrix = { __proto__ = ["p", "q"] }
}
`;

/** docker buildx bake --print -f docker-bake.hcl (buildx 0.2x) for the file above. */
const buildxPrint = `{
  "group": {
    "default": {
      "targets": [
        "__proto__",
        "constructor",
        "hasOwnProperty",
        "m",
        "toString"
      ]
    },
    "m": {
      "targets": [
        "m-p",
        "m-q"
      ]
    },
    "toString": {
      "targets": [
        "constructor"
      ]
    }
  },
  "target": {
    "__proto__": {
      "context": ".",
      "dockerfile": "Dockerfile",
      "args": {
        "__proto__": "a1",
        "constructor": "a2",
        "toString": "pv-cv-tv"
      },
      "labels": {
        "__proto__": "l1",
        "valueOf": "f-x"
      }
    },
    "constructor": {
      "context": ".",
      "dockerfile": "Dockerfile",
      "args": {
        "__proto__": "a1",
        "constructor": "a2",
        "toString": "pv-cv-tv"
      },
      "labels": {
        "__proto__": "l1",
        "valueOf": "f-x"
      },
      "tags": [
        "x:g-y"
      ]
    },
    "hasOwnProperty": {
      "context": ".",
      "dockerfile": "Dockerfile",
      "args": {
        "x": "1",
        "y": "{\\"__proto__\\":2,\\"constructor\\":3}",
        "z": "{\\"__proto__\\":\\"m\\",\\"toString\\":\\"t\\"}"
      }
    },
    "m-p": {
      "context": ".",
      "dockerfile": "Dockerfile"
    },
    "m-q": {
      "context": ".",
      "dockerfile": "Dockerfile"
    }
  }
}
`;

function print(text: string, env: Record<string, string> = {}, overrides: string[] = []) {
  return printBake(
    resolveBake({
      files: [{ name: "docker-bake.hcl", text }],
      names: [],
      overrides,
      env,
      localPlatform: "linux/amd64",
    }),
  );
}

describe("names from Object.prototype", () => {
  it("prints as buildx does", () => {
    expect(`${print(source)}\n`).toBe(buildxPrint);
  });

  it("a variable named like a prototype property is not read from the environment's prototype", () => {
    const out = JSON.parse(
      print(
        'variable "constructor" {}\nvariable "__proto__" {}\ntarget "default" {\n  args = { a = "${constructor}${__proto__}" }\n}\n',
      ),
    );
    expect(out.target.default.args).toEqual({ a: "" });
  });

  it("the environment still overrides such a variable when it sets it", () => {
    const env: Record<string, string> = Object.fromEntries([["toString", "from-env"]]);
    const out = JSON.parse(
      print(
        'variable "toString" {\n  default = "d"\n}\ntarget "default" {\n  args = { a = toString }\n}\n',
        env,
      ),
    );
    expect(out.target.default.args).toEqual({ a: "from-env" });
  });

  it("--set reaches targets and keys with such names", () => {
    const out = JSON.parse(
      print('target "__proto__" {}\ngroup "default" {\n  targets = ["__proto__"]\n}\n', {}, [
        "__proto__.args.constructor=s",
        "__proto__.labels.__proto__=l",
      ]),
    );
    expect(Object.getOwnPropertyDescriptor(out.target, "__proto__")?.value).toEqual({
      context: ".",
      dockerfile: "Dockerfile",
      args: { constructor: "s" },
      labels: JSON.parse('{"__proto__":"l"}'),
    });
  });
});
