/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL source text is written in plain strings */
/**
 * Invalid HCL: our parser rejects what HashiCorp's parser (hcl2-parser) rejects,
 * and says where, as file:line:col.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { formatPosition } from "../../src/diagnostics/index.js";
import { parseHcl } from "../../src/hcl/parse.js";

const require = createRequire(import.meta.url);
const hcl2 = require("hcl2-parser") as { parseToObject(text: string): [unknown, unknown] };

function referenceRejects(text: string): boolean {
  const [value, error] = hcl2.parseToObject(text);
  return value === null || (error !== null && error !== undefined && Object.keys(error).length > 0);
}

/** [source, where the first error is, what it says] */
const cases: ReadonlyArray<readonly [string, string, RegExp]> = [
  ["a = \n", "1:5", /^Invalid expression/],
  ["a = 1 +\n2\n", "1:8", /^Invalid expression/],
  ["x = {a = 1 b = 2}\n", "1:12", /^Missing attribute separator/],
  ["x = [1 2]\n", "1:8", /^Missing item separator/],
  ["a { b = 1\n c = 2 }\n", "1:10", /^Invalid single-argument block definition/],
  ["a { b { } }\n", "1:5", /^Invalid single-argument block definition/],
  ["a = 1\na = 2\n", "2:1", /^Attribute redefined.*t\.hcl:1:1\./],
  ["x = a & b\n", "1:7", /^Invalid character/],
  ['target "app" {\n  tags = ["a"\n}\n', "3:1", /^Missing item separator/],
  ['target "x" y {\n', "1:14", /^Unclosed configuration block/],
  ['a = "abc\n', "1:9", /^Unterminated template string/],
  ["a = <<EOT\nx\n", "1:5", /^Unterminated template string.*heredoc "EOT"/],
  ['a = "${x"\n', "1:6", /^Unterminated template interpolation/],
  ['a = "%{ if x }y"\n', "1:6", /^Unterminated template directive.*endif/],
  ['a = "%{ for x in y }z"\n', "1:6", /^Unterminated template directive.*endfor/],
  ['a = "%{ endif }"\n', "1:6", /^Unexpected "endif" directive/],
  ["a = f(x,,)\n", "1:9", /^Invalid expression/],
  ["a = (1\n", "1:7", /^Unbalanced parentheses/],
  ["= 1\n", "1:1", /^Argument or block definition required/],
  ["a b = 1\n", "1:5", /^Invalid argument or block definition/],
  ['target "a" {} b = 1\n', "1:15", /^Missing newline after block/],
  ["a = 1 2\n", "1:7", /^Missing newline after argument/],
  ["a = [for x in y]\n", "1:16", /^Invalid for expression; Expected ":"/],
  ["a = {for k, v in m : k}\n", "1:23", /^Invalid for expression; Expected "=>"/],
  ["a = [for x y : z]\n", "1:12", /^Invalid for expression; Expected "in"/],
  ["a = x ? 1\n", "1:10", /^Missing false expression/],
  ['a = "\\q"\n', "1:6", /^Invalid escape sequence/],
  ["a = 1 @\n", "1:7", /^Invalid character/],
  ['"a" = 1\n', "1:1", /^Argument or block definition required/],
  ['target "${x}" {\n}\n', "1:8", /^Invalid block label/],
  ["a = f(x..., y)\n", "1:11", /^Missing closing parenthesis/],
  ["a = x[*\n", "1:8", /^Missing close bracket on splat index/],
  ["a = x.\n", "1:7", /^Invalid attribute name/],
  ["a = x.*.[0]\n", "1:9", /^Invalid attribute name/],
  ["a = !\n", "1:6", /^Invalid expression/],
  ["a {\n  b = 1\n", "1:3", /^Unclosed configuration block/],
  ["/* open\na = 1\n", "1:1", /^Unterminated comment/],
  ["a = 1 }\n", "1:7", /^Missing newline after argument/],
  ['target "a" {\n  x = 1 }\n', "2:9", /^Missing newline after argument/],
  ['target "a" {\n  x = 1\n  b {}}\n', "3:7", /^Missing newline after block/],
  ['target "a" {\n}}\n', "2:2", /^Missing newline after block/],
  ["a = 0x10\n", "1:6", /^Missing newline after argument/],
  ["x = { a = <<EOT\nhi\nEOT\n, b = 1 }\n", "4:1", /^Invalid expression/],
];

describe("invalid HCL", () => {
  for (const [text, where, summary] of cases) {
    it(`rejects ${JSON.stringify(text)} at ${where}`, () => {
      expect(referenceRejects(text)).toBe(true);
      const { diagnostics } = parseHcl({ name: "t.hcl", text });
      expect(diagnostics.length).toBeGreaterThan(0);
      const first = diagnostics[0]!;
      expect(first.severity).toBe("error");
      expect(formatPosition(first.range!)).toBe(`t.hcl:${where}`);
      expect(first.summary).toMatch(summary);
    });
  }

  it("reports one error per broken line and keeps the good items around them", () => {
    const text = [
      'target "a" {',
      '  tags = ["x" "y"]',
      '  context = "."',
      "  args = {",
      "    A = 1",
      "    B = = 2",
      "  }",
      '  dockerfile = "Dockerfile"',
      "}",
      'target "b" {',
      "  platforms = [",
      "}",
      'group "default" {',
      '  targets = ["a", "b"]',
      "}",
      "",
    ].join("\n");
    const { body, diagnostics } = parseHcl({ name: "t.hcl", text });
    expect(diagnostics.map((d) => formatPosition(d.range!))).toEqual([
      "t.hcl:2:15",
      "t.hcl:6:9",
      "t.hcl:12:1",
    ]);
    expect(body.blocks.map((b) => [b.type, ...b.labels])).toEqual([
      ["target", "a"],
      ["target", "b"],
      ["group", "default"],
    ]);
    expect(body.blocks[0]!.body.attributes.map((a) => a.name)).toEqual(["context", "dockerfile"]);
    expect(body.blocks[2]!.body.attributes.map((a) => a.name)).toEqual(["targets"]);
  });
});

describe("deliberate leniency (documented differences from hcl2-parser's HCL v2.10)", () => {
  it("accepts the legacy index chain a.0.1 as two index steps", () => {
    const { body, diagnostics } = parseHcl({ name: "t.hcl", text: "x = a.0.1\n" });
    expect(diagnostics).toEqual([]);
    const e = body.attributes[0]!.expr;
    expect(e.kind === "Index" && e.collection.kind).toBe("Index");
  });

  it("accepts `for` as an object key when no iterator name follows it", () => {
    const text = "x = { for = 1 }\n";
    expect(referenceRejects(text)).toBe(true);
    const { body, diagnostics } = parseHcl({ name: "t.hcl", text });
    expect(diagnostics).toEqual([]);
    expect(body.attributes[0]!.expr.kind).toBe("Object");
  });
});

describe("hostile input", () => {
  it("reports absurdly deep nesting as a diagnostic, not a crash", () => {
    const text = `x = ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`;
    const { diagnostics } = parseHcl({ name: "t.hcl", text });
    expect(diagnostics.map((d) => d.summary)).toEqual([
      "Nesting too deep; Expressions and blocks may nest at most 500 levels deep.",
    ]);
  });

  it("parses reasonable nesting", () => {
    const text = `x = ${"[".repeat(200)}1${"]".repeat(200)}\n`;
    expect(parseHcl({ name: "t.hcl", text }).diagnostics).toEqual([]);
  });
});
