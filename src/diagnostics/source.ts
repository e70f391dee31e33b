/** A source file as the user wrote it; positions are offsets into `text`. */
export interface SourceFile {
  /** The name shown to users (a path relative to the working directory, or "-" for stdin). */
  readonly name: string;
  readonly text: string;
}

/** A 1-based line and column, computed on demand from an offset. */
export interface LineColumn {
  readonly line: number;
  readonly column: number;
}

/** A half-open range [start, end) of offsets in one file. */
export interface SourceRange {
  readonly file: SourceFile;
  readonly start: number;
  readonly end: number;
}

const lineStartsCache = new WeakMap<SourceFile, number[]>();

function lineStarts(file: SourceFile): number[] {
  let starts = lineStartsCache.get(file);
  if (!starts) {
    starts = [0];
    const text = file.text;
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) starts.push(i + 1);
    }
    lineStartsCache.set(file, starts);
  }
  return starts;
}

/** Line and column (both 1-based; column counts UTF-16 code units + 1) of an offset. */
export function lineColumnAt(file: SourceFile, offset: number): LineColumn {
  const starts = lineStarts(file);
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}

/** The text of a 1-based line, without its line break. */
export function lineText(file: SourceFile, line: number): string {
  const starts = lineStarts(file);
  const start = starts[line - 1];
  if (start === undefined) return "";
  const next = starts[line];
  const end = next === undefined ? file.text.length : next - 1;
  return file.text.slice(start, end).replace(/\r$/, "");
}

/** "file:line:column" for a range's start. */
export function formatPosition(range: SourceRange): string {
  const { line, column } = lineColumnAt(range.file, range.start);
  return `${range.file.name}:${line}:${column}`;
}
