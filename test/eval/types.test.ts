import { describe, expect, it } from "vitest";
import { DiagnosticError, lineColumnAt } from "../../src/diagnostics/index.js";
import { convertValue, describeType, parseTypeExpr } from "../../src/eval/types.js";
import { parseHclExpression } from "../../src/hcl/parse.js";

function parse(text: string) {
  const { expr, diagnostics } = parseHclExpression({ name: "t.hcl", text });
  expect(diagnostics).toEqual([]);
  return parseTypeExpr(expr!);
}

/** The error's summary and the column it names, for a type that fails. */
function refused(text: string): { summary: string; column: number } {
  try {
    parse(text);
  } catch (err) {
    if (!(err instanceof DiagnosticError)) throw err;
    const d = err.diagnostics[0]!;
    return { summary: d.summary, column: lineColumnAt(d.range!.file, d.range!.start).column };
  }
  throw new Error(`expected ${text} to be refused`);
}

describe("type constraints, as buildx (HCL typeexpr.TypeConstraint) reads them", () => {
  it("reads optional() as a modifier of an object attribute, which may then be absent", () => {
    const t = parse("object({a = optional(list(string)), b = number})");
    expect(describeType(t)).toBe("object({a=list(string), b=number})");
    expect(convertValue({ b: 1 }, t)).toEqual({ a: null, b: 1 });
  });

  it("refuses optional() anywhere else, naming the keyword", () => {
    const onlyObject =
      'Invalid type specification; Keyword "optional" is valid only as a modifier for object type attributes.';
    expect(refused('optional(string, "d")')).toEqual({ summary: onlyObject, column: 1 });
    expect(refused("list(optional(string))")).toEqual({ summary: onlyObject, column: 6 });
    expect(refused("object({a = map(optional(string))})")).toEqual({
      summary: onlyObject,
      column: 17,
    });
  });

  it("refuses a default in optional() and an empty optional(), naming the parentheses", () => {
    expect(refused('object({a = optional(string, "d")})')).toEqual({
      summary:
        "Invalid type specification; Optional attribute modifier expects only one argument: the attribute type (buildx takes no default value).",
      column: 21,
    });
    expect(refused("object({a = optional()})").column).toBe(21);
  });

  it("names the part buildx names for other mistakes", () => {
    expect(refused("list(string, number)").column).toBe(14);
    expect(refused("list()").column).toBe(5);
    expect(refused("string()").column).toBe(7);
    expect(refused('object({"a" = string})').column).toBe(9);
    expect(refused("tuple(string)").column).toBe(7);
    expect(refused("foo").summary).toBe(
      'Invalid type specification; The keyword "foo" is not a valid type specification.',
    );
  });

  it("takes the last type of a repeated attribute name", () => {
    expect(describeType(parse("object({a = string, a = number})"))).toBe("object({a=number})");
  });
});
