import { InputError } from "./error-kind.js";
import { printable } from "./printable.js";
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

/** How many errors of one file are kept; the rest are counted (see capDiagnostics). */
export const MAX_ERRORS_PER_FILE = 10;

/** "file:line:col: summary" (or just the summary without a range), safe to print. */
export function renderDiagnosticLine(d: Diagnostic): string {
  return printable(d.range ? `${formatPosition(d.range)}: ${d.summary}` : d.summary);
}

/** How much of a long source line a snippet shows around the error. */
const SNIPPET_WIDTH = 120;

function renderSnippet(range: SourceRange): string[] {
  const start = lineColumnAt(range.file, range.start);
  const end = lineColumnAt(range.file, Math.max(range.start, range.end - 1));
  const line = lineText(range.file, start.line).replace(/\t/g, " ");
  const width = end.line === start.line ? Math.max(1, end.column - start.column + 1) : 1;
  // A window of a long line, starting a little before the error.
  const from = line.length > SNIPPET_WIDTH ? Math.max(0, start.column - 1 - 40) : 0;
  const to = Math.min(line.length, from + SNIPPET_WIDTH);
  const head = from > 0 ? "…" : "";
  const tail = to < line.length ? "…" : "";
  // Escapes make characters wider: measure the caret's place in the escaped text.
  const before = head + printable(line.slice(from, start.column - 1));
  const marked = printable(line.slice(start.column - 1, Math.min(to, start.column - 1 + width)));
  const gutter = String(start.line).length;
  return [
    `${" ".repeat(gutter)} |`,
    `${start.line} | ${head}${printable(line.slice(from, to))}${tail}`,
    `${" ".repeat(gutter)} | ${" ".repeat(before.length)}${"^".repeat(Math.max(1, marked.length))}`,
  ];
}

/** The full text of a diagnostic: position, summary, source line with a caret, detail, related places. */
export function renderDiagnostic(d: Diagnostic): string {
  const lines = [`${d.severity}: ${renderDiagnosticLine(d)}`];
  if (d.range) lines.push(...renderSnippet(d.range));
  if (d.detail) lines.push(printable(d.detail));
  const related = d.related ?? [];
  for (const r of related.slice(0, MAX_ERRORS_PER_FILE)) {
    lines.push(`  ${printable(`${formatPosition(r.range)}: ${r.message}`)}`);
  }
  // A cycle through hundreds of variables names every one of them: show the first few.
  if (related.length > MAX_ERRORS_PER_FILE)
    lines.push(`  and ${related.length - MAX_ERRORS_PER_FILE} more places, not shown`);
  return lines.join("\n");
}

/** "Too many errors; N more errors in FILE are not shown." */
export function tooManyErrors(more: number, fileName: string): Diagnostic {
  return {
    severity: "error",
    summary: `Too many errors; ${more} more error${more === 1 ? "" : "s"} in ${fileName} ${more === 1 ? "is" : "are"} not shown.`,
  };
}

/**
 * The first MAX_ERRORS_PER_FILE errors of one file's diagnostics, and one
 * saying how many more there were (a file of random bytes gives thousands).
 */
export function capDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  const errors = list.filter((d) => d.severity === "error");
  if (errors.length <= MAX_ERRORS_PER_FILE) return [...list];
  const kept: Diagnostic[] = [];
  let errorsKept = 0;
  for (const d of list) {
    if (d.severity !== "error") kept.push(d);
    else if (errorsKept < MAX_ERRORS_PER_FILE) {
      kept.push(d);
      errorsKept++;
    }
  }
  const fileName = errors.find((d) => d.range)?.range?.file.name ?? "the file";
  kept.push(tooManyErrors(errors.length - MAX_ERRORS_PER_FILE, fileName));
  return kept;
}
