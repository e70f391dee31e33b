import { InputError } from "./error-kind.js";
import { formatPosition, lineColumnAt, lineText, type SourceRange } from "./source.js";

export type Severity = "error" | "warning";

/** A problem found in the user's input: a value, collected and rendered at the edge. */
export interface Diagnostic {
  readonly severity: Severity;
  /** One sentence saying what is wrong. */
  readonly summary: string;
  /** Optional longer text: why, and what to do. */
  readonly detail?: string;
  /** Where it is, when it comes from a file. */
  readonly range?: SourceRange;
  /** Other places that explain it (e.g. every edge of a cycle). */
  readonly related?: ReadonlyArray<{ readonly message: string; readonly range: SourceRange }>;
}

/**
 * Thrown to carry diagnostics out of a stage that cannot go on.
 * The CLI renders them and exits non-zero; any other exception is a bug.
 */
export class DiagnosticError extends InputError {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: Diagnostic | readonly Diagnostic[]) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics as Diagnostic];
    super(list.map((d) => renderDiagnosticLine(d)).join("\n"));
    this.name = "DiagnosticError";
    this.diagnostics = list;
  }
}

export function error(summary: string, range?: SourceRange, detail?: string): Diagnostic {
  return { severity: "error", summary, ...(range ? { range } : {}), ...(detail ? { detail } : {}) };
}

/** "file:line:col: summary" (or just the summary without a range). */
export function renderDiagnosticLine(d: Diagnostic): string {
  return d.range ? `${formatPosition(d.range)}: ${d.summary}` : d.summary;
}

function renderSnippet(range: SourceRange): string[] {
  const start = lineColumnAt(range.file, range.start);
  const end = lineColumnAt(range.file, Math.max(range.start, range.end - 1));
  const text = lineText(range.file, start.line).replace(/\t/g, " ");
  const width = end.line === start.line ? Math.max(1, end.column - start.column + 1) : 1;
  const gutter = String(start.line).length;
  return [
    `${" ".repeat(gutter)} |`,
    `${start.line} | ${text}`,
    `${" ".repeat(gutter)} | ${" ".repeat(start.column - 1)}${"^".repeat(Math.min(width, Math.max(1, text.length - start.column + 2)))}`,
  ];
}

/** The full text of a diagnostic: position, summary, source line with a caret, detail, related places. */
export function renderDiagnostic(d: Diagnostic): string {
  const lines = [`${d.severity}: ${renderDiagnosticLine(d)}`];
  if (d.range) lines.push(...renderSnippet(d.range));
  if (d.detail) lines.push(d.detail);
  for (const r of d.related ?? []) {
    lines.push(`  ${formatPosition(r.range)}: ${r.message}`);
  }
  return lines.join("\n");
}
