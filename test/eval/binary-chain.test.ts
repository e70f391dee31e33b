/**
 * A long chain of binary operators (a sum of thousands of terms) evaluates
 * without recursion: buildx handles it, so must we.
 */
import { describe, expect, it } from "vitest";
import {
  builtinFunctions,
  type EvalContext,
  evaluate,
  unknownVariable,
} from "../../src/eval/index.js";
import { parseHclExpression } from "../../src/hcl/parse.js";

const ctx: EvalContext = {
  functions: builtinFunctions(),
  lookup: (name, range) => (name === "x" ? 2 : unknownVariable(name, range, ["x"])),
};

function ev(text: string) {
  const { expr, diagnostics } = parseHclExpression({ name: "expr.hcl", text });
  expect(diagnostics).toEqual([]);
  return evaluate(expr!, ctx);
}

describe("long binary chains", () => {
  it("adds 100,000 terms", () => {
    expect(ev(Array(100_000).fill("1").join(" + "))).toBe(100_000);
  });

  it("keeps precedence and order in a long mixed chain", () => {
    const terms = Array.from({ length: 20_000 }, (_, i) => (i % 2 ? "x * 3" : "10 - x"));
    // Each pair adds (x * 3) + (10 - x) = 14; the chain alternates + and -.
    expect(ev(terms.join(" + "))).toBe(14 * 10_000);
    expect(ev(`100 - ${Array(5_000).fill("1").join(" - ")}`)).toBe(100 - 5_000);
  });

  it("evaluates a long chain of && and || (both sides, as HCL does)", () => {
    expect(ev(Array(50_000).fill("true").join(" && "))).toBe(true);
    expect(ev(`${Array(50_000).fill("false").join(" || ")} || x == 2`)).toBe(true);
  });

  it("names the failing operand in a long chain", () => {
    expect(() => ev(`${Array(10_000).fill("1").join(" + ")} + "a"`)).toThrow(/expr\.hcl:1:\d+/);
  });
});
