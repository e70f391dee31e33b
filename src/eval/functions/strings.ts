/** String functions of cty's standard library, as bake offers them. */
import type { HclFunction } from "../function.js";
import { type Value, valueToNumber, valueToString } from "../value.js";
import { define } from "./define.js";
import { formatValue } from "./format.js";

// Made on first use: creating a Segmenter loads ICU data (about 100 ms), which a bake
// file that never counts graphemes should not pay for.
let segmenter: Intl.Segmenter | undefined;
export function graphemes(s: string): string[] {
  segmenter ??= new Intl.Segmenter("en", { granularity: "grapheme" });
  return Array.from(segmenter.segment(s), (g) => g.segment);
}

const str = (v: Value) => valueToString(v);

export const stringFunctions: Record<string, HclFunction> = {
  chomp: define(["str"], ([s]) => str(s!).replace(/(?:\r\n?|\n)*$/, "")),
  indent: define(["spaces", "str"], ([n, s]) => {
    const pad = " ".repeat(valueToNumber(n!));
    return str(s!).replace(/\n/g, `\n${pad}`);
  }),
  lower: define(["str"], ([s]) => str(s!).toLowerCase()),
  upper: define(["str"], ([s]) => str(s!).toUpperCase()),
  title: define(["str"], ([s]) =>
    str(s!).replace(
      /(^|[^\p{L}\p{N}'])(\p{L})/gu,
      (_, pre: string, c: string) => pre + c.toUpperCase(),
    ),
  ),
  reverse: define(["str"], ([s]) => graphemes(str(s!)).reverse().join("")),
  strlen: define(["str"], ([s]) => graphemes(str(s!)).length),
  substr: define(["str", "offset", "length"], ([s, o, l]) => {
    const chars = graphemes(str(s!));
    let offset = valueToNumber(o!);
    let length = valueToNumber(l!);
    if (!Number.isInteger(offset) || !Number.isInteger(length))
      throw new Error("offset and length must be whole numbers");
    if (offset < 0) offset = Math.max(0, chars.length + offset);
    if (offset > chars.length) return "";
    if (length < 0) length = chars.length - offset;
    return chars.slice(offset, offset + length).join("");
  }),
  split: define(["separator", "str"], ([sep, s]) => str(s!).split(str(sep!))),
  join: define(
    ["separator"],
    ([sep, ...lists]) => {
      if (lists.length === 0) throw new Error("at least one list is required");
      const items: string[] = [];
      for (const list of lists) {
        if (!Array.isArray(list)) throw new Error("lists must be lists of strings");
        for (const item of list) {
          if (item === null) throw new Error("element is null: cannot concatenate null values");
          items.push(str(item));
        }
      }
      return items.join(str(sep!));
    },
    { variadic: "lists" },
  ),
  replace: define(["str", "substr", "replace"], ([s, sub, rep]) =>
    str(s!).split(str(sub!)).join(str(rep!)),
  ),
  trim: define(["str", "cutset"], ([s, cut]) => {
    const set = new Set(Array.from(str(cut!)));
    const chars = Array.from(str(s!));
    let a = 0;
    let b = chars.length;
    while (a < b && set.has(chars[a]!)) a++;
    while (b > a && set.has(chars[b - 1]!)) b--;
    return chars.slice(a, b).join("");
  }),
  trimprefix: define(["str", "prefix"], ([s, p]) => {
    const v = str(s!);
    const pre = str(p!);
    return v.startsWith(pre) ? v.slice(pre.length) : v;
  }),
  trimsuffix: define(["str", "suffix"], ([s, p]) => {
    const v = str(s!);
    const suf = str(p!);
    return suf !== "" && v.endsWith(suf) ? v.slice(0, v.length - suf.length) : v;
  }),
  trimspace: define(["str"], ([s]) =>
    str(s!).replace(/^[\s\u0085\u00a0]+|[\s\u0085\u00a0]+$/gu, ""),
  ),
  format: define(["format"], ([f, ...args]) => formatValue(str(f!), args), {
    variadic: "args",
    allowNull: ["args"],
  }),
  formatlist: define(
    ["format"],
    ([f, ...args]) => {
      let n: number | undefined;
      for (const a of args) {
        if (Array.isArray(a)) {
          if (n !== undefined && n !== a.length)
            throw new Error("all list arguments must have the same length");
          n = a.length;
        }
      }
      if (n === undefined) return [formatValue(str(f!), args)];
      return Array.from({ length: n }, (_, i) =>
        formatValue(
          str(f!),
          args.map((a) => (Array.isArray(a) ? a[i]! : a)),
        ),
      );
    },
    { variadic: "args", allowNull: ["args"] },
  ),
  sanitize: define(["name"], ([s]) => str(s!).replace(/[^a-zA-Z0-9_-]/gu, "_")),
  basename: define(["path"], ([p]) => goBase(str(p!))),
  dirname: define(["path"], ([p]) => goDir(str(p!))),
};

/** Go's path.Clean. */
export function goClean(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
    } else out.push(part);
  }
  const joined = out.join("/");
  if (rooted) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/** Go's path.Base. */
export function goBase(p: string): string {
  if (p === "") return ".";
  const trimmed = p.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** Go's path.Dir. */
export function goDir(p: string): string {
  const i = p.lastIndexOf("/");
  return goClean(p.slice(0, i + 1));
}
