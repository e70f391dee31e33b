/**
 * Reading mbake's plain progress as a user does: how a step ended (`#N CACHED`, `#N DONE
 * 1.2s`, `#N ERROR: ...`), whatever lines (log, transfers, warnings) come between its
 * name and its end. A step BuildKit started again (to pull its cached layers) ends twice.
 */

/** The endings of the steps whose name matches `name`, in order: CACHED, DONE or ERROR. */
export function stepEndings(plain: string, name: RegExp): string[] {
  const lines = plain.split("\n");
  const steps = new Set<string>();
  for (const line of lines) {
    const m = /^#(\d+) \[[^\]]*\] (.*)$/.exec(line);
    if (m && name.test(m[2]!)) steps.add(m[1]!);
  }
  const endings: string[] = [];
  for (const line of lines) {
    const m = /^#(\d+) (CACHED|DONE|ERROR)\b/.exec(line);
    if (m && steps.has(m[1]!)) endings.push(m[2]!);
  }
  return endings;
}
