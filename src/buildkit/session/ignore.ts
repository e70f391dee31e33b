/**
 * Docker's ignore patterns (.dockerignore, and the include/exclude patterns BuildKit
 * sends): `*`, `?`, `[...]`, `**` across directories, `!` exceptions, the last
 * matching pattern wins, and a pattern that matches a directory covers its contents.
 */
interface Pattern {
  readonly regex: RegExp;
  readonly exclusion: boolean;
  readonly text: string;
}

function cleanPath(p: string): string {
  const parts: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}

function compile(pattern: string): RegExp {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        if (pattern[i + 1] === "/") {
          i++;
          re += "(?:.*/)?";
        } else re += ".*";
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 1);
      if (close < 0) re += "\\[";
      else {
        let cls = pattern.slice(i + 1, close);
        if (cls.startsWith("!") || cls.startsWith("^")) cls = `^${cls.slice(1)}`;
        re += `[${cls.replace(/\\/g, "\\\\")}]`;
        i = close;
      }
    } else if (c === "\\" && i + 1 < pattern.length) {
      re += `\\${pattern[++i]}`;
    } else re += c.replace(/[.+^${}()|]/g, "\\$&");
  }
  return new RegExp(`${re}$`);
}

export class IgnoreMatcher {
  readonly patterns: Pattern[];
  constructor(lines: readonly string[]) {
    this.patterns = lines
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"))
      .map((l) => {
        const exclusion = l.startsWith("!");
        const body = cleanPath(exclusion ? l.slice(1).trim() : l);
        return { regex: compile(body), exclusion, text: l };
      })
      .filter((p) => p.text !== "!");
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  get hasExclusions(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }

  /** Whether `path` (relative, "/"-separated) is matched: by itself or through a parent directory. */
  matches(path: string): boolean {
    if (this.patterns.length === 0) return false;
    const clean = cleanPath(path);
    const parents: string[] = [];
    const parts = clean.split("/");
    for (let i = 1; i <= parts.length; i++) parents.push(parts.slice(0, i).join("/"));
    let matched = false;
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue;
      if (parents.some((candidate) => p.regex.test(candidate))) matched = !p.exclusion;
    }
    return matched;
  }
}

export function parseDockerignore(text: string): string[] {
  return text.split(/\r?\n/);
}
