/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL source text is written in plain strings */
/**
 * Our parser against HashiCorp's (the hcl2-parser package): every fixture, every
 * example bake file, and a few hundred generated files must give the same structure.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseHcl } from "../../src/hcl/parse.js";
import { bodyToJson } from "./hcl2json.js";

const require = createRequire(import.meta.url);
const hcl2 = require("hcl2-parser") as { parseToObject(text: string): [unknown, unknown] };

function reference(text: string): { value: unknown; ok: boolean } {
  const [value, error] = hcl2.parseToObject(text);
  const failed =
    value === null ||
    (error !== null && error !== undefined && Object.keys(error as object).length > 0);
  return { value, ok: !failed };
}

function ours(name: string, text: string) {
  const r = parseHcl({ name, text });
  return { value: bodyToJson(r.body), ok: r.diagnostics.length === 0, diagnostics: r.diagnostics };
}

const root = new URL("../../", import.meta.url).pathname;
const fixtureDir = join(root, "test/fixtures/hcl");
const files = [
  ...readdirSync(fixtureDir).map((f) => join(fixtureDir, f)),
  join(root, "build.hcl"),
  ...["cross", "monorepo", "inline", "private-registry"].map((e) =>
    join(root, "examples", e, "docker-bake.hcl"),
  ),
];

describe("our parser agrees with HashiCorp's", () => {
  for (const file of files) {
    it(file.slice(root.length), () => {
      const text = readFileSync(file, "utf8");
      const ref = reference(text);
      const got = ours(file, text);
      expect(got.diagnostics).toEqual([]);
      expect(ref.ok).toBe(true);
      expect(got.value).toEqual(ref.value);
    });
  }
});

// ---------------------------------------------------------------- a seeded generator

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generator(seed: number) {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const names = ["app", "base", "tags", "args", "x", "y_1", "my-var", "target", "item"];
  const strings = ["", "a", "hello world", "linux/amd64", "x-y_z", "ünï", "a.b.c"];
  const ops = ["+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||"];
  const expr = (depth: number): string => {
    const leaf = depth <= 0 || r() < 0.3;
    if (leaf) {
      return pick([
        () => String(Math.floor(r() * 1000)),
        () => `${Math.floor(r() * 100)}.${Math.floor(r() * 100)}`,
        () => `"${pick(strings)}"`,
        () => pick(["true", "false", "null"]),
        () => pick(names),
        () => `"\${${pick(names)}}-${pick(strings)}"`,
        () => `-${Math.floor(r() * 50)}`,
      ])();
    }
    return pick([
      () => `[${Array.from({ length: Math.floor(r() * 4) }, () => expr(depth - 1)).join(", ")}]`,
      () =>
        `{ ${Array.from({ length: Math.floor(r() * 3) }, (_, i) => `k${i} = ${expr(depth - 1)}`).join(", ")} }`,
      () => `${expr(depth - 1)} ${pick(ops)} ${expr(depth - 1)}`,
      () =>
        `${pick(names)}(${Array.from({ length: Math.floor(r() * 3) }, () => expr(depth - 1)).join(", ")})`,
      () => `${expr(depth - 1)} ? ${expr(depth - 1)} : ${expr(depth - 1)}`,
      () => `[for v in ${pick(names)} : ${expr(depth - 1)}]`,
      () => `{ for k, v in ${pick(names)} : k => ${expr(depth - 1)} if v }`,
      () => `${pick(names)}.${pick(names)}[${Math.floor(r() * 3)}]`,
      () => `${pick(names)}[*].${pick(names)}`,
      () => `(${expr(depth - 1)})`,
      () => `!${pick(names)}`,
      () => `"%{ if ${pick(names)} }yes%{ else }no%{ endif }"`,
      () => `"a ${"${~"} ${pick(names)} ${"~}"} b"`,
      () => `"%{ for i, v in ${pick(names)} ~} ${"${v}"} %{~ endfor }"`,
      () => `${pick(names)}[*].${pick(names)}[0][*].${pick(names)}`,
      () => `${pick(names)}.*.${pick(names)}.0`,
      () => `{ for v in ${pick(names)} : v.k => ${expr(depth - 1)}... }`,
      () => `[\n  ${expr(depth - 1)},\n  ${expr(depth - 1)},\n]`,
      () => `{\n  ${pick(names)} = ${expr(depth - 1)}\n  "q" = 1\n}`,
      () => `${pick(names)}(\n  ${expr(depth - 1)},\n)`,
    ])();
  };
  const body = (depth: number): string => {
    const lines: string[] = [];
    const used = new Set<string>();
    const n = 1 + Math.floor(r() * 4);
    for (let i = 0; i < n; i++) {
      if (depth > 0 && r() < 0.35) {
        const type = pick(["target", "group", "variable", "function", "matrix"]);
        // One label count per block type: the reference converter cannot mix them.
        const labels =
          type === "matrix" ? [] : [r() < 0.5 ? `"${pick(names)}${i}"` : `${pick(names)}${i}`];
        lines.push(`${type} ${labels.join(" ")} {`, body(depth - 1), "}");
      } else {
        let name = pick(names.filter((n) => n !== "target"));
        while (used.has(name)) name = `${name}_${i}`;
        used.add(name);
        // Heredocs only as whole values: HCL v2.10 handles a heredoc followed by more
        // items inside a collection differently (a heredoc followed by more on a later line).
        const heredoc = pick([
          () => `<<-EOT\n    ${pick(strings)}\n      ${"${"}${pick(names)}}\n    EOT`,
          () => `<<EOT\n${pick(strings)} %{ if ${pick(names)} }x%{ endif }\nEOT`,
        ]);
        lines.push(`${name} = ${r() < 0.1 ? heredoc() : expr(3)}`);
      }
    }
    return lines.join("\n");
  };
  return () => `${body(2)}\n`;
}

describe("generated files", () => {
  const next = generator(20261125);
  const cases = Array.from({ length: 250 }, next);
  it("parse to the same structure in both parsers", () => {
    let compared = 0;
    for (const text of cases) {
      const ref = reference(text);
      const got = ours("gen.hcl", text);
      expect({ text, ok: got.ok, diagnostics: got.diagnostics.map((d) => d.summary) }).toEqual({
        text,
        ok: ref.ok,
        diagnostics: ref.ok ? [] : expect.anything(),
      });
      if (ref.ok) {
        expect({ text, value: got.value }).toEqual({ text, value: ref.value });
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(200);
  }, 120_000);
});

describe("tricky snippets", () => {
  // Valid and invalid one-liners around numbers, traversals, calls, splats and separators.
  const snippets: readonly string[] = [
    "x = a.b.c()",
    "x = f(a)(b)",
    'x = "${a}" "b"',
    "x = - - 1",
    "x = 1.",
    "x = .5",
    "x = 1e",
    "x = a[ 0 ]",
    "x = a [0]",
    "x = a . b",
    "x = f (1)",
    'x = {"a" = 1}["a"]',
    "x = [1][0]",
    'x = "a"[0]',
    "x = <<EOT\nEOT",
    "x = true.a",
    "x = null[0]",
    'a "b" "c" {}',
    "a b c d {}",
    'x = "\\$"',
    'x = "${}"',
    'x = "%{ if a }%{ endif }"',
    "x = { a = 1, }",
    "x = { , }",
    "x = [,]",
    "x = f(,)",
    "x = (a)(b)",
    "x = a.*",
    "x = a[*]",
    "x = a.*[0]",
    "x = [for x in y : x if]",
    "x = {for x in y : x => x if z}",
    "x = 1 == 2 == 3",
    "x = !1 + 2",
    "x = a&&b",
    "x = a||!b",
    "x = 9999999999999999999999",
    "x = 1e400",
    "x = a ? b : c",
    "x = a?b:c",
    "x = [for x in y: x]",
    'x = "${a.b[0]}-${c}"',
    "x = f(a, b...)",
    "x = f(a...)",
    "x = f(...)",
    "x = {a=1}.a",
    "x = [\n1\n,\n2\n]",
    "x = {\na = 1,\nb = 2\n}",
    "x = {a = 1\n, b = 2}",
    "x = (\n1\n)",
    "x = a\n.b",
    "x = <<-EOT\n  a\n   EOT\n",
    "x = 01",
    "x = 1.5e+3",
    "x = a.b-c",
    "x = a-1",
    "x = a -1",
    "x = -a.b",
    'x = "\\u00"',
    'x = "a\\"b"',
    "x = a[*][0]",
    "x = a.*.0",
    "x = { (a.b) = 1 }",
    'x = { "${a}" = 1 }',
    "x = { 1 = 2 }",
  ];
  it("are accepted or rejected, and read, as HashiCorp's parser does", () => {
    for (const snippet of snippets) {
      const text = `${snippet}\n`;
      const ref = reference(text);
      const got = ours("snippet.hcl", text);
      expect({ text, ok: got.ok }).toEqual({ text, ok: ref.ok });
      if (ref.ok) expect({ text, value: got.value }).toEqual({ text, value: ref.value });
    }
  });
});

describe("template snippets", () => {
  // Quoted templates and heredocs: escapes, sequences, strip markers, directives, markers.
  const snippets: readonly string[] = [
    'x = "${a}${b}"',
    'x = "$"',
    'x = "$a"',
    'x = "%"',
    'x = "%{"',
    'x = "${"',
    'x = "$${"',
    'x = "a$$b"',
    'x = "a%%b"',
    'x = "}"',
    'x = "{"',
    'x = "~"',
    'x = "${a~}"',
    'x = "${~a}"',
    'x = "%{if a}b%{endif}"',
    'x = "%{ if a ~}\n"',
    'x = "%{for v in a}${v},%{endfor}"',
    'x = "%{ for v in a }%{ if v }y%{ endif }%{ endfor }"',
    'x = "%{ else }"',
    'x = "%{ endfor }"',
    'x = "%{ if a }x%{ endfor }"',
    'x = "%{ bogus }"',
    'x = "${a ? "b" : "c"}"',
    'x = "${[for v in a : v]}"',
    'x = "${{for k, v in a : k => v}}"',
    'x = "x ${ a } y ${ b }"',
    "x = <<EOT\n${a}\nEOT",
    "x = <<EOT\n%{ for v in a }${v}\n%{ endfor }\nEOT",
    "x = <<-EOT\n  %{ if a }\n  x\n  %{ endif }\n  EOT",
    "x = <<-EOT\n  a ~ b\n  EOT",
    'x = <<EOT\n  "quoted" \\n\nEOT',
    "x = <<EOT\nEOTX\nEOT",
    "x = <<EOT\n EOT\n",
    "x = <<-EOT\n\ta\n\tEOT",
    "x = <<-EOT\n    a\n  b\n    EOT",
    "x = <<EOT\n$${a}\nEOT",
    "x = <<EOT\na\nEOT y",
    "x = <<EOT y\na\nEOT",
    "x = << EOT\na\nEOT",
    'x = "\\t\\n"',
    'x = "\\U0001F600"',
    'x = "\\u12"',
    'x = "a\\',
    'x = "${a}"\ny = "${b}"',
    'x = "${a["k"]}"',
    'x = "${f("a", "b")}"',
    'x = "%{ if a == "b" }y%{ endif }"',
  ];
  it("are accepted or rejected, and read, as HashiCorp's parser does", () => {
    for (const snippet of snippets) {
      const text = `${snippet}\n`;
      const ref = reference(text);
      const got = ours("snippet.hcl", text);
      expect({ text, ok: got.ok }).toEqual({ text, ok: ref.ok });
      if (ref.ok) expect({ text, value: got.value }).toEqual({ text, value: ref.value });
    }
  });
});
