/**
 * What `--call outline|targets|check` prints on stdout, as buildx bake prints it: per target
 * (sorted by name) its name, its description, a blank line and the frontend's answer; a
 * blank line between targets. The answer comes from the subrequest's result.* keys. Pure.
 */
import { isAbsolute, join } from "node:path";
import type { Target } from "../bake/model.js";

/** The Dockerfile frontend's subrequests a target's `call` can name (`check` is `lint`). */
export const subrequests = ["lint", "outline", "targets"];

/** `call` as the frontend names it: "check,format=json" -> "lint", "build" for a build. */
export function callName(call: string | undefined): string {
  const name = (call ?? "build").split(",")[0]!.trim();
  return name === "check" ? "lint" : name || "build";
}

/** The subrequest's answer: the result.* keys of the target's response. */
export type CallAnswer = Readonly<Record<string, string>>;

interface Position {
  readonly line?: number;
  readonly character?: number;
}
interface Range {
  readonly start?: Position;
  readonly end?: Position;
}
interface Location {
  readonly sourceIndex?: number;
  readonly ranges?: readonly Range[];
}
interface SourceInfo {
  readonly filename?: string;
  /** base64, as Go writes []byte in JSON. */
  readonly data?: string;
}
export interface LintResults {
  readonly warnings?: readonly {
    readonly ruleName: string;
    readonly url?: string;
    readonly detail?: string;
    readonly location?: Location;
  }[];
  readonly sources?: readonly (SourceInfo | null)[];
  readonly buildError?: { readonly message: string; readonly location?: Location };
}

/** The Dockerfile's name as buildx shows it in warnings: "inline", or context joined with the path. */
export function dockerfileShownName(t: Target): string {
  if (t.dockerfileInline !== undefined) return "inline";
  const dockerfile = t.dockerfile ?? "Dockerfile";
  if (isAbsolute(dockerfile)) return dockerfile;
  return join(t.context ?? ".", dockerfile);
}

const lineOf = (p: Position | undefined): number => p?.line ?? 0;

/** The lines around a location, with ">>>" on the lines it covers (BuildKit's errdefs.Source.Print). */
export function sourceExcerpt(filename: string, text: string, ranges: readonly Range[]): string {
  if (ranges.length === 0) return "";
  const lines = text.split("\n");
  let start = Math.min(...ranges.map((r) => lineOf(r.start)));
  let end = Math.max(...ranges.map((r) => Math.max(lineOf(r.end), lineOf(r.start))));
  if (start > lines.length || start < 1) return "";
  if (end > lines.length) end = lines.length;
  const pad = end === start ? 4 : 2;
  const first = start;
  for (let p = 0; p < pad; p++) {
    if (start > 1) {
      start--;
      p++;
    }
    if (end !== lines.length) {
      end++;
      p++;
    }
  }
  const covered = (l: number) =>
    ranges.some((r) => lineOf(r.start) <= l && Math.max(lineOf(r.end), lineOf(r.start)) >= l);
  let out = `${filename}:${first}\n--------------------\n`;
  for (let i = start; i <= end; i++)
    out += ` ${String(i).padStart(3)} | ${covered(i) ? ">>>" : "   "} ${lines[i - 1]}\n`;
  return `${out}--------------------\n`;
}

function excerptAt(results: LintResults, location: Location | undefined, filename: string): string {
  const index = location?.sourceIndex ?? 0;
  if (index < 0) return "";
  const source = results.sources?.[index];
  if (!source) return "";
  const text = Buffer.from(source.data ?? "", "base64").toString("utf8");
  return sourceExcerpt(filename, text, location?.ranges ?? []);
}

/** The error buildx reports for a check that hit a build error: its message and the lines around it. */
export function lintErrorText(results: LintResults, filename: string): string | undefined {
  if (!results.buildError) return undefined;
  return `${results.buildError.message}\n${excerptAt(results, results.buildError.location, filename)}`;
}

/** `--call check`: the warnings by file and line, then the build error if the frontend hit one. */
function lintText(results: LintResults, filename: string): { text: string; error?: string } {
  const warnings = [...(results.warnings ?? [])].sort((a, b) => {
    const ia = a.location?.sourceIndex ?? 0;
    const ib = b.location?.sourceIndex ?? 0;
    if (ia < 0 || ib < 0) return ia < 0 && ib < 0 ? a.ruleName.localeCompare(b.ruleName) : ia - ib;
    const ra = a.location?.ranges ?? [];
    const rb = b.location?.ranges ?? [];
    if (ra.length === 0 || rb.length === 0)
      return ra.length === 0 && rb.length === 0
        ? a.ruleName.localeCompare(b.ruleName)
        : ra.length - rb.length;
    return lineOf(ra[0]!.start) - lineOf(rb[0]!.start);
  });
  let text = "";
  if (warnings.length > 0)
    text += `Check complete, ${warnings.length === 1 ? "1 warning has" : `${warnings.length} warnings have`} been found!\n`;
  for (const w of warnings) {
    text += `\nWARNING: ${w.ruleName}${w.url ? ` - ${w.url}` : ""}\n${w.detail ?? ""}\n`;
    text += excerptAt(results, w.location, filename);
  }
  const error = lintErrorText(results, filename);
  if (error !== undefined) {
    if (warnings.length > 0) text += "\n";
    return { text, error };
  }
  if (warnings.length === 0) text += "Check complete, no warnings found.\n";
  return { text };
}

/** How `--call` prints: `ignorestatus=true` makes the frontend's status code count for nothing. */
export interface CallPrinting {
  readonly ignoreStatus?: boolean;
}

/**
 * The check's results from the answer's result.json; a JSON text that does not parse is the
 * error buildx reports for it.
 */
export function lintResultsOf(answer: CallAnswer): LintResults | { readonly unreadable: string } {
  const json = answer["result.json"];
  if (!json) return {};
  try {
    return JSON.parse(json) as LintResults;
  } catch (e) {
    return { unreadable: `the frontend's check results are not JSON: ${(e as Error).message}` };
  }
}

/** One target's answer as buildx prints it, the exit status it asks for, and whether it failed. */
export function callResultText(
  call: string,
  answer: CallAnswer,
  target: Target,
  printing: CallPrinting = {},
): { text: string; status: number; failed?: boolean } {
  if (call === "lint") {
    const results = lintResultsOf(answer);
    if ("unreadable" in results)
      return { text: `error: ${results.unreadable}\n`, status: 1, failed: true };
    const { text, error } = lintText(results, dockerfileShownName(target));
    if (error !== undefined) return { text: `${text}error: ${error}\n`, status: 1, failed: true };
    return { text, status: statusOf(answer, printing) };
  }
  const text = answer["result.txt"] ?? "";
  return { text, status: statusOf(answer, printing) };
}

/** The frontend's result.statuscode, 0 when absent or ignored. */
export function statusOf(answer: CallAnswer, printing: CallPrinting = {}): number {
  if (printing.ignoreStatus) return 0;
  const n = Number.parseInt(answer["result.statuscode"] ?? "0", 10);
  return Number.isNaN(n) ? 0 : n;
}

/** The run's status as buildx works it out: 1 once a target failed, else the first non-zero status. */
export function combineStatus(status: number, one: { status: number; failed?: boolean }): number {
  if (one.failed) return 1;
  return status === 0 ? one.status : status;
}

/** Every answered target's block, sorted by name, and the status buildx exits with. */
export function callOutput(
  answers: ReadonlyMap<string, { readonly call: string; readonly answer: CallAnswer }>,
  targets: Readonly<Record<string, Target>>,
  printing: CallPrinting = {},
): { text: string; status: number } {
  let text = "";
  let status = 0;
  const names = [...answers.keys()].sort();
  for (const [i, name] of names.entries()) {
    const { call, answer } = answers.get(name)!;
    const target = targets[name]!;
    if (i > 0) text += "\n";
    text += `${name}\n`;
    if (target.description) text += `${target.description}\n`;
    text += "\n";
    const one = callResultText(call, answer, target, printing);
    text += one.text;
    status = combineStatus(status, one);
  }
  return { text, status };
}
