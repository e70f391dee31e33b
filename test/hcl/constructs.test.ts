/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL source text is written in plain strings */
/** Every HCL construct, its tree shape, and where its nodes are in the file. */
import { describe, expect, it } from "vitest";
import { formatPosition, type SourceFile } from "../../src/diagnostics/index.js";
import type { Expression, TemplatePart } from "../../src/hcl/ast.js";
import { parseHcl } from "../../src/hcl/parse.js";

/** A compact, readable rendering of a tree, so tests can state whole shapes. */
function shape(e: Expression): string {
  switch (e.kind) {
    case "Literal":
      return e.raw ?? JSON.stringify(e.value);
    case "Variable":
      return e.name;
    case "SplatItem":
      return "@";
    case "GetAttr":
      return `${shape(e.object)}.${e.name}`;
    case "Index":
      return `${shape(e.collection)}[${shape(e.key)}]`;
    case "Splat":
      return `splat-${e.style}(${shape(e.source)} => ${shape(e.each)})`;
    case "FunctionCall":
      return `${e.name}(${e.args.map(shape).join(", ")}${e.expandFinal ? "..." : ""})`;
    case "Binary":
      return `(${shape(e.left)} ${e.op} ${shape(e.right)})`;
    case "Unary":
      return `(${e.op}${shape(e.operand)})`;
    case "Conditional":
      return `(${shape(e.condition)} ? ${shape(e.then)} : ${shape(e.else)})`;
    case "Tuple":
      return `[${e.items.map(shape).join(", ")}]`;
    case "Object":
      return `{${e.items.map((i) => `${i.bareKey ? "bare:" : ""}${shape(i.key)} = ${shape(i.value)}`).join(", ")}}`;
    case "Paren":
      return `paren(${shape(e.expr)})`;
    case "For":
      return `for(${e.keyVar ? `${e.keyVar}, ` : ""}${e.valueVar} in ${shape(e.collection)} : ${e.keyExpr ? `${shape(e.keyExpr)} => ` : ""}${shape(e.valueExpr)}${e.group ? "..." : ""}${e.condition ? ` if ${shape(e.condition)}` : ""})`;
    case "Template":
      return `tmpl${e.heredoc ? "-heredoc" : ""}(${e.parts.map(part).join(" ")})`;
  }
}

function part(p: TemplatePart): string {
  switch (p.kind) {
    case "TemplateLiteral":
      return JSON.stringify(p.value);
    case "TemplateInterpolation":
      return `\${${shape(p.expr)}}`;
    case "TemplateIf":
      return `if(${shape(p.condition)}: ${p.then.map(part).join(" ")}${p.else ? ` else ${p.else.map(part).join(" ")}` : ""})`;
    case "TemplateFor":
      return `for(${p.keyVar ? `${p.keyVar}, ` : ""}${p.valueVar} in ${shape(p.collection)}: ${p.body.map(part).join(" ")})`;
  }
}

function parse(text: string) {
  const file: SourceFile = { name: "t.hcl", text };
  const result = parseHcl(file);
  expect(result.diagnostics.map((d) => d.summary)).toEqual([]);
  return { file, ...result };
}

/** The expression of the single attribute `x = <text>`. */
function expr(text: string): Expression {
  return parse(`x = ${text}\n`).body.attributes[0]!.expr;
}

function at(node: { range: { file: SourceFile; start: number; end: number } }) {
  const r = node.range;
  return `${formatPosition(r)} ${r.file.text.slice(r.start, r.end)}`;
}

describe("literals", () => {
  it("reads numbers as written: integers, decimals, exponents", () => {
    expect(["1", "1.50", "1e3", "2.5E-2", "0"].map((n) => expr(n))).toMatchObject([
      { kind: "Literal", value: 1, raw: "1" },
      { kind: "Literal", value: 1.5, raw: "1.50" },
      { kind: "Literal", value: 1000, raw: "1e3" },
      { kind: "Literal", value: 0.025, raw: "2.5E-2" },
      { kind: "Literal", value: 0, raw: "0" },
    ]);
  });

  it("reads true, false and null", () => {
    expect(["true", "false", "null"].map((v) => expr(v))).toMatchObject([
      { kind: "Literal", value: true },
      { kind: "Literal", value: false },
      { kind: "Literal", value: null },
    ]);
  });

  it("keeps a plain quoted string as a template with one literal part", () => {
    const e = expr('"linux/amd64"');
    expect(shape(e)).toBe('tmpl("linux/amd64")');
    expect(at(e)).toBe('t.hcl:1:5 "linux/amd64"');
    expect(shape(expr('""'))).toBe("tmpl()");
  });

  it("decodes every escape", () => {
    expect(shape(expr('"a\\r\\t\\n\\\\\\"\\u00e9\\U0001F600"'))).toBe(
      `tmpl(${JSON.stringify('a\r\t\n\\"é😀')})`,
    );
  });
});

describe("names and operators", () => {
  it("allows dashes inside identifiers, and minus with spaces", () => {
    expect(shape(expr("my-var - 1"))).toBe("(my-var - 1)");
    expect(shape(expr("a-b-c"))).toBe("a-b-c");
  });

  it("follows HCL's precedence and left associativity", () => {
    expect(shape(expr("1 - 2 - 3"))).toBe("((1 - 2) - 3)");
    expect(shape(expr("a || b && c == d < e + f * g"))).toBe(
      "(a || (b && (c == (d < (e + (f * g))))))",
    );
    expect(shape(expr("a % b / c * d"))).toBe("(((a % b) / c) * d)");
    expect(shape(expr("a != b == c"))).toBe("((a != b) == c)");
    expect(shape(expr("a >= b"))).toBe("(a >= b)");
  });

  it("binds unary operators tighter than binary ones, and looser than traversals", () => {
    expect(shape(expr("!a == -b"))).toBe("((!a) == (-b))");
    expect(shape(expr("-a.b[0]"))).toBe("(-a.b[0])");
    expect(shape(expr("!!a"))).toBe("(!(!a))");
  });

  it("nests conditionals to the right and keeps parentheses", () => {
    expect(shape(expr("a ? b : c ? d : e"))).toBe("(a ? b : (c ? d : e))");
    expect(shape(expr("(1 + 2) * 3"))).toBe("(paren((1 + 2)) * 3)");
    const e = expr("(\n  a +\n  b\n)");
    expect(shape(e)).toBe("paren((a + b))");
    expect(at(e).split(" ")[0]).toBe("t.hcl:1:5");
  });
});

describe("collections", () => {
  it("reads tuples on one line or many, with a trailing comma", () => {
    expect(shape(expr("[1, 2, 3]"))).toBe("[1, 2, 3]");
    expect(shape(expr("[\n  1,\n  2,\n]"))).toBe("[1, 2]");
    expect(shape(expr("[]"))).toBe("[]");
  });

  it("reads object keys: bare names, quoted strings, parenthesised expressions", () => {
    expect(shape(expr('{ a = 1, "b-c" = 2, (k) = 3, d: 4 }'))).toBe(
      '{bare:"a" = 1, tmpl("b-c") = 2, paren(k) = 3, bare:"d" = 4}',
    );
    expect(shape(expr("{\n  a = 1\n  b = [\n    2,\n  ]\n\n  c = { d = 3 },\n}"))).toBe(
      '{bare:"a" = 1, bare:"b" = [2], bare:"c" = {bare:"d" = 3}}',
    );
  });

  it("gives object keys and values their positions", () => {
    const { body } = parse('x = {\n  "org.label" = "v"\n  plain = 1\n}\n');
    const o = body.attributes[0]!.expr;
    if (o.kind !== "Object") throw new Error(o.kind);
    expect(at(o.items[0]!.key)).toBe('t.hcl:2:3 "org.label"');
    expect(at(o.items[1]!.key)).toBe("t.hcl:3:3 plain");
    expect(at(o.items[1]!.value)).toBe("t.hcl:3:11 1");
  });
});

describe("traversals and calls", () => {
  it("reads attribute access, indexes and the legacy .0 index", () => {
    expect(shape(expr('a.b[0].c["k"]'))).toBe('a.b[0].c[tmpl("k")]');
    expect(shape(expr("a.0.b"))).toBe("a[0].b");
    const e = expr("target.app.tags[1]");
    expect(at(e)).toBe("t.hcl:1:5 target.app.tags[1]");
  });

  it("applies the traversal after an attribute splat to each element, then indexes the result", () => {
    expect(shape(expr("a.*.b.c[0]"))).toBe("splat-attr(a => @.b.c)[0]");
  });

  it("applies every traversal after a full splat to each element", () => {
    expect(shape(expr("a[*].b[0].c"))).toBe("splat-full(a => @.b[0].c)");
    expect(shape(expr("a[*].b[*].c"))).toBe("splat-full(a => splat-full(@.b => @.c))");
    const e = expr("list[*].id");
    expect(at(e)).toBe("t.hcl:1:5 list[*].id");
  });

  it("reads function calls over several lines, with ... expansion", () => {
    expect(shape(expr('join(",", [\n  "a",\n  "b",\n])'))).toBe(
      'join(tmpl(","), [tmpl("a"), tmpl("b")])',
    );
    expect(shape(expr("concat(\n  a,\n  b...\n)"))).toBe("concat(a, b...)");
    expect(shape(expr("f()"))).toBe("f()");
    const e = expr("upper(\n  x,\n)");
    if (e.kind !== "FunctionCall") throw new Error(e.kind);
    expect(at({ range: e.nameRange })).toBe("t.hcl:1:5 upper");
    expect(at(e)).toBe("t.hcl:1:5 upper(\n  x,\n)");
  });
});

describe("for expressions", () => {
  it("reads tuple for-expressions with a condition", () => {
    expect(shape(expr('[for v in list : upper(v) if v != ""]'))).toBe(
      "for(v in list : upper(v) if (v != tmpl()))",
    );
    expect(shape(expr("[for i, v in list : i]"))).toBe("for(i, v in list : i)");
  });

  it("reads object for-expressions with grouping, over several lines", () => {
    expect(shape(expr('{\n  for k, v in m :\n  v => k...\n  if k != ""\n}'))).toBe(
      "for(k, v in m : v => k... if (k != tmpl()))",
    );
  });
});

describe("templates", () => {
  it("splits interpolations from text and knows where each is", () => {
    const e = expr('"${REGISTRY}/app:${TAG}"');
    expect(shape(e)).toBe('tmpl(${REGISTRY} "/app:" ${TAG})');
    if (e.kind !== "Template") throw new Error(e.kind);
    expect(e.parts.map(at)).toEqual([
      "t.hcl:1:6 ${REGISTRY}",
      "t.hcl:1:17 /app:",
      "t.hcl:1:22 ${TAG}",
    ]);
  });

  it("keeps $${ and %%{ as literal text", () => {
    expect(shape(expr('"$${a} %%{b}"'))).toBe('tmpl("${a} %{b}")');
  });

  it("reads if/else and for directives, with strip markers", () => {
    expect(shape(expr('"%{ if a }yes%{ else }no%{ endif }"'))).toBe('tmpl(if(a: "yes" else "no"))');
    expect(shape(expr('"a %{~ if b ~} yes %{~ else ~} no %{~ endif ~} c"'))).toBe(
      'tmpl("a" if(b: "yes" else "no") "c")',
    );
    expect(shape(expr('"%{ for k, v in m ~} ${k}=${v} %{~ endfor }"'))).toBe(
      'tmpl(for(k, v in m: ${k} "=" ${v}))',
    );
    expect(shape(expr('"x ${~ a ~} y"'))).toBe('tmpl("x" ${a} "y")');
  });

  it("reads nested templates and objects inside interpolations", () => {
    expect(shape(expr('"${f("a${b}")}"'))).toBe('tmpl(${f(tmpl("a" ${b}))})');
    expect(shape(expr('"${ {a = 1}.a }"'))).toBe('tmpl(${{bare:"a" = 1}.a})');
  });

  it("reads heredocs, stripping the common indentation with <<-", () => {
    const e = expr("<<EOT\n  hello ${name}\n  bye\nEOT\n");
    expect(shape(e)).toBe('tmpl-heredoc("  hello " ${name} "\\n  bye\\n")');
    expect(at(e).split(" ")[0]).toBe("t.hcl:1:5");
    expect(shape(expr("<<-EOT\n    a\n      ${b}\n\n    c\n    EOT\n"))).toBe(
      'tmpl-heredoc("a\\n  " ${b} "\\n\\nc\\n")',
    );
    expect(shape(expr("<<-EOT\n\tone\n\t two\n\tEOT\n"))).toBe('tmpl-heredoc("one\\n two\\n")');
    expect(shape(expr("<<EOT\nEOT\n"))).toBe("tmpl-heredoc()");
    expect(shape(expr("<<EOT\n  %{ if a }x%{ endif }\n  EOT\n"))).toBe(
      'tmpl-heredoc("  " if(a: "x") "\\n")',
    );
  });

  it("positions interpolations inside heredocs on their own lines", () => {
    const e = expr("<<-EOT\n  line\n  ${value}\n  EOT\n");
    if (e.kind !== "Template") throw new Error(e.kind);
    const interp = e.parts.find((p) => p.kind === "TemplateInterpolation")!;
    expect(at(interp)).toBe("t.hcl:3:3 ${value}");
  });
});

describe("bodies", () => {
  it("skips every kind of comment, and keeps newlines after line comments", () => {
    const { body } = parse(
      [
        "# hash",
        "// slashes",
        "a = 1 # after",
        "b = 2 // after",
        "/* block",
        "   over lines */",
        "c = /* inline */ 3",
        'target "x" { # on the block line',
        "  d = 4",
        "}",
        "",
      ].join("\n"),
    );
    expect(body.attributes.map((a) => `${a.name}=${shape(a.expr)}`)).toEqual(["a=1", "b=2", "c=3"]);
    expect(body.blocks[0]!.body.attributes.map((a) => a.name)).toEqual(["d"]);
  });

  it("reads blocks with no, one or several labels, quoted or bare, and one-line blocks", () => {
    const { body } = parse(
      'a {\n}\nb "x" {}\nc x "y" z { k = 1 }\nd {\n  e {\n    f = 1\n  }\n}\n',
    );
    expect(body.blocks.map((b) => [b.type, ...b.labels])).toEqual([
      ["a"],
      ["b", "x"],
      ["c", "x", "y", "z"],
      ["d"],
    ]);
    expect(body.blocks[2]!.body.attributes.map((a) => a.name)).toEqual(["k"]);
    expect(body.blocks[3]!.body.blocks[0]!.body.attributes.map((a) => a.name)).toEqual(["f"]);
  });

  it("gives blocks, labels, attributes and bodies their positions", () => {
    const { body } = parse('\n  target "app" other {\n    x = 1\n  }\n');
    const b = body.blocks[0]!;
    expect(at(b).split(" ")[0]).toBe("t.hcl:2:3");
    expect(at({ range: b.typeRange })).toBe("t.hcl:2:3 target");
    expect(b.labelRanges.map((r) => at({ range: r }))).toEqual([
      't.hcl:2:10 "app"',
      "t.hcl:2:16 other",
    ]);
    const x = b.body.attributes[0]!;
    expect(at(x)).toBe("t.hcl:3:5 x = 1");
    expect(at({ range: x.nameRange })).toBe("t.hcl:3:5 x");
    expect(b.range.file.text.slice(b.range.end - 1, b.range.end)).toBe("}");
  });

  it("accepts Windows line ends and a file without a final newline", () => {
    const { body } = parse('a = 1\r\ntarget "x" {\r\n  b = "y"\r\n}\r\nc = 2');
    expect(body.attributes.map((a) => a.name)).toEqual(["a", "c"]);
    expect(shape(body.blocks[0]!.body.attributes[0]!.expr)).toBe('tmpl("y")');
  });
});
