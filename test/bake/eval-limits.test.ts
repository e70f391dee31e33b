/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL source text is written in plain strings */
/**
 * Evaluation a hostile bake file cannot make endless: matrices, `for` expressions,
 * nesting and `inherits` chains are bounded with positioned errors, and data-deep
 * structures (group chains, long sums) are handled without recursion. Each case
 * overflowed the stack or ran for minutes before the bounds.
 */
import { describe, expect, it } from "vitest";
import { resolveBake } from "../../src/bake/index.js";
import { DiagnosticError, renderDiagnostic } from "../../src/diagnostics/diagnostic.js";

const file = (text: string) => ({ name: "docker-bake.hcl", text });

function resolve(text: string, names: string[] = []) {
  return resolveBake({
    files: [file(text)],
    names,
    overrides: [],
    env: {},
    localPlatform: "linux/amd64",
  });
}

/** The rendered error of a resolution that must fail with a DiagnosticError. */
function failure(text: string, names: string[] = []): string {
  try {
    resolve(text, names);
  } catch (err) {
    if (err instanceof DiagnosticError) return err.diagnostics.map(renderDiagnostic).join("\n");
    throw err;
  }
  throw new Error("expected an error");
}

function matrix(n: number, keys = ["a", "b", "c"]): string {
  const values = Array.from({ length: n }, (_, i) => `"v${i}"`).join(", ");
  return `target "t" {
  name = "t-${keys.map((k) => `\${${k}}`).join("-")}"
  matrix = {
${keys.map((k) => `    ${k} = [${values}]`).join("\n")}
  }
}
`;
}

describe("matrix size", () => {
  it("refuses 100x100x100 at the matrix attribute, with the count and the limit", () => {
    const text = failure(matrix(100));
    expect(text).toContain(
      'docker-bake.hcl:3:3: Matrix too large; the matrix of target "t" makes 1,000,000 targets, more than the limit of 10,000.',
    );
  });

  it("refuses 40x40x40 (64,000 targets)", () => {
    expect(failure(matrix(40))).toContain("makes 64,000 targets");
  });

  it("expands 20x20x20 (8,000 targets) into targets and the matrix group", () => {
    const r = resolve(matrix(20), ["t"]);
    expect(r.requested).toHaveLength(8000);
    expect(r.groups.t!.targets).toHaveLength(8000);
    expect(r.targets["t-v19-v0-v7"]).toMatchObject({ name: "t-v19-v0-v7" });
  });

  it("counts targets over all matrices: two of 6,000 are refused at the second", () => {
    const values = Array.from({ length: 6000 }, (_, i) => `"v${i}"`).join(", ");
    const two = `target "a" {\n  name = "a-\${x}"\n  matrix = { x = [${values}] }\n}\ntarget "b" {\n  name = "b-\${x}"\n  matrix = { x = [${values}] }\n}\n`;
    expect(failure(two)).toContain(
      'docker-bake.hcl:7:3: Matrix too large; the matrix of target "b" makes 6,000 targets (with the 6,000 targets before it), more than the limit of 10,000.',
    );
  });
});

describe("for expressions", () => {
  it("refuses more than 1,000,000 iterations in total, at the collection that passes the limit", () => {
    const text = failure(`variable "X" {
  default = [for i in range(1000) : [for j in range(1000) : [for k in range(2) : k]]]
}
target "default" {}
`);
    expect(text).toMatch(
      /docker-bake\.hcl:2:\d+: Too much iteration; .*more than 1,000,000 iterations/,
    );
  });
});

describe("inherits", () => {
  const chain = (n: number) => {
    const lines = [
      `target "default" {\n  inherits = ["t${n - 1}"]\n}`,
      'target "t0" {\n  tags = ["x"]\n}',
    ];
    for (let i = 1; i < n; i++) lines.push(`target "t${i}" {\n  inherits = ["t${i - 1}"]\n}`);
    return `${lines.join("\n")}\n`;
  };

  it("a chain of 9,999 is refused at the target, naming the chain (no stack overflow)", () => {
    const text = failure(chain(9999));
    expect(text).toContain(
      'docker-bake.hcl:1:8: Inherits chain too deep; target "default" inherits through more than 500 levels (default -> t9998 -> t9997 -> ... ->',
    );
    expect(text).not.toContain("call stack");
  });

  it("a chain of 500 levels is followed to its end", () => {
    expect(resolve(chain(500)).targets.default!.tags).toEqual(["x"]);
  });

  it("diamonds that would merge 2^30 parents are refused", () => {
    const lines = ['target "t0" {\n  tags = ["x"]\n}'];
    for (let i = 1; i <= 30; i++)
      lines.push(`target "t${i}" {\n  inherits = ["t${i - 1}", "t${i - 1}"]\n}`);
    expect(failure(`${lines.join("\n")}\n`, ["t30"])).toContain(
      'Inherits too large; resolving target "t30" merges more than 20,000 parents',
    );
  });
});

describe("structures deep in data", () => {
  it("a chain of 10,000 nested groups expands (iteratively) to its target", () => {
    const lines = [
      'group "default" {\n  targets = ["g9999"]\n}',
      'target "t" {}',
      'group "g0" {\n  targets = ["t"]\n}',
    ];
    for (let i = 1; i < 10000; i++) lines.push(`group "g${i}" {\n  targets = ["g${i - 1}"]\n}`);
    const r = resolve(`${lines.join("\n")}\n`);
    expect(r.requested).toEqual(["t"]);
    expect(Object.keys(r.groups)).toHaveLength(10001);
  });

  it("groups that list each other keep buildx's reading (a group met again is a target)", () => {
    const r = resolve(
      `group "default" {\n  targets = ["a"]\n}\ngroup "a" {\n  targets = ["b", "a"]\n}\ngroup "b" {\n  targets = ["a"]\n}\ntarget "a" {}\n`,
    );
    expect(r.requested).toEqual(["a"]);
  });

  it("a sum of 2,000 terms evaluates", () => {
    const terms = Array.from({ length: 2000 }, (_, i) => String(i)).join(" + ");
    const r = resolve(
      `variable "S" {\n  default = ${terms}\n}\ntarget "default" {\n  args = { s = S }\n}\n`,
    );
    expect(r.targets.default!.args).toEqual({ s: "1999000" });
  });

  it("variables referring to each other 1,000 deep are refused at a position, not by the stack", () => {
    const lines: string[] = [];
    for (let i = 0; i < 999; i++) lines.push(`variable "v${i}" {\n  default = v${i + 1}\n}`);
    lines.push('variable "v999" {\n  default = "x"\n}');
    const text = failure(`${lines.join("\n")}\ntarget "default" {}\n`);
    expect(text).toMatch(
      /docker-bake\.hcl:\d+:\d+: Nesting too deep; variable "v\d+" is nested more than 500 levels deep/,
    );
  });

  it("a cycle through 400 variables names its ends and at most 10 places", () => {
    const lines: string[] = [];
    for (let i = 0; i < 400; i++)
      lines.push(`variable "v${i}" {\n  default = v${(i + 1) % 400}\n}`);
    const text = failure(`${lines.join("\n")}\ntarget "default" {}\n`);
    expect(text).toMatch(
      /Variable cycle: v0 -> v1 -> v2 -> v3 -> v4 -> \.\.\. \(391 more\) \.\.\. -> /,
    );
    expect(text).toContain("and 390 more places, not shown");
    expect(text.split("\n").length).toBeLessThan(30);
  });
});

describe("function calls", () => {
  /** f0 .. f(n-1) each call the next from both results of a conditional: 2^n calls. */
  function doubling(n: number, wrap = (call: string) => call): string {
    const fns = Array.from(
      { length: n },
      (_, i) =>
        `function "f${i}" {\n  params = [x]\n  result = x ? f${i + 1}(x) : f${i + 1}(x)\n}\n`,
    );
    fns.push(`function "f${n}" {\n  params = [x]\n  result = "end"\n}\n`);
    return `${fns.join("")}target "default" {\n  args = { a = ${wrap("f0(true)")} }\n}\n`;
  }

  it("calls from both results of conditionals are counted: 2^40 calls are refused", () => {
    expect(failure(doubling(40))).toMatch(/Too many function calls; .* 1,000,000 calls/);
  });

  it("the refusal is not hidden by try() or can()", () => {
    expect(failure(doubling(40, (c) => `try(${c}, "fallback")`))).toMatch(
      /Too many function calls/,
    );
  });

  it("2^10 calls evaluate", () => {
    expect(resolve(doubling(10)).targets.default!.args).toEqual({ a: "end" });
  });
});
