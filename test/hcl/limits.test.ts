/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL source text is written in plain strings */
/**
 * Hostile sizes: long operator chains parse without recursion, and nesting
 * deeper than the parser allows is refused with a positioned error, never a
 * stack overflow.
 */
import { describe, expect, it } from "vitest";
import { formatPosition } from "../../src/diagnostics/index.js";
import type { Expression } from "../../src/hcl/ast.js";
import { MAX_NESTING, parseHcl, parseHclExpression } from "../../src/hcl/parse.js";

function parse(text: string) {
  return parseHcl({ name: "deep.hcl", text });
}

/** The number of Binary nodes down the left edge of a tree. */
function leftChain(e: Expression): number {
  let n = 0;
  while (e.kind === "Binary") {
    n++;
    e = e.left;
  }
  return n;
}

describe("long operator chains", () => {
  it("parses a sum of 100,000 terms as one left-leaning chain", () => {
    const r = parse(`a = ${Array(100_000).fill("1").join(" + ")}\n`);
    expect(r.diagnostics).toEqual([]);
    expect(leftChain(r.body.attributes[0]!.expr)).toBe(99_999);
  });

  it("keeps precedence and left associativity in a long mixed chain", () => {
    const { expr } = parseHclExpression({
      name: "e",
      text: "1 - 2 * 3 + 4 / 5 % 6 == 7 || !8 && -9 > 10",
    });
    const show = (e: Expression): string => {
      if (e.kind === "Binary") return `(${show(e.left)} ${e.op} ${show(e.right)})`;
      if (e.kind === "Unary") return `${e.op}${show(e.operand)}`;
      return e.kind === "Literal" ? String(e.value) : e.kind;
    };
    expect(show(expr!)).toBe("((((1 - (2 * 3)) + ((4 / 5) % 6)) == 7) || (!8 && (-9 > 10)))");
  });

  it("parses 100,000 prefix operators without recursion", () => {
    const r = parseHclExpression({ name: "e", text: `${"!".repeat(100_000)}true` });
    expect(r.diagnostics).toEqual([]);
  });
});

describe("nesting", () => {
  const deep: ReadonlyArray<readonly [string, (n: number) => string, string]> = [
    ["parentheses", (n) => `a = ${"(".repeat(n)}1${")".repeat(n)}\n`, "("],
    ["tuples", (n) => `a = ${"[".repeat(n)}1${"]".repeat(n)}\n`, "["],
    ["objects", (n) => `a = ${"{x = ".repeat(n)}1${"}".repeat(n)}\n`, "{"],
    ["function calls", (n) => `a = ${"f(".repeat(n)}1${")".repeat(n)}\n`, "f"],
    ["templates", (n) => `a = ${'"${'.repeat(n)}1${'}"'.repeat(n)}\n`, '"'],
    ["conditionals", (n) => `a = ${"x ? 1 : ".repeat(n)}2\n`, "x"],
    ["blocks", (n) => `${"b {\n".repeat(n)}${"}\n".repeat(n)}`, "b"],
  ];

  for (const [what, make, opener] of deep) {
    it(`accepts ${what} nested ${MAX_NESTING - 10} deep`, () => {
      expect(parse(make(MAX_NESTING - 10)).diagnostics).toEqual([]);
    });

    it(`refuses ${what} nested 100,000 deep, at the first level too deep`, () => {
      const file = { name: "deep.hcl", text: make(100_000) };
      const r = parseHcl(file);
      const first = r.diagnostics[0]!;
      expect(first.summary).toMatch(/^Nesting too deep; .*at most 500 levels/);
      expect(r.diagnostics).toHaveLength(1);
      // It points into the file where the limit was passed, not at its start.
      expect(first.range!.start).toBeGreaterThan(MAX_NESTING - 1);
      expect(file.text.slice(first.range!.start)).toMatch(new RegExp(`^\\${opener}|^1|^[a-z]`));
      expect(formatPosition(first.range!)).toMatch(/^deep\.hcl:\d+:\d+$/);
    });
  }

  it("counts a chain of attribute and index steps as nesting", () => {
    const r = parse(`a = x${".y[0]".repeat(100_000)}\n`);
    expect(r.diagnostics[0]!.summary).toMatch(/^Nesting too deep/);
  });

  it("refuses deep nesting in a standalone expression (a --set value)", () => {
    const r = parseHclExpression({ name: "--set", text: `${"[".repeat(100_000)}` });
    expect(r.diagnostics[0]!.summary).toMatch(/^Nesting too deep/);
    expect(formatPosition(r.diagnostics[0]!.range!)).toBe(`--set:1:${MAX_NESTING + 1}`);
  });
});

describe("long chains in JSON strings", () => {
  it("parses a sum of 20,000 terms inside a JSON string's interpolation, with real positions", async () => {
    const { parseHclJson } = await import("../../src/hcl/json.js");
    const text = `{"a": "\${${Array(20_000).fill("x").join(" + ")}}"}`;
    const { body, diagnostics } = parseHclJson({ name: "d.json", text }, {});
    expect(diagnostics).toEqual([]);
    const t = body.attributes[0]!.expr;
    const part = t.kind === "Template" ? t.parts[0] : undefined;
    const sum = part?.kind === "TemplateInterpolation" ? part.expr : undefined;
    expect(sum && leftChain(sum)).toBe(19_999);
    expect(sum && formatPosition(sum.range)).toBe("d.json:1:10");
  });
});
