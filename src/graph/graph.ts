/**
 * The target graph: nodes are targets, edges come from `target:NAME` contexts.
 * Deterministic topological order; a cycle is an error that shows every edge.
 */
import { DiagnosticError } from "../diagnostics/diagnostic.js";
import type { SourceRange } from "../diagnostics/source.js";

export interface GraphTarget {
  readonly name: string;
  readonly contexts?: Readonly<Record<string, string>>;
}

export interface TargetGraph {
  /** Every target in the run, in dependency order (dependencies first). */
  readonly order: readonly string[];
  /** target -> the targets it uses through `target:` contexts. */
  readonly dependencies: ReadonlyMap<string, readonly string[]>;
  readonly dependents: ReadonlyMap<string, readonly string[]>;
}

/** Where targets and their contexts are written, so a cycle can point at every edge. */
export interface GraphRanges {
  readonly definitions?: Readonly<Record<string, SourceRange>>;
  /** target -> context name -> the range of that context's value. */
  readonly contextRanges?: Readonly<Record<string, Readonly<Record<string, SourceRange>>>>;
}

export interface GraphOptions extends GraphRanges {
  /**
   * The targets asked for (groups already expanded). When given, the graph holds these
   * and every target they depend on, and nothing else; otherwise every target given.
   */
  readonly requested?: readonly string[];
}

export function targetDependencies(t: GraphTarget): string[] {
  return [
    ...new Set(
      Object.values(t.contexts ?? {})
        .filter((v) => v.startsWith("target:"))
        .map((v) => v.slice("target:".length)),
    ),
  ].sort();
}

/** The requested targets and everything they reach through `target:` contexts. */
function reachable(
  targets: Readonly<Record<string, GraphTarget>>,
  requested: readonly string[],
): string[] {
  const seen = new Set<string>();
  const queue = requested.filter((n) => n in targets);
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const d of targetDependencies(targets[name]!)) if (d in targets) queue.push(d);
  }
  return [...seen].sort();
}

export function buildGraph(
  targets: Readonly<Record<string, GraphTarget>>,
  ranges: GraphOptions = {},
): TargetGraph {
  const dependencies = new Map<string, string[]>();
  const dependents = new Map<string, string[]>();
  const names = ranges.requested
    ? reachable(targets, ranges.requested)
    : Object.keys(targets).sort();
  for (const name of names) {
    dependencies.set(
      name,
      targetDependencies(targets[name]!).filter((d) => d in targets),
    );
    dependents.set(name, []);
  }
  for (const [name, deps] of dependencies) for (const d of deps) dependents.get(d)!.push(name);
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (name: string) => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...stack.slice(stack.indexOf(name)), name];
      const related = cycle.slice(0, -1).flatMap((from, i) => {
        const to = cycle[i + 1]!;
        const ctx = Object.entries(targets[from]?.contexts ?? {}).find(
          ([, v]) => v === `target:${to}`,
        )?.[0];
        const range = ctx ? ranges.contextRanges?.[from]?.[ctx] : ranges.definitions?.[from];
        return range ? [{ message: `${from} uses target:${to}`, range }] : [];
      });
      throw new DiagnosticError({
        severity: "error",
        summary: `dependency cycle between targets: ${cycle.join(" -> ")}`,
        ...(related[0] ? { range: related[0].range } : {}),
        related,
        detail: "A target cannot use itself, directly or through others, as a target: context.",
      });
    }
    state.set(name, "visiting");
    stack.push(name);
    for (const d of dependencies.get(name) ?? []) visit(d);
    stack.pop();
    state.set(name, "done");
    order.push(name);
  };
  for (const name of names) visit(name);
  return { order, dependencies, dependents };
}

function quote(name: string): string {
  return JSON.stringify(name);
}

/** Graphviz DOT: an edge from each dependency to its dependent. */
export function toDot(graph: TargetGraph): string {
  const lines = ["digraph mbake {", "  rankdir=LR;", "  node [shape=box];"];
  for (const n of graph.order) lines.push(`  ${quote(n)};`);
  for (const n of graph.order)
    for (const d of graph.dependencies.get(n) ?? []) lines.push(`  ${quote(d)} -> ${quote(n)};`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/**
 * The longest chain of dependencies (dependencies first): the part of the run that
 * cannot go faster by adding endpoints. `weight` is a target's expected duration
 * (1 each when unknown); ties go to the name that sorts first.
 */
export function criticalPath(
  graph: TargetGraph,
  weight: (target: string) => number = () => 1,
): string[] {
  const best = new Map<string, { total: number; via?: string }>();
  for (const n of graph.order) {
    let via: string | undefined;
    let before = 0;
    for (const d of graph.dependencies.get(n) ?? []) {
      const t = best.get(d)!.total;
      if (via === undefined || t > before) {
        before = t;
        via = d;
      }
    }
    best.set(n, { total: before + weight(n), ...(via !== undefined ? { via } : {}) });
  }
  let end: string | undefined;
  for (const n of graph.order) {
    const t = best.get(n)!.total;
    if (end === undefined || t > best.get(end)!.total || (t === best.get(end)!.total && n < end))
      end = n;
  }
  const path: string[] = [];
  for (let n = end; n !== undefined; n = best.get(n)!.via) path.unshift(n);
  return path;
}

/** Mermaid flowchart of the same graph. */
export function toMermaid(graph: TargetGraph): string {
  const id = new Map(graph.order.map((n, i) => [n, `t${i}`]));
  const lines = ["flowchart LR"];
  for (const n of graph.order) lines.push(`  ${id.get(n)}[${quote(n)}]`);
  for (const n of graph.order)
    for (const d of graph.dependencies.get(n) ?? []) lines.push(`  ${id.get(d)} --> ${id.get(n)}`);
  return `${lines.join("\n")}\n`;
}
