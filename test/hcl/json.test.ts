/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL source text is written in plain strings */
import { describe, expect, it } from "vitest";
import { formatPosition } from "../../src/diagnostics/index.js";
import type { Expression } from "../../src/hcl/ast.js";
import { type JsonBlockSchema, parseHclJson } from "../../src/hcl/json.js";
import { parseHcl } from "../../src/hcl/parse.js";
import { bodyToJson } from "./hcl2json.js";

const schema: JsonBlockSchema = {
  target: { labels: 1 },
  group: { labels: 1 },
  variable: { labels: 1, blocks: { validation: { labels: 0 } } },
  function: { labels: 1 },
};

function parse(text: string) {
  return parseHclJson({ name: "docker-bake.json", text }, schema);
}

function at(text: string, e: { range: { start: number; end: number } }): string {
  return text.slice(e.range.start, e.range.end);
}

describe("HCL's JSON form", () => {
  it("turns schema keys into blocks with labels and other keys into attributes", () => {
    const { body, diagnostics } = parse(
      '{"target": {"app": {"context": "."}, "db": {}}, "group": {"default": {"targets": ["app"]}}, "x": 1}',
    );
    expect(diagnostics).toEqual([]);
    expect(body.blocks.map((b) => [b.type, ...b.labels])).toEqual([
      ["target", "app"],
      ["target", "db"],
      ["group", "default"],
    ]);
    expect(body.attributes.map((a) => a.name)).toEqual(["x"]);
    expect(body.blocks[0]!.body.attributes.map((a) => a.name)).toEqual(["context"]);
  });

  it("accepts an array of objects per block type and nested blocks from the schema", () => {
    const text = JSON.stringify({
      variable: [
        { TAG: { default: "latest" } },
        { N: { default: 1, validation: [{ condition: "${N > 0}" }, { condition: "${N < 9}" }] } },
      ],
    });
    const { body, diagnostics } = parse(text);
    expect(diagnostics).toEqual([]);
    expect(body.blocks.map((b) => b.labels[0])).toEqual(["TAG", "N"]);
    const n = body.blocks[1]!;
    expect(n.body.blocks.map((b) => [b.type, b.labels.length])).toEqual([
      ["validation", 0],
      ["validation", 0],
    ]);
  });

  it("reads strings as templates with exact positions, and other values as literals", () => {
    const text =
      '{\n  "target": {"app": {"tags": ["r/app:${TAG}"], "pull": true, "n": 1.50, "z": null}}\n}';
    const file = { name: "docker-bake.json", text };
    const { body, diagnostics } = parseHclJson(file, schema);
    expect(diagnostics).toEqual([]);
    const attrs = body.blocks[0]!.body.attributes;
    const tags = attrs[0]!.expr;
    expect(tags.kind).toBe("Tuple");
    const tmpl = (tags as Extract<Expression, { kind: "Tuple" }>).items[0]!;
    expect(tmpl.kind).toBe("Template");
    if (tmpl.kind !== "Template") return;
    expect(tmpl.parts.map((p) => p.kind)).toEqual(["TemplateLiteral", "TemplateInterpolation"]);
    const interp = tmpl.parts[1]!;
    if (interp.kind !== "TemplateInterpolation") return;
    expect(at(text, interp)).toBe("${TAG}");
    expect(at(text, interp.expr)).toBe("TAG");
    expect(formatPosition(interp.expr.range)).toBe("docker-bake.json:2:40");
    expect(attrs.slice(1).map((a) => a.expr)).toMatchObject([
      { kind: "Literal", value: true },
      { kind: "Literal", value: 1.5, raw: "1.50" },
      { kind: "Literal", value: null },
    ]);
  });

  it("decodes JSON escapes before reading the template", () => {
    const { body, diagnostics } = parse('{"a": "x\\n\\u0041${b}"}');
    expect(diagnostics).toEqual([]);
    const e = body.attributes[0]!.expr;
    expect(e.kind === "Template" && e.parts[0]).toMatchObject({ value: "x\nA" });
  });

  it("gives the same structure as the same bake file written in HCL", () => {
    const hcl = [
      'variable "TAG" {',
      '  default = "latest"',
      "}",
      'target "app" {',
      '  tags = ["r/app:${TAG}", "r/app:${TAG == latest ? edge : upper(TAG)}"]',
      '  args = { "A" = "1", "B" = "x${TAG}" }',
      '  platforms = ["linux/amd64"]',
      "  pull = true",
      "}",
      "",
    ].join("\n");
    const json = JSON.stringify({
      variable: { TAG: { default: "latest" } },
      target: {
        app: {
          tags: ["r/app:${TAG}", "r/app:${TAG == latest ? edge : upper(TAG)}"],
          args: { A: "1", B: "x${TAG}" },
          platforms: ["linux/amd64"],
          pull: true,
        },
      },
    });
    const fromHcl = parseHcl({ name: "docker-bake.hcl", text: hcl });
    const fromJson = parse(json);
    expect(fromHcl.diagnostics).toEqual([]);
    expect(fromJson.diagnostics).toEqual([]);
    expect(bodyToJson(fromJson.body)).toEqual(bodyToJson(fromHcl.body));
  });

  it("names line:col of JSON syntax errors, and rejects comments", () => {
    const cases: [string, string][] = [
      ['{\n  "a": 1\n  "b": 2\n}', "3:3"],
      ['{"target": {"app": {"x": 1,}}}', "1:28"],
      ['{"a": 1} // note', "1:10"],
      ['{"a": tru}', "1:7"],
      ['{"a": "x', "1:7"],
      ["", "1:1"],
    ];
    for (const [text, where] of cases) {
      const { diagnostics } = parse(text);
      expect({ text, where: diagnostics.map((d) => formatPosition(d.range!)) }).toEqual({
        text,
        where: [`docker-bake.json:${where}`],
      });
      expect(diagnostics[0]!.summary).toMatch(/^Invalid JSON/);
    }
  });

  it("reports template errors inside strings at the string", () => {
    const { diagnostics } = parse('{\n  "a": "${"\n}');
    expect(diagnostics).toHaveLength(1);
    expect(formatPosition(diagnostics[0]!.range!)).toMatch(/^docker-bake\.json:2:/);
  });

  it("reports a block type whose value is not an object", () => {
    const { diagnostics } = parse('{"target": ["app"]}');
    expect(diagnostics.map((d) => formatPosition(d.range!))).toEqual(["docker-bake.json:1:13"]);
  });
});

describe("templates inside JSON strings", () => {
  it("read quoted strings inside interpolations", () => {
    const { body, diagnostics } = parse('{"a": "${join(\\",\\", [\\"x\\", \\"y\\"])}-${b}"}');
    expect(diagnostics).toEqual([]);
    const e = body.attributes[0]!.expr;
    expect(e.kind === "Template" && e.parts.map((p) => p.kind)).toEqual([
      "TemplateInterpolation",
      "TemplateLiteral",
      "TemplateInterpolation",
    ]);
    const call =
      e.kind === "Template" && e.parts[0]!.kind === "TemplateInterpolation" && e.parts[0]!.expr;
    expect(call && call.kind === "FunctionCall" && call.args.length).toBe(2);
  });
});

describe("hostile JSON", () => {
  it("reports absurdly deep nesting as a diagnostic, not a crash", () => {
    const text = `{"a": ${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const { diagnostics } = parse(text);
    expect(diagnostics.map((d) => d.summary)).toEqual([
      "Invalid JSON; the values are nested too deeply to read.",
    ]);
  });
});

describe("JSON strings", () => {
  it("decode every JSON escape, including surrogate pairs", () => {
    const { body, diagnostics } = parse('{"a": "\\/\\b\\f\\t\\"\\\\\\ud83d\\ude00 plain"}');
    expect(diagnostics).toEqual([]);
    const e = body.attributes[0]!.expr;
    expect(e.kind === "Template" && e.parts).toMatchObject([{ value: '/\b\f\t"\\😀 plain' }]);
  });

  it("reject raw control characters and bad escapes with their position", () => {
    const raw = parse('{"a": "x\ty"}');
    expect(raw.diagnostics.map((d) => [formatPosition(d.range!), d.summary])).toEqual([
      ["docker-bake.json:1:9", "Invalid JSON; Control character in string."],
    ]);
    const bad = parse('{"a": "x\\qy"}');
    expect(bad.diagnostics.map((d) => formatPosition(d.range!))).toEqual(["docker-bake.json:1:9"]);
  });

  it("keep an empty string as a template without parts", () => {
    const { body } = parse('{"a": ""}');
    expect(body.attributes[0]!.expr).toMatchObject({ kind: "Template", parts: [] });
  });
});
