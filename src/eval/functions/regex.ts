/** regex, regexall and regex_replace with Go's RE2 syntax translated to JavaScript. */
import type { HclFunction } from "../function.js";
import { record, type Value, valueToString } from "../value.js";
import { define } from "./define.js";

/** Compiles an RE2 pattern: named groups (?P<n>...), leading flag groups, \A and \z. */
export function compileRe2(pattern: string, global = false): RegExp {
  let flags = `u${global ? "g" : ""}`;
  let body = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(body);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === "U") throw new Error("the U (ungreedy) flag is not supported");
      if (!flags.includes(f)) flags += f;
    }
    body = body.slice(lead[0].length);
  }
  body = body
    .replace(/\(\?P</g, "(?<")
    .replace(/\\A/g, "^")
    .replace(/\\z/g, "$(?![\\s\\S])");
  try {
    return new RegExp(body, flags);
  } catch (err) {
    throw new Error(`invalid regular expression pattern: ${(err as Error).message}`);
  }
}

function captures(re: RegExp, m: RegExpExecArray): Value {
  const groupCount = m.length - 1;
  if (groupCount === 0) return m[0];
  if (m.groups && Object.keys(m.groups).length > 0) {
    const out = record<Value>();
    for (const [k, v] of Object.entries(m.groups)) out[k] = v ?? null;
    return out;
  }
  void re;
  return m.slice(1).map((v) => v ?? null);
}

const str = (v: Value) => valueToString(v);

export const regexFunctions: Record<string, HclFunction> = {
  regex: define(["pattern", "string"], ([p, s]) => {
    const re = compileRe2(str(p!));
    const m = re.exec(str(s!));
    if (!m) throw new Error("pattern did not match any part of the given string");
    return captures(re, m);
  }),
  regexall: define(["pattern", "string"], ([p, s]) => {
    const re = compileRe2(str(p!), true);
    const out: Value[] = [];
    const text = str(s!);
    for (let m = re.exec(text); m; m = re.exec(text)) {
      out.push(captures(re, m));
      if (m[0] === "") re.lastIndex++;
    }
    return out;
  }),
  regex_replace: define(["str", "substr", "replace"], ([s, p, r]) => {
    const re = compileRe2(str(p!), true);
    // Go's template syntax: $1, ${1}, $name, ${name}; $$ is a literal dollar.
    const replacement = str(r!)
      .replace(/\$\$/g, "\u0000")
      .replace(/\$\{(\d+)\}/g, "$$$1")
      .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, "$$<$1>")
      .replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, "$$<$1>")
      .replace(/\u0000/g, "$$$$");
    return str(s!).replace(re, replacement);
  }),
};
