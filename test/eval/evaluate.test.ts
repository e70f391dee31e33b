/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL source text is written in plain strings */
import { describe, expect, it } from "vitest";
import { DiagnosticError, lineColumnAt } from "../../src/diagnostics/index.js";
import {
  builtinFunctions,
  type EvalContext,
  evaluate,
  unknownVariable,
  type Value,
} from "../../src/eval/index.js";
import { parseHclExpression } from "../../src/hcl/parse.js";

const functions = builtinFunctions();

function ctx(vars: Record<string, Value> = {}): EvalContext {
  return {
    functions,
    lookup: (name, range) =>
      Object.hasOwn(vars, name) ? vars[name]! : unknownVariable(name, range, Object.keys(vars)),
  };
}

function ev(text: string, vars: Record<string, Value> = {}): Value {
  const { expr, diagnostics } = parseHclExpression({ name: "expr.hcl", text });
  expect(diagnostics).toEqual([]);
  return evaluate(expr!, ctx(vars));
}

function evError(text: string, vars: Record<string, Value> = {}): DiagnosticError {
  try {
    ev(text, vars);
  } catch (err) {
    if (err instanceof DiagnosticError) return err;
    throw err;
  }
  throw new Error(`expected ${text} to fail`);
}

describe("expressions", () => {
  it("does arithmetic, comparison and logic with HCL's conversions", () => {
    expect(ev("1 + 2 * 3")).toBe(7);
    expect(ev('"2" * 3')).toBe(6);
    expect(ev("7 % 4 == 3 && !false")).toBe(true);
    expect(ev('1 == "1"')).toBe(false);
    expect(ev("[1, [2]] == [1, [2]]")).toBe(true);
    expect(ev("-x", { x: 4 })).toBe(-4);
  });

  it("keeps the value of a template that is a single interpolation", () => {
    expect(ev('"${x}"', { x: [1, 2] })).toEqual([1, 2]);
    expect(ev('"v${x}-${y}"', { x: 1.5, y: true })).toBe("v1.5-true");
    expect(ev('"%{for i, v in xs}${i}=${v};%{endfor}"', { xs: ["a", "b"] })).toBe("0=a;1=b;");
    expect(ev('"%{if x}yes%{else}no%{endif}"', { x: false })).toBe("no");
  });

  it("indexes, gets attributes and splats", () => {
    const vars = {
      objs: [
        { name: "a", tags: ["x"] },
        { name: "b", tags: ["y"] },
      ],
      m: { k: "v" },
    };
    expect(ev("objs[*].name", vars)).toEqual(["a", "b"]);
    expect(ev("objs.*.tags", vars)).toEqual([["x"], ["y"]]);
    expect(ev("objs[1].tags[0]", vars)).toBe("y");
    expect(ev('m["k"]', vars)).toBe("v");
    expect(ev("null[*]", vars)).toEqual([]);
  });

  it("evaluates for expressions over lists and objects (sorted keys)", () => {
    expect(ev("[for v in [1, 2, 3] : v * 2 if v != 2]")).toEqual([2, 6]);
    expect(ev("{ for k, v in { b = 1, a = 2 } : v => k }")).toEqual({ "1": "b", "2": "a" });
    expect(ev('{ for s in ["a", "b", "a"] : s => s... }')).toEqual({ a: ["a", "a"], b: ["b"] });
  });

  it("reports errors at the expression with a suggestion", () => {
    const e = evError("tagg", { tag: "1" });
    expect(e.diagnostics[0]!.summary).toBe(
      'Unknown variable; There is no variable named "tagg" (did you mean "tag"?).',
    );
    const r = e.diagnostics[0]!.range!;
    expect(lineColumnAt(r.file, r.start)).toEqual({ line: 1, column: 1 });
    expect(evError("{ a = 1 }.b").diagnostics[0]!.summary).toMatch(
      /does not have an attribute named "b"/,
    );
    expect(evError("[1][3]").diagnostics[0]!.summary).toMatch(/index 3 is out of range/);
    expect(evError("uper(1)").diagnostics[0]!.summary).toMatch(
      /There is no function named "uper" \(did you mean "upper"\?\)/,
    );
    expect(evError('{ for s in ["a", "a"] : s => s }').diagnostics[0]!.summary).toMatch(
      /Duplicate object key/,
    );
    expect(evError('"a${null}"').diagnostics[0]!.summary).toMatch(/null/);
  });
});

describe("built-in functions", () => {
  it("has exactly buildx's list", async () => {
    const { builtinFunctionNames } = await import("../../src/eval/index.js");
    expect(builtinFunctionNames).toHaveLength(102);
    expect(builtinFunctionNames).toContain("indexof");
    expect(builtinFunctionNames).toContain("sanitize");
    expect(builtinFunctionNames).not.toContain("lookup_or_default");
  });

  it("strings", () => {
    expect(ev('split(".", "1.2.3")')).toEqual(["1", "2", "3"]);
    expect(ev('split(",", "")')).toEqual([""]);
    expect(ev('join("-", ["a"], ["b", "c"])')).toBe("a-b-c");
    expect(ev('chomp("x\\n\\r\\n")')).toBe("x");
    expect(ev('indent(2, "a\\nb")')).toBe("a\n  b");
    expect(ev('title("hello world")')).toBe("Hello World");
    expect(ev('substr("hello", -3, -1)')).toBe("llo");
    expect(ev('trim("?!hi!?", "!?")')).toBe("hi");
    expect(ev('trimsuffix("file.tar.gz", ".gz")')).toBe("file.tar");
    expect(ev('replace("a.b.c", ".", "/")')).toBe("a/b/c");
    expect(ev('sanitize("a/b:c")')).toBe("a_b_c");
    expect(ev('basename("/a/b/")')).toBe("b");
    expect(ev('dirname("a/b/c")')).toBe("a/b");
    expect(ev('strlen("héllo")')).toBe(5);
  });

  it("format with Go verbs", () => {
    expect(ev('format("%s-%03d-%.2f-%t-%q", "a", 7, 3.14159, true, "x")')).toBe(
      'a-007-3.14-true-"x"',
    );
    expect(ev('format("%[2]s %[1]s", "a", "b")')).toBe("b a");
    expect(ev('format("%v %#v", [1], { a = "b" })')).toBe('[1] {"a":"b"}');
    expect(ev('format("%x %X %5s|%-5s|", 255, 255, "r", "l")')).toBe("ff FF     r|l    |");
    expect(ev('formatlist("%s=%s", ["a", "b"], "x")')).toEqual(["a=x", "b=x"]);
    expect(evError('format("%s %s", "a")').diagnostics[0]!.summary).toMatch(/not enough arguments/);
  });

  it("collections and sets", () => {
    expect(ev('concat(["a"], ["b"])')).toEqual(["a", "b"]);
    expect(ev("element([1, 2, 3], 4)")).toBe(2);
    expect(ev("flatten([[1, [2]], 3])")).toEqual([1, 2, 3]);
    expect(ev("merge({ a = 1 }, { b = 2 }, { a = 3 })")).toEqual({ a: 3, b: 2 });
    expect(ev("keys({ b = 1, a = 2 })")).toEqual(["a", "b"]);
    expect(ev("values({ b = 1, a = 2 })")).toEqual([2, 1]);
    expect(ev('lookup({ a = 1 }, "b", "d")')).toBe("d");
    expect(ev("range(1, 4)")).toEqual([1, 2, 3]);
    expect(ev("range(3)")).toEqual([0, 1, 2]);
    expect(ev("range(0, 1, 0.25)")).toEqual([0, 0.25, 0.5, 0.75]);
    expect(ev('sort(["b", "a", "C"])')).toEqual(["C", "a", "b"]);
    expect(ev('distinct(["a", "b", "a"])')).toEqual(["a", "b"]);
    expect(ev('setproduct(["a", "b"], [1, 2])')).toEqual([
      ["a", 1],
      ["a", 2],
      ["b", 1],
      ["b", 2],
    ]);
    expect(ev("slice([1, 2, 3], 1, 3)")).toEqual([2, 3]);
    expect(ev("chunklist([1, 2, 3], 2)")).toEqual([[1, 2], [3]]);
    expect(ev('zipmap(["a", "b"], [1, 2])')).toEqual({ a: 1, b: 2 });
    expect(ev('coalesce(null, "", "x")')).toBe("");
    expect(ev('compact(["a", "", "b"])')).toEqual(["a", "b"]);
    expect(ev('indexof(["a", "b"], "b")')).toBe(1);
    expect(ev('index(["a", "b"], 1)')).toBe("b");
    expect(ev("length({ a = 1 })")).toBe(1);
    expect(ev("concat(xs...)", { xs: [["a"], ["b"]] })).toEqual(["a", "b"]);
  });

  it("index() and hasindex() take a tuple, a list or a map and a key of its exact type, as cty does", () => {
    const failed = (text: string) => evError(text).diagnostics[0]!.summary;
    expect(failed('index({ a = 1 }, "a")')).toMatch(/collection must be a list, a map or a tuple/);
    expect(failed('index(range(2), "1")')).toMatch(/key for list must be number/);
    expect(failed('index(["a"], "0")')).toMatch(/key for tuple must be number/);
    expect(failed('index(["a"], 1)')).toMatch(/key must be between 0 and 1 inclusive/);
    expect(failed("index(range(2), 5)")).toMatch(/invalid index/);
    expect(failed('hasindex(setunion(["a"]), 0)')).toMatch(/collection must be a list/);
    expect(ev('[hasindex(["a"], "0"), hasindex(["a"], 0), hasindex(range(1), 0.5)]')).toEqual([
      false,
      true,
      false,
    ]);
    expect(ev("index(range(3), 2)")).toBe(2);
  });

  it("numbers, encodings, hashes", () => {
    expect(ev('parseint("ff", 16)')).toBe(255);
    expect(ev("max(1, 5, 3) + min(2, 0)")).toBe(5);
    expect(ev("pow(2, 10)")).toBe(1024);
    expect(ev('sha256("hello")')).toBe(
      "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
    );
    expect(ev('md5("hello")')).toBe("5d41402abc4b2a76b9719d911017c592");
    expect(ev('base64decode(base64encode("héllo"))')).toBe("héllo");
    expect(ev('urlencode("a b&c")')).toBe("a+b%26c");
    expect(ev("jsonencode({ b = [1, true], a = null })")).toBe('{"a":null,"b":[1,true]}');
    expect(ev('jsondecode("{\\"a\\": [1, 2]}")')).toEqual({ a: [1, 2] });
    expect(ev('csvdecode("a,b\\n1,2\\n")')).toEqual([{ a: "1", b: "2" }]);
    expect(ev('uuidv5("dns", "example.com")')).toBe("cfbff0d1-9375-5685-968c-48ce8b15ae17");
    expect(ev("uuidv4()")).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it("dates", () => {
    expect(ev('formatdate("YYYY-MM-DD hh:mm:ss ZZZZZ EEE MMM", "2024-03-05T07:08:09Z")')).toBe(
      "2024-03-05 07:08:09 +00:00 Tue Mar",
    );
    expect(ev("formatdate(\"h:mm AA 'o''clock'\", \"2024-03-05T19:08:09+02:00\")")).toBe(
      "19:08 PM o'clock",
    );
    expect(ev('timeadd("2024-01-01T00:00:00Z", "1h30m")')).toBe("2024-01-01T01:30:00Z");
    expect(ev("timestamp()")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(evError('formatdate("YYYY", "yesterday")').diagnostics[0]!.summary).toMatch(/RFC3339/);
  });

  it("regular expressions in Go syntax", () => {
    expect(ev('regex("v([0-9]+)\\\\.([0-9]+)", "v1.22")')).toEqual(["1", "22"]);
    expect(ev('regex("(?P<major>\\\\d+)\\\\.(?P<minor>\\\\d+)", "1.2")')).toEqual({
      major: "1",
      minor: "2",
    });
    expect(ev('regex("[a-z]+", "123abc")')).toBe("abc");
    expect(ev('regexall("[0-9]", "a1b2")')).toEqual(["1", "2"]);
    expect(ev('regex_replace("a-b-c", "-(.)", "_$1")')).toBe("a_b_c");
  });

  it("cidr", () => {
    expect(ev('cidrsubnet("10.0.0.0/16", 8, 2)')).toBe("10.0.2.0/24");
    expect(ev('cidrhost("10.0.0.0/24", -2)')).toBe("10.0.0.254");
    expect(ev('cidrnetmask("172.16.0.0/12")')).toBe("255.240.0.0");
    expect(ev('cidrsubnets("10.1.0.0/16", 4, 4, 8)')).toEqual([
      "10.1.0.0/20",
      "10.1.16.0/20",
      "10.1.32.0/24",
    ]);
    expect(ev('cidrsubnet("fd00::/48", 16, 1)')).toBe("fd00:0:0:1::/64");
  });

  it("try, can and convert see their arguments unevaluated", () => {
    expect(ev('try(x.missing, "fallback")', { x: {} })).toBe("fallback");
    expect(ev("can(x.missing)", { x: {} })).toBe(false);
    expect(ev('convert("1", number)')).toBe(1);
    expect(ev("convert([1, 1], set(string))")).toEqual(["1"]);
  });
});

describe("errors from a function's own checks", () => {
  it("point at the call when the function knows no position (fuzz finding)", () => {
    const err = evError("upper(format([]))");
    const d = err.diagnostics[0]!;
    expect(d.summary).toBe("Invalid value: a string is required, but a tuple was given.");
    expect(d.range).toBeDefined();
    expect(lineColumnAt(d.range!.file, d.range!.start)).toEqual({ line: 1, column: 7 });
  });
});
