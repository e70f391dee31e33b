import { describe, expect, it } from "vitest";
import { DiagnosticError, renderDiagnostic } from "../../src/diagnostics/diagnostic.js";
import type { SourceFile, SourceRange } from "../../src/diagnostics/source.js";
import {
  buildGraph,
  criticalPath,
  type GraphTarget,
  toDot,
  toMermaid,
} from "../../src/graph/graph.js";

function targets(spec: Record<string, string[]>): Record<string, GraphTarget> {
  return Object.fromEntries(
    Object.entries(spec).map(([name, deps]) => [
      name,
      { name, contexts: Object.fromEntries(deps.map((d) => [`ctx-${d}`, `target:${d}`])) },
    ]),
  );
}

/** The range of the first occurrence of `needle` in the file. */
function rangeOf(file: SourceFile, needle: string): SourceRange {
  const start = file.text.indexOf(needle);
  if (start < 0) throw new Error(`${needle} is not in ${file.name}`);
  return { file, start, end: start + needle.length };
}

function cycleError(fn: () => unknown): DiagnosticError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DiagnosticError) return err;
    throw err;
  }
  throw new Error("expected a DiagnosticError");
}

describe("buildGraph", () => {
  it("orders dependencies before dependents, the same way every time", () => {
    const spec = {
      app: ["lib", "base"],
      lib: ["base"],
      base: [],
      tools: [],
      docs: ["tools"],
    };
    const g = buildGraph(targets(spec));
    for (const [name, deps] of Object.entries(spec))
      for (const d of deps) expect(g.order.indexOf(d)).toBeLessThan(g.order.indexOf(name));
    const reversed = Object.fromEntries(Object.entries(targets(spec)).reverse());
    expect(buildGraph(reversed).order).toEqual(g.order);
    expect(g.order).toEqual(["base", "lib", "app", "tools", "docs"]);
  });

  it("knows each target's dependencies and dependents, ignoring contexts that are not targets", () => {
    const g = buildGraph({
      app: {
        name: "app",
        contexts: { base: "target:base", src: "./src", img: "docker-image://alpine" },
      },
      base: { name: "base" },
    });
    expect(g.dependencies.get("app")).toEqual(["base"]);
    expect(g.dependents.get("base")).toEqual(["app"]);
    expect(g.dependencies.get("base")).toEqual([]);
  });

  it("holds the requested targets and pulls in what they depend on", () => {
    const g = buildGraph(targets({ app: ["lib"], lib: ["base"], base: [], unrelated: [] }), {
      requested: ["app"],
    });
    expect(g.order).toEqual(["base", "lib", "app"]);
  });

  it("reports a cycle with the path and the position of every edge", () => {
    const file: SourceFile = {
      name: "docker-bake.hcl",
      text: [
        'target "a" {',
        '  contexts = { x = "target:b" }',
        "}",
        'target "b" {',
        '  contexts = { y = "target:a" }',
        "}",
        "",
      ].join("\n"),
    };
    const err = cycleError(() =>
      buildGraph(
        {
          a: { name: "a", contexts: { x: "target:b" } },
          b: { name: "b", contexts: { y: "target:a" } },
        },
        {
          contextRanges: {
            a: { x: rangeOf(file, '"target:b"') },
            b: { y: rangeOf(file, '"target:a"') },
          },
        },
      ),
    );
    const d = err.diagnostics[0]!;
    expect(d.summary).toBe("dependency cycle between targets: a -> b -> a");
    const text = renderDiagnostic(d);
    expect(text).toContain("docker-bake.hcl:2:20: a uses target:b");
    expect(text).toContain("docker-bake.hcl:5:20: b uses target:a");
    expect(text).toContain('  contexts = { x = "target:b" }');
  });

  it("reports a target that uses itself", () => {
    const err = cycleError(() => buildGraph(targets({ self: ["self"] })));
    expect(err.diagnostics[0]!.summary).toBe("dependency cycle between targets: self -> self");
  });

  it("names only the targets in the cycle, not the ones leading to it", () => {
    const err = cycleError(() => buildGraph(targets({ a: ["b"], b: ["c"], c: ["b"] })));
    expect(err.diagnostics[0]!.summary).toBe("dependency cycle between targets: b -> c -> b");
  });
});

describe("criticalPath", () => {
  it("is the longest chain of dependencies", () => {
    const g = buildGraph(targets({ app: ["lib", "tool"], lib: ["base"], base: [], tool: [] }));
    expect(criticalPath(g)).toEqual(["base", "lib", "app"]);
  });

  it("weighs targets by their expected duration", () => {
    const g = buildGraph(targets({ app: ["lib", "tool"], lib: ["base"], base: [], tool: [] }));
    const seconds: Record<string, number> = { app: 1, lib: 1, base: 1, tool: 10 };
    expect(criticalPath(g, (t) => seconds[t]!)).toEqual(["tool", "app"]);
  });

  it("is empty for an empty graph", () => {
    expect(criticalPath(buildGraph({}))).toEqual([]);
  });
});

describe("graph output", () => {
  const g = buildGraph(targets({ app: ["base"], base: [], "my-tool": [] }));

  it("prints Graphviz DOT with an edge from each dependency to its dependent", () => {
    expect(toDot(g)).toBe(
      [
        "digraph mbake {",
        "  rankdir=LR;",
        "  node [shape=box];",
        '  "base";',
        '  "app";',
        '  "my-tool";',
        '  "base" -> "app";',
        "}",
        "",
      ].join("\n"),
    );
  });

  it("prints a Mermaid flowchart with safe node ids", () => {
    expect(toMermaid(g)).toBe(
      ["flowchart LR", '  t0["base"]', '  t1["app"]', '  t2["my-tool"]', "  t0 --> t1", ""].join(
        "\n",
      ),
    );
  });
});
