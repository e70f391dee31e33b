/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL source text is written in plain strings */
import { describe, expect, it } from "vitest";
import { lineColumnAt, renderDiagnostic } from "../../src/diagnostics/index.js";
import type { Expression } from "../../src/hcl/ast.js";
import {
  parseHcl,
  parseHclExpression,
  parseTemplateString,
  templateAsLiteral,
} from "../../src/hcl/parse.js";

function parse(text: string) {
  return parseHcl({ name: "docker-bake.hcl", text });
}

function attr(text: string): Expression {
  const r = parse(`a = ${text}\n`);
  expect(r.diagnostics.map((d) => d.summary)).toEqual([]);
  return r.body.attributes[0]!.expr;
}

describe("bodies", () => {
  it("keeps file, line and column of blocks, labels and attributes", () => {
    const file = {
      name: "docker-bake.hcl",
      text: 'group "default" {\n  targets = ["app"]\n}\n\ntarget app {\n  context = "."\n}\n',
    };
    const { body, diagnostics } = parseHcl(file);
    expect(diagnostics).toEqual([]);
    const [group, target] = body.blocks;
    expect(group!.labels).toEqual(["default"]);
    expect(lineColumnAt(file, group!.labelRanges[0]!.start)).toEqual({ line: 1, column: 7 });
    expect(target!.labels).toEqual(["app"]);
    expect(lineColumnAt(file, target!.range.start)).toEqual({ line: 5, column: 1 });
    const context = target!.body.attributes[0]!;
    expect(lineColumnAt(file, context.nameRange.start)).toEqual({ line: 6, column: 3 });
    expect(lineColumnAt(file, context.expr.range.start)).toEqual({ line: 6, column: 13 });
  });

  it("accepts one-line blocks and blocks with several labels", () => {
    const { body, diagnostics } = parse('a "x" "y" { b = 1 }\nc {}\n');
    expect(diagnostics).toEqual([]);
    expect(body.blocks.map((b) => [b.type, b.labels])).toEqual([
      ["a", ["x", "y"]],
      ["c", []],
    ]);
  });
});

describe("expressions", () => {
  it("follows HCL's operator precedence", () => {
    const e = attr("1 + 2 * 3 == 7 || !x && y");
    expect(e.kind).toBe("Binary");
    if (e.kind !== "Binary") return;
    expect(e.op).toBe("||");
    expect(e.left.kind === "Binary" && e.left.op).toBe("==");
    expect(e.right.kind === "Binary" && e.right.op).toBe("&&");
  });

  it("reads conditionals, calls with expansion, for expressions and splats", () => {
    expect(attr("c ? 1 : 2").kind).toBe("Conditional");
    const call = attr("concat(a, b...)");
    expect(call.kind === "FunctionCall" && call.expandFinal).toBe(true);
    const f = attr('{ for k, v in m : v => k... if k != "" }');
    expect(f.kind === "For" && [f.keyVar, f.valueVar, f.group, f.condition !== undefined]).toEqual([
      "k",
      "v",
      true,
      true,
    ]);
    const s = attr("list[*].name");
    expect(s.kind === "Splat" && s.style).toBe("full");
  });

  it("decodes string escapes and keeps $${ and %%{ literal", () => {
    const t = attr('"a\\tb\\n\\"q\\" \\u00e9 $${x} %%{y}"');
    expect(t.kind === "Template" && templateAsLiteral(t)).toBe('a\tb\n"q" é ${x} %{y}');
  });

  it("strips heredoc indentation with <<- and keeps it with <<", () => {
    const flush = attr("<<-EOT\n    one\n      two\n    EOT\n");
    expect(flush.kind === "Template" && templateAsLiteral(flush)).toBe("one\n  two\n");
    const plain = attr("<<EOT\n  one\nEOT\n");
    expect(plain.kind === "Template" && templateAsLiteral(plain)).toBe("  one\n");
  });

  it("applies template strip markers", () => {
    const t = attr('"a  ${~ x ~}  b"');
    expect(
      t.kind === "Template" &&
        t.parts.map((p) => (p.kind === "TemplateLiteral" ? p.value : p.kind)),
    ).toEqual(["a", "TemplateInterpolation", "b"]);
  });

  it("parses standalone expressions and delimiter-less templates", () => {
    expect(parseHclExpression({ name: "--set", text: "[1, 2]" }).expr?.kind).toBe("Tuple");
    const file = { name: "docker-bake.json", text: '{"a": "x${y}"}' };
    const t = parseTemplateString("x${y}", file, 6).template!;
    expect(t.parts.map((p) => p.kind)).toEqual(["TemplateLiteral", "TemplateInterpolation"]);
    expect(t.range.file).toBe(file);
  });
});

describe("syntax errors", () => {
  it("name the line and column and show the line", () => {
    const { diagnostics } = parse('target "app" {\n  tags = ["a" "b"]\n}\n');
    expect(diagnostics).toHaveLength(1);
    expect(renderDiagnostic(diagnostics[0]!)).toBe(
      [
        'error: docker-bake.hcl:2:15: Missing item separator; Expected a comma or "]", found """.',
        "  |",
        '2 |   tags = ["a" "b"]',
        "  |               ^",
      ].join("\n"),
    );
  });

  it("report several errors, recovering at the next line", () => {
    const { diagnostics, body } = parse(
      'a = \nb = 1 +\nc = 3\ntarget "x" {\n  d = )\n  e = 2\n}\n',
    );
    expect(diagnostics.map((d) => lineColumnAt(d.range!.file, d.range!.start).line)).toEqual([
      1, 2, 5,
    ]);
    expect(body.attributes.map((a) => a.name)).toEqual(["c"]);
    expect(body.blocks[0]!.body.attributes.map((a) => a.name)).toEqual(["e"]);
  });

  it("catch unterminated strings, blocks, heredocs and comments", () => {
    expect(parse('a = "abc\n').diagnostics[0]!.summary).toMatch(/Unterminated template string/);
    expect(parse("a {\n  b = 1\n").diagnostics[0]!.summary).toMatch(/Unclosed configuration block/);
    expect(parse("a = <<EOT\nx\n").diagnostics[0]!.summary).toMatch(
      /no closing marker for the heredoc "EOT"/,
    );
    expect(parse("/* open\na = 1\n").diagnostics[0]!.summary).toMatch(/Unterminated comment/);
    expect(parse("a = 1\na = 2\n").diagnostics[0]!.summary).toMatch(/Attribute redefined/);
    expect(parse("a = 1 @\n").diagnostics[0]!.summary).toMatch(/Invalid character/);
  });
});

describe("standalone expressions", () => {
  it("report extra text and absurd nesting as diagnostics", () => {
    const extra = parseHclExpression({ name: "--set", text: "1 2" });
    expect(extra.expr).toBeUndefined();
    expect(extra.diagnostics[0]!.summary).toMatch(/^Extra characters after expression/);
    const deep = parseHclExpression({ name: "--set", text: "(".repeat(100_000) });
    expect(deep.diagnostics.at(-1)!.summary).toMatch(/^Nesting too deep/);
  });
});
