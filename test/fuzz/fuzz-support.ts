/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL and compose text */
/**
 * Seeded generators of hostile input for the fuzz tests: mutations of the project's own
 * bake files and generated ones (HCL, JSON, compose YAML), --set values, flags, endpoint
 * addresses, mbake.json texts and output/secret paths. The same seed gives the same cases.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export type Rng = () => number;

/** mulberry32: small, fast, good enough for choosing cases. */
export function rngFrom(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const int = (rng: Rng, n: number) => Math.floor(rng() * n);
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)]!;

const root = fileURLToPath(new URL("../../", import.meta.url));

function filesUnder(dir: string, pattern: RegExp): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && pattern.test(entry.name))
      out.push(readFileSync(join(entry.parentPath, entry.name), "utf8"));
  }
  return out;
}

const hostileHcl = [
  'variable "__proto__" {\n  default = "p"\n}\ntarget "constructor" {\n  args = { __proto__ = "${__proto__}", toString = "x" }\n}\n',
  'target "t" {\n  name = "t-${a}-${b}"\n  matrix = {\n    a = range(100)\n    b = range(100)\n  }\n}\n',
  'target "a" {\n  inherits = ["b"]\n}\ntarget "b" {\n  inherits = ["a"]\n}\n',
  'group "default" {\n  targets = ["g"]\n}\ngroup "g" {\n  targets = ["default"]\n}\n',
  'variable "x" {\n  default = [for a in range(1000): [for b in range(1000): a]]\n}\n',
  'target "t" {\n  contexts = { base = "target:t" }\n  output = ["type=local,dest=/"]\n  secret = ["id=s,src=/dev/zero"]\n}\n',
  'function "f" {\n  params = [x]\n  result = f(x)\n}\ntarget "t" {\n  args = { a = f(1) }\n}\n',
  'target "t" {\n  dockerfile = "/dev/zero"\n  context = "\\u001b[31m"\n  tags = ["${"\\u0000"}"]\n}\n',
];

const composeSeeds = [
  "services:\n  web:\n    build: .\n    image: web:${TAG:-latest}\n",
  "services:\n  api:\n    build:\n      context: ./api\n      dockerfile: Dockerfile\n      args:\n        A: ${A}\n        __proto__: x\n      secrets: [tok]\n    x-bake:\n      platforms: [linux/amd64]\nsecrets:\n  tok:\n    file: ./tok.txt\n",
  "x-common: &c\n  build: .\nservices:\n  a: *c\n  b:\n    <<: *c\n    image: b\n",
];

/** Seeds: the project's bake files (fixtures and examples) and hostile ones. */
export const seeds = {
  hcl: [
    ...filesUnder("test/fixtures/hcl", /\.hcl$/),
    ...filesUnder("examples", /\.hcl$/),
    ...hostileHcl,
  ],
  compose: composeSeeds,
};

const tokens = [
  "{",
  "}",
  "[",
  "]",
  "(",
  ")",
  '"',
  "${",
  "%{",
  "}",
  "=",
  ":",
  ",",
  "...",
  "?",
  "=>",
  "\n",
  "<<EOT\n",
  "\nEOT\n",
  "<<-EOF\n",
  "#",
  "//",
  "/*",
  "*/",
  "for x in ",
  " if ",
  "&&",
  "||",
  "!",
  "target",
  "group",
  "variable",
  "function",
  "inherits",
  "matrix",
  "name",
  "args",
  "contexts",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "prototype",
  "null",
  "true",
  "range(100)",
  "range(1e9)",
  "1e308",
  "-0",
  "0x10",
  "99999999999999999999",
  "NaN",
  "\u0000",
  "\u001b[2J",
  "\u007f",
  "\r",
  "\t",
  "\u2028",
  "\ufeff",
  "\ud800",
  "é",
  "𝄞",
  "target:",
  "cwd://",
  "/dev/zero",
  "../../",
  "~",
  "$HOME",
  "%",
  "\\",
  "\\u0000",
  "${target.a.args}",
  "${BAKE_CMD_CONTEXT}",
  'split(",", "a,b")',
  'jsondecode("{}")',
];

/** One random edit of a text: delete, insert a token, duplicate, replace or truncate. */
export function mutate(text: string, rng: Rng, edits = 1 + int(rng, 4)): string {
  let s = text;
  for (let i = 0; i < edits; i++) {
    const at = int(rng, s.length + 1);
    switch (int(rng, 6)) {
      case 0:
        s = s.slice(0, at) + s.slice(at + 1 + int(rng, 20));
        break;
      case 1:
      case 2:
        s = s.slice(0, at) + pick(rng, tokens) + s.slice(at);
        break;
      case 3: {
        const len = int(rng, 200);
        s = s.slice(0, at) + s.slice(at, at + len) + s.slice(at);
        break;
      }
      case 4:
        s = s.slice(0, at) + String.fromCharCode(int(rng, 0x3000)) + s.slice(at + 1);
        break;
      default:
        if (rng() < 0.3) s = s.slice(0, at);
    }
  }
  return s;
}

const names = ["a", "b", "t", "default", "__proto__", "constructor", "x-y", "app", "Ω", ""];
const attrNames = [
  "context",
  "dockerfile",
  "dockerfile-inline",
  "args",
  "labels",
  "tags",
  "platforms",
  "output",
  "secret",
  "ssh",
  "cache-from",
  "cache-to",
  "target",
  "contexts",
  "inherits",
  "matrix",
  "name",
  "no-cache",
  "pull",
  "network",
  "attest",
  "annotations",
  "shm-size",
  "ulimits",
  "entitlements",
  "description",
  "call",
  "extra-hosts",
  "no-cache-filter",
];

function expr(rng: Rng, depth = 0): string {
  const leaf = () =>
    pick(rng, [
      '"v"',
      "1",
      "true",
      "null",
      '"${a}"',
      "a",
      '"type=local,dest=out"',
      '"id=s,src=s.txt"',
      '"linux/amd64"',
      '"target:b"',
      "range(3)",
      '"."',
      '"__proto__"',
      "-1",
      "1.5",
    ]);
  if (depth > 3) return leaf();
  switch (int(rng, 8)) {
    case 0:
      return `[${Array.from({ length: int(rng, 4) }, () => expr(rng, depth + 1)).join(", ")}]`;
    case 1:
      return `{ ${Array.from({ length: int(rng, 4) }, () => `${pick(rng, names) || "k"} = ${expr(rng, depth + 1)}`).join(", ")} }`;
    case 2:
      return `[for x in ${expr(rng, depth + 1)}: x]`;
    case 3:
      return `${expr(rng, depth + 1)} ${pick(rng, ["+", "==", "&&", "?", "*"])} ${expr(rng, depth + 1)}${rng() < 0.2 ? " : 1" : ""}`;
    case 4:
      return `${pick(rng, ["upper", "join", "length", "lookup", "merge", "format", "coalesce", "flatten", "keys", "try"])}(${expr(rng, depth + 1)}${rng() < 0.5 ? `, ${expr(rng, depth + 1)}` : ""})`;
    default:
      return leaf();
  }
}

/** A bake file built from random blocks and expressions. */
export function generatedHcl(rng: Rng): string {
  const parts: string[] = [];
  for (let i = 0, n = 1 + int(rng, 5); i < n; i++) {
    const type = pick(rng, ["target", "target", "group", "variable", "function"]);
    const attrs = Array.from({ length: int(rng, 5) }, () => {
      const name =
        type === "target"
          ? pick(rng, attrNames)
          : pick(rng, ["default", "targets", "params", "result", "type"]);
      return `  ${name} = ${expr(rng)}`;
    });
    parts.push(`${type} "${pick(rng, names)}" {\n${attrs.join("\n")}\n}\n`);
  }
  return parts.join("");
}

function jsonValue(rng: Rng, depth = 0): unknown {
  switch (depth > 3 ? int(rng, 4) : int(rng, 7)) {
    case 0:
      return pick(rng, ["v", "${a}", "type=local,dest=out", "__proto__", "", "\u0000"]);
    case 1:
      return pick(rng, [0, 1, -1, 1e308, 0.5]);
    case 2:
      return pick(rng, [true, false, null]);
    case 3:
      return "target:a";
    case 4:
      return Array.from({ length: int(rng, 4) }, () => jsonValue(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = Object.create(null);
      for (let i = 0, n = int(rng, 4); i < n; i++)
        o[pick(rng, [...names, ...attrNames])] = jsonValue(rng, depth + 1);
      return o;
    }
  }
}

/** A JSON bake file: generated, sometimes mutated as text. */
export function generatedJson(rng: Rng): string {
  const doc: Record<string, unknown> = Object.create(null);
  for (const kind of ["target", "group", "variable"]) {
    if (rng() < 0.6) {
      const blocks: Record<string, unknown> = Object.create(null);
      for (let i = 0, n = 1 + int(rng, 3); i < n; i++) {
        const body: Record<string, unknown> = Object.create(null);
        for (let j = 0, m = int(rng, 5); j < m; j++)
          body[kind === "target" ? pick(rng, attrNames) : pick(rng, ["default", "targets"])] =
            jsonValue(rng);
        blocks[pick(rng, names)] = body;
      }
      doc[kind] = blocks;
    }
  }
  const text = JSON.stringify(doc, null, 2);
  return rng() < 0.4 ? mutate(text, rng) : text;
}

/** A --set value: pattern.key[=value], with hostile patterns, keys and values. */
export function generatedSet(rng: Rng): string {
  const pattern = pick(rng, [
    "*",
    "a",
    "t",
    "default",
    "__proto__",
    "[",
    "(",
    "a*",
    "?",
    "",
    "*.*",
  ]);
  const key = pick(rng, [
    ...attrNames,
    "args.A",
    "args.__proto__",
    "labels.constructor",
    "output",
    "secrets",
    "platform",
    "contexts.x",
    "cache-from",
    "",
    "args",
    "no-cache",
  ]);
  const value = pick(rng, [
    "x",
    "",
    "type=local,dest=out",
    "id=s,src=/dev/zero",
    "true",
    "bad",
    "\u0000",
    "a,b,,",
    'type="a,b"',
    "target:a",
    "linux/amd64,linux/arm64",
    "=",
    "type=registry,ref=x",
  ]);
  const op = pick(rng, ["=", "+=", "", "=="]);
  return `${pattern}.${key}${op}${op ? value : ""}`;
}

/** Random flags around --print (no build starts), with hostile values. */
export function generatedFlags(rng: Rng): string[] {
  const out: string[] = [];
  for (let i = 0, n = int(rng, 4); i < n; i++) {
    switch (int(rng, 9)) {
      case 0:
        out.push("--set", generatedSet(rng));
        break;
      case 1:
        out.push(pick(rng, ["--progress", "--progress=plain", "--progress=bogus"]));
        break;
      case 2:
        out.push("--endpoint", generatedAddress(rng));
        break;
      case 3:
        out.push(pick(rng, ["--no-cache", "--pull", "--push", "--load"]));
        break;
      case 4:
        out.push(pick(rng, ["--bogus", "-", "--", "-x", "--set", "--file"]));
        break;
      case 5:
        out.push(pick(rng, ["a", "t", "default", "__proto__", "constructor", "missing"]));
        break;
      case 6:
        out.push(pick(rng, ["--metadata-file", "--metadata-file=/"]));
        break;
      default:
        out.push(
          pick(rng, ["--list", "--list=targets", "--list=variables", "--graph", "--graph=dot"]),
        );
    }
  }
  return out;
}

/** Endpoint addresses: real forms with hostile parts. */
export function generatedAddress(rng: Rng): string {
  const scheme = pick(rng, [
    "tcp",
    "unix",
    "ssh",
    "kube-pod",
    "docker-container",
    "docker",
    "ftp",
    "TCP",
    "",
  ]);
  const part = () =>
    pick(rng, [
      "host",
      "-oProxyCommand=touch${IFS}pwned",
      "--kubeconfig=evil",
      "user@host",
      "a b",
      "127.0.0.1",
      "[::1]",
      "pod",
      "-",
      "",
      "%2d%2d",
      "$(id)",
      "`id`",
      "x;y",
      "é",
      "\u0000",
      "ctr",
      "-ctr",
      "ns",
      "a/b",
      "..",
      "h:22",
      "h:99999",
      "h:-1",
    ]);
  let address = `${scheme ? `${scheme}://` : ""}${part()}`;
  if (rng() < 0.5) address += pick(rng, ["", ":", ":1234", "/", "/path", ":0"]);
  if (rng() < 0.4) {
    const opts = Array.from(
      { length: 1 + int(rng, 3) },
      () =>
        `${pick(rng, ["namespace", "context", "container", "socket", "ca", "x", "platforms"])}=${part()}`,
    );
    address += `?${opts.join("&")}`;
  }
  return rng() < 0.2 ? mutate(address, rng, 1) : address;
}

/** An mbake.json text: generated objects, sometimes mutated. */
export function generatedConfig(rng: Rng): string {
  const endpoints = Array.from({ length: int(rng, 3) }, () =>
    rng() < 0.8
      ? { address: generatedAddress(rng), ...(rng() < 0.3 ? { name: pick(rng, names) } : {}) }
      : jsonValue(rng),
  );
  const doc: Record<string, unknown> = { endpoints };
  if (rng() < 0.3)
    doc[pick(rng, ["cache", "registry", "maxParallel", "__proto__", "x"])] = jsonValue(rng);
  const text = JSON.stringify(doc);
  return rng() < 0.3 ? mutate(text, rng, 1) : text;
}

/** Output and secret paths inside (and trying to get out of) a project folder. */
export function generatedPath(rng: Rng): string {
  return pick(rng, [
    ".",
    "out",
    "./out/../..",
    "/",
    "/dev/zero",
    "/dev/null",
    "link",
    "link/x",
    "file.txt",
    "file.txt/x",
    "",
    "-",
    "fifo",
    "dir",
    "../outside",
    "out\u0000x",
    "a".repeat(300),
    "~",
  ]);
}
