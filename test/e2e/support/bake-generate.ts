/**
 * Generated bake files for the differential suite: a seeded generator that writes random but
 * well-formed HCL files (variables, functions, targets with common attributes, inherits,
 * matrices, groups, target: contexts), sometimes an override file or a JSON file beside it,
 * with random targets, `--set` overrides and environment. Same seed, same files.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BakeCase } from "./bake-diff.js";

/** mulberry32: small, fast, good enough to pick shapes. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Pick {
  rnd: () => number;
  int(lo: number, hi: number): number;
  one<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

function picker(seed: number): Pick {
  const rnd = random(seed);
  return {
    rnd,
    int: (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1)),
    one: (xs) => xs[Math.floor(rnd() * xs.length)]!,
    chance: (p) => rnd() < p,
  };
}

const words = ["app", "api", "web", "base", "db", "worker", "tools", "test", "lint", "docs"];
const platforms = ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/riscv64"];

interface Variable {
  readonly name: string;
  readonly kind: "string" | "number" | "bool" | "null";
}

function variableBlock(p: Pick, v: Variable): string {
  const def =
    v.kind === "string"
      ? `"${p.one(words)}-${p.int(1, 9)}"`
      : v.kind === "number"
        ? String(p.int(0, 20))
        : v.kind === "bool"
          ? String(p.chance(0.5))
          : "null";
  const typed = p.chance(0.3) && v.kind !== "null" ? `\n  type = ${v.kind}` : "";
  const desc = p.chance(0.3) ? `\n  description = "the ${v.name.toLowerCase()}"` : "";
  return `variable "${v.name}" {\n  default = ${def}${typed}${desc}\n}\n`;
}

/** Operands of conditionals, in families whose members mostly unify with each other. */
const operandFamilies = [
  ["1", '"x"', '"2"', "true", "null", "2.5"],
  [
    '["b", "a", "b"]',
    '[1, "a"]',
    'setunion(["c", "a"], ["a"])',
    'setsubtract(["b", "a", "c"], ["c"])',
    "[]",
    '[true, "t"]',
    "null",
  ],
  ["{ a = 1 }", '{ a = "x", b = true }', "{ b = 2 }", "{}", "null", '{ a = ["q"] }'],
] as const;

/** A conditional whose results have different types (cty unifies them), as a JSON string. */
function conditionalExpr(p: Pick, vars: readonly Variable[]): string {
  const family = p.one(operandFamilies);
  const operand = (): string => {
    if (vars.length > 0 && p.chance(0.15)) return p.one(vars).name;
    return p.chance(0.9) ? p.one(family) : p.one(p.one(operandFamilies));
  };
  return `jsonencode(${p.chance(0.5)} ? ${operand()} : ${operand()})`;
}

/** A string expression that may use variables and functions. */
function stringExpr(p: Pick, vars: readonly Variable[], fns: readonly string[]): string {
  const strVars = vars.filter((v) => v.kind !== "null");
  const r = p.int(0, 7);
  if (r === 7) return conditionalExpr(p, vars);
  if (r === 0 || strVars.length === 0) return `"${p.one(words)}"`;
  const v = p.one(strVars);
  if (r === 1) return `"\${${v.name}}"`;
  if (r === 2) return `"${p.one(words)}-\${${v.name}}"`;
  if (r === 3 && fns.length) return `${p.one(fns)}("${p.one(words)}")`;
  if (r === 4) return `upper("${p.one(words)}")`;
  if (r === 5) return `join("-", ["${p.one(words)}", "\${${v.name}}"])`;
  return `${v.name} == "" ? "empty" : "set"`;
}

function target(
  p: Pick,
  name: string,
  earlier: readonly string[],
  vars: readonly Variable[],
  fns: readonly string[],
): string {
  const lines: string[] = [];
  const s = () => stringExpr(p, vars, fns);
  if (earlier.length && p.chance(0.35)) {
    const parents = [...new Set([p.one(earlier), ...(p.chance(0.3) ? [p.one(earlier)] : [])])];
    lines.push(`inherits = [${parents.map((x) => `"${x}"`).join(", ")}]`);
  }
  if (p.chance(0.4)) lines.push(`context = "${p.one([".", "./sub", "sub/dir", "..", "./"])}"`);
  if (p.chance(0.3))
    lines.push(`dockerfile = "${p.one(["Dockerfile", "Dockerfile.dev", "build/Dockerfile"])}"`);
  if (p.chance(0.5)) {
    const args = Array.from({ length: p.int(1, 3) }, (_, i) => `    ARG_${i} = ${s()}`);
    lines.push(`args = {\n${args.join("\n")}\n  }`);
  }
  if (p.chance(0.5)) lines.push(`tags = [${Array.from({ length: p.int(1, 2) }, s).join(", ")}]`);
  if (p.chance(0.3))
    lines.push(
      `platforms = [${[...new Set([p.one(platforms), p.one(platforms)])].map((x) => `"${x}"`).join(", ")}]`,
    );
  if (p.chance(0.2)) lines.push(`labels = {\n    "org.opencontainers.image.title" = ${s()}\n  }`);
  if (p.chance(0.2)) lines.push(`target = "${p.one(["build", "final", "test"])}"`);
  if (p.chance(0.1)) lines.push(`no-cache = ${p.chance(0.5)}`);
  if (p.chance(0.1)) lines.push(`pull = ${p.chance(0.5)}`);
  if (p.chance(0.2)) lines.push(`cache-from = ["type=registry,ref=example.com/${name}:cache"]`);
  if (p.chance(0.15)) lines.push(`cache-to = ["type=inline"]`);
  if (p.chance(0.15)) lines.push(`output = ["type=${p.one(["docker", "registry", "cacheonly"])}"]`);
  if (p.chance(0.1)) lines.push(`secret = ["id=token,env=TOKEN"]`);
  if (p.chance(0.1)) lines.push(`network = "${p.one(["host", "none", "default"])}"`);
  if (p.chance(0.1)) lines.push(`ssh = ["mykey=/tmp/key"]`);
  if (p.chance(0.1)) lines.push(`annotations = ["index:org.opencontainers.image.version=1"]`);
  if (earlier.length && p.chance(0.15))
    lines.push(`contexts = {\n    dep = "target:${p.one(earlier)}"\n  }`);
  if (p.chance(0.12)) {
    lines.push(`name = "${name}-\${item}"`);
    lines.push(
      `matrix = {\n    item = [${[...new Set([p.one(words), p.one(words)])].map((x) => `"${x}"`).join(", ")}]\n  }`,
    );
    lines.push(`args = { ITEM = item }`);
  }
  if (p.chance(0.1)) lines.push(`description = "builds ${name}"`);
  return `target "${name}" {\n${lines.map((l) => `  ${l}`).join("\n")}\n}\n`;
}

function caseFiles(p: Pick): {
  files: Record<string, string>;
  args: string[];
  env: Record<string, string>;
} {
  const vars: Variable[] = Array.from({ length: p.int(0, 4) }, (_, i) => ({
    name: `VAR_${i}`,
    kind: p.one(["string", "string", "number", "bool", "null"] as const),
  }));
  const fns = p.chance(0.3) ? ["tagged"] : [];
  let text = vars.map((v) => variableBlock(p, v)).join("\n");
  if (fns.length)
    text += `\nfunction "tagged" {\n  params = [x]\n  result = "example.com/\${x}"\n}\n`;
  const names = [...new Set(Array.from({ length: p.int(1, 6) }, () => p.one(words)))];
  const built: string[] = [];
  for (const name of names) {
    text += `\n${target(p, name, built, vars, fns)}`;
    built.push(name);
  }
  const groups: string[] = [];
  if (p.chance(0.6)) {
    const members = [...new Set(Array.from({ length: p.int(1, 3) }, () => p.one(names)))];
    text += `\ngroup "default" {\n  targets = [${members.map((x) => `"${x}"`).join(", ")}]\n}\n`;
    groups.push("default");
  }
  if (p.chance(0.3)) {
    const members = [...new Set(Array.from({ length: p.int(1, 3) }, () => p.one(names)))];
    text += `\ngroup "all" {\n  targets = [${members.map((x) => `"${x}"`).join(", ")}]\n}\n`;
    groups.push("all");
  }
  const files: Record<string, string> = { "docker-bake.hcl": text };
  const args: string[] = [];
  if (p.chance(0.15)) {
    const t = p.one(names);
    files["docker-bake.override.hcl"] = `target "${t}" {\n  tags = ["override/${t}:latest"]\n}\n`;
  }
  if (p.chance(0.1)) {
    const t = p.one(names);
    files["docker-bake.json"] =
      `${JSON.stringify({ target: { [t]: { args: { FROM_JSON: "yes" } } } }, null, 2)}\n`;
  }
  const env: Record<string, string> = {};
  // At most one value that does not parse for its variable: buildx resolves variables in Go
  // map order, so with two bad values it reports either one.
  let badValue = false;
  for (const v of vars) {
    if (!p.chance(0.25)) continue;
    if (v.kind === "number") env[v.name] = String(p.int(0, 9));
    else if (v.kind === "bool" && badValue) env[v.name] = String(p.chance(0.5));
    else {
      env[v.name] = p.one(words);
      if (v.kind === "bool") badValue = true;
    }
  }
  if (p.chance(0.1)) {
    args.push(p.one(["--list=targets", "--list=variables"]));
    return { files, args, env };
  }
  args.push("--print");
  for (let i = p.int(0, 2); i > 0; i--) {
    const t = p.one([...names, "*"]);
    args.push(
      "--set",
      p.one([
        `${t}.args.SET_ARG=${p.one(words)}`,
        `${t}.platform=${p.one(platforms)}`,
        `${t}.tags=set/${p.one(words)}`,
        `${t}.no-cache=true`,
        `${t}.output=type=${p.one(["docker", "image", "local,dest=out"])}`,
        `${t}.context=${p.one([".", "sub"])}`,
      ]),
    );
  }
  if (!groups.includes("default") || p.chance(0.3)) {
    args.push(...new Set(Array.from({ length: p.int(1, 2) }, () => p.one([...names, ...groups]))));
  }
  return { files, args, env };
}

/** Writes `count` generated cases under a fresh temporary folder. */
export function generateCases(seed: number, count: number): { dir: string; cases: BakeCase[] } {
  const dir = mkdtempSync(join(tmpdir(), "mbake-generated-"));
  const cases: BakeCase[] = [];
  for (let i = 0; i < count; i++) {
    const p = picker(seed * 100_003 + i);
    const { files, args, env } = caseFiles(p);
    const caseDir = join(dir, String(i));
    mkdirSync(caseDir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(caseDir, name), text);
    cases.push({ id: `generated/${seed}-${i}`, dir: caseDir, spec: { args, env } });
  }
  return { dir, cases };
}
