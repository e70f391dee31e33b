#!/usr/bin/env node
/**
 * Turns the bake files and flags in buildx's own tests into case folders for the differential
 * suite (test/fixtures/bake-cases/buildx-tests/). Only data is kept: the bake/compose texts the
 * Go tests feed buildx, the targets, `--set` overrides, command-line arguments and environment
 * they use. The expected output is not taken from the tests: the suite asks the reference
 * buildx at run time.
 *
 *   node scripts/extract-buildx-cases.mjs GIT_DIR [REF]
 *
 * GIT_DIR is a clone of github.com/docker/buildx (the `fetch` tool's mirror works); REF
 * defaults to v0.29.1, the version of the reference binary.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const sources = ["bake/hcl_test.go", "bake/bake_test.go", "bake/compose_test.go", "tests/bake.go"];
const outRoot = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "test/fixtures/bake-cases/buildx-tests",
);

/** A small Go lexer: raw strings, interpreted strings, identifiers, numbers, punctuation. */
function lex(text) {
  const tokens = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (text.startsWith("//", i)) {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (text.startsWith("/*", i)) {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === "`") {
      const end = text.indexOf("`", i + 1);
      tokens.push({ kind: "raw", value: text.slice(i + 1, end) });
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      tokens.push({ kind: "str", value: JSON.parse(text.slice(i, j + 1)) });
      i = j + 1;
    } else if (c === "'") {
      let j = i + 1;
      while (text[j] !== "'") j += text[j] === "\\" ? 2 : 1;
      tokens.push({ kind: "punct", value: "rune" });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < text.length && /[A-Za-z0-9_]/.test(text[j])) j++;
      tokens.push({ kind: "ident", value: text.slice(i, j) });
      i = j;
    } else if (/[0-9]/.test(c)) {
      let j = i;
      while (j < text.length && /[0-9A-Za-z_.]/.test(text[j])) j++;
      tokens.push({ kind: "num", value: text.slice(i, j) });
      i = j;
    } else {
      const two = text.slice(i, i + 2);
      if ([":=", "==", "!=", "&&", "||", "<-", "++", "--", "+="].includes(two)) {
        tokens.push({ kind: "punct", value: two });
        i += 2;
      } else {
        tokens.push({ kind: "punct", value: c });
        i++;
      }
    }
  }
  return tokens;
}

/** Splits a file's tokens into its top-level test functions (Test..., test...). */
function functions(tokens) {
  const out = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i].value !== "func" || tokens[i + 1]?.kind !== "ident") continue;
    const name = tokens[i + 1].value;
    let j = i + 2;
    while (j < tokens.length && tokens[j].value !== "{") j++;
    let depth = 0;
    const start = j;
    for (; j < tokens.length; j++) {
      if (tokens[j].value === "{") depth++;
      else if (tokens[j].value === "}" && --depth === 0) break;
    }
    if (/^(Test|test)/.test(name)) out.push({ name, body: tokens.slice(start, j + 1) });
    i = j;
  }
  return out;
}

/** Finds the token index of the bracket closing the one at `open`. */
function closing(t, open) {
  const pairs = { "(": ")", "{": "}", "[": "]" };
  const want = pairs[t[open].value];
  let depth = 0;
  for (let i = open; i < t.length; i++) {
    if (t[i].value === t[open].value) depth++;
    else if (t[i].value === want && --depth === 0) return i;
  }
  return t.length - 1;
}

/** Splits tokens t[from..to) at top-level commas. */
function splitArgs(t, from, to) {
  const parts = [];
  let depth = 0;
  let start = from;
  for (let i = from; i < to; i++) {
    const v = t[i].value;
    if (t[i].kind === "punct" && "({[".includes(v)) depth++;
    else if (t[i].kind === "punct" && ")}]".includes(v)) depth--;
    else if (v === "," && t[i].kind === "punct" && depth === 0) {
      parts.push(t.slice(start, i));
      start = i + 1;
    }
  }
  if (start < to) parts.push(t.slice(start, to));
  return parts.filter((p) => p.length > 0);
}

const UNKNOWN = Symbol("unknown");

function extractFunction(fn, file) {
  const t = fn.body;
  const vars = new Map(); // name -> { text, name? } or UNKNOWN
  const env = []; // { key, value, depth }
  const fieldValues = new Map(); // struct field -> raw texts (table tests)
  const dirFiles = [];
  const cases = [];
  const used = new Set();
  let depth = 0;

  /** A data expression: raw, []byte(raw), []byte(ident), ident, []byte("..."). */
  const dataOf = (expr) => {
    let e = expr;
    if (e[0]?.value === "[" && e[1]?.value === "]" && e[2]?.value === "byte" && e[3]?.value === "(")
      e = e.slice(4, -1);
    if (e.length === 1 && (e[0].kind === "raw" || e[0].kind === "str"))
      return [{ text: e[0].value }];
    if (e.length === 1 && e[0].kind === "ident") {
      const v = vars.get(e[0].value);
      return v && v !== UNKNOWN ? [v] : UNKNOWN;
    }
    if (e.length === 3 && e[1].value === "." && e[0].kind === "ident" && e[2].kind === "ident") {
      const texts = fieldValues.get(e[2].value);
      return texts?.length ? texts.map((text) => ({ text, many: true })) : UNKNOWN;
    }
    return UNKNOWN;
  };
  const strOf = (expr) => (expr.length === 1 && expr[0].kind === "str" ? expr[0].value : UNKNOWN);
  const strList = (expr) => {
    if (expr.length === 1 && expr[0].value === "nil") return [];
    if (expr[0]?.value !== "[" || expr[2]?.value !== "string" || expr[3]?.value !== "{")
      return UNKNOWN;
    const items = splitArgs(expr, 4, expr.length - 1).map(strOf);
    return items.includes(UNKNOWN) ? UNKNOWN : items;
  };
  /** A File struct literal's fields: Name/Filename and Data/Content. */
  const fileStruct = (expr) => {
    let e = expr;
    if (e[0]?.value === "File" || e[0]?.value === "&") e = e.slice(e[1]?.value === "{" ? 1 : 2);
    if (e[0]?.value !== "{") return UNKNOWN;
    let name;
    let data = UNKNOWN;
    for (const part of splitArgs(e, 1, e.length - 1)) {
      const key = part[0]?.value;
      const rest = part.slice(2);
      if ((key === "Name" || key === "Filename") && part[1]?.value === ":") name = strOf(rest);
      if ((key === "Data" || key === "Content") && part[1]?.value === ":") data = dataOf(rest);
    }
    if (name === UNKNOWN || data === UNKNOWN) return UNKNOWN;
    return data.map((d) => ({ text: d.text, name: name ?? d.name }));
  };
  /** A []File{...} / []composetypes.ConfigFile{...} list: every combination of its items. */
  const fileList = (expr) => {
    const open = expr.findIndex((x) => x.value === "{");
    if (open < 0 || expr[0]?.value !== "[") return UNKNOWN;
    const items = splitArgs(expr, open + 1, expr.length - 1).map((item) =>
      item[0]?.value === "{" ? fileStruct(item) : dataOf(item),
    );
    if (items.includes(UNKNOWN)) return UNKNOWN;
    // table tests give several texts for one item: one case per text
    const width = Math.max(1, ...items.map((i) => i.length));
    return Array.from({ length: width }, (_, k) => items.map((i) => i[Math.min(k, i.length - 1)]));
  };
  const envNow = () => {
    if (env.some((e) => e.value === UNKNOWN)) return UNKNOWN;
    const out = {};
    for (const e of env) out[e.key] = e.value;
    return out;
  };
  const emit = (kind, files, targets, sets, extraArgs = [], extraEnv = {}) => {
    const e = envNow();
    if (e === UNKNOWN || files === UNKNOWN || targets === UNKNOWN || sets === UNKNOWN) return;
    for (const f of files) used.add(f.text);
    cases.push({ kind, files, targets, sets, extraArgs, env: { ...e, ...extraEnv } });
  };

  for (let i = 0; i < t.length; i++) {
    const tok = t[i];
    const next = t[i + 1];
    if (tok.value === "{") depth++;
    if (tok.value === "}") {
      depth--;
      for (let k = env.length - 1; k >= 0; k--) if (env[k].depth > depth) env.splice(k, 1);
    }
    // x := []byte(`...`), x := `...`, x := File{...}
    if (tok.kind === "ident" && (next?.value === ":=" || next?.value === "=")) {
      const end = statementEnd(t, i + 2);
      const expr = t.slice(i + 2, end);
      if (expr[0]?.value === "File") {
        const f = fileStruct(expr);
        vars.set(tok.value, f === UNKNOWN ? UNKNOWN : f[0]);
      } else if (expr[0]?.kind === "raw" || expr[0]?.value === "[") {
        const d = dataOf(expr);
        vars.set(tok.value, d === UNKNOWN ? UNKNOWN : d[0]);
      }
    }
    // struct field in a test table: dt: `...` or dt: []byte(`...`)
    if (tok.kind === "ident" && next?.value === ":" && t[i - 1]?.value !== "case") {
      const end = statementEnd(t, i + 2);
      const expr = t.slice(i + 2, end);
      if (expr.length === 1 && expr[0].kind === "raw")
        addField(fieldValues, tok.value, expr[0].value);
      if (expr.length === 5 && expr[2]?.value === "byte" && expr[4]?.kind === "raw")
        addField(fieldValues, tok.value, expr[4].value);
    }
    if (tok.kind !== "ident" || next?.value !== "(") continue;
    const close = closing(t, i + 1);
    const args = splitArgs(t, i + 2, close);
    const prev = t[i - 1]?.value === "." ? t[i - 2]?.value : undefined;
    if (tok.value === "Setenv" && prev === "t") {
      const key = strOf(args[0] ?? []);
      const value = strOf(args[1] ?? []);
      env.push({ key, value: key === UNKNOWN ? UNKNOWN : value, depth });
    } else if (tok.value === "ParseFile" && args.length === 2) {
      const d = dataOf(args[0]);
      const name = strOf(args[1]);
      if (d !== UNKNOWN && name !== UNKNOWN)
        for (const x of d) emit("parse", [{ name, text: x.text }], null, []);
    } else if (tok.value === "ParseFiles" || tok.value === "ParseComposeFiles") {
      const list = fileList(args[0] ?? []);
      if (list !== UNKNOWN) for (const files of list) emit("parse", files, null, []);
    } else if (tok.value === "ParseCompose") {
      const list = fileList(args[0] ?? []);
      if (list !== UNKNOWN)
        for (const files of list)
          emit(
            "parse",
            files.map((f) => ({ name: f.name ?? "compose.yml", text: f.text })),
            null,
            [],
          );
    } else if (tok.value === "ReadTargets" && args.length >= 4) {
      const list = fileList(args[1]);
      const targets = strList(args[2]);
      const sets = strList(args[3]);
      if (list !== UNKNOWN) for (const files of list) emit("read", files, targets, sets);
    } else if (tok.value === "tmpdir") {
      dirFiles.length = 0;
    } else if (tok.value === "CreateFile" && prev === "fstest") {
      const name = strOf(args[0] ?? []);
      const d = dataOf(args[1] ?? []);
      if (name !== UNKNOWN && d !== UNKNOWN && d.length === 1)
        dirFiles.push({ name, text: d[0].text });
      else dirFiles.push(UNKNOWN);
    } else if (tok.value === "buildxCmd") {
      const call = t.slice(i + 2, close);
      const withArgs = findCall(call, "withArgs");
      const withEnv = findCall(call, "withEnv");
      if (!withArgs || dirFiles.includes(UNKNOWN)) continue;
      const argv = withArgs.map(strOf);
      const envs = (withEnv ?? []).map(strOf);
      if (argv.includes(UNKNOWN) || envs.includes(UNKNOWN) || argv[0] !== "bake") continue;
      const extraEnv = Object.fromEntries(
        envs.map((kv) => [kv.split("=")[0], kv.slice(kv.indexOf("=") + 1)]),
      );
      emit("cmd", [...dirFiles], undefined, [], argv.slice(1), extraEnv);
    }
  }

  // Bake texts no call above used (tables with positional fields, helpers): a case each.
  for (const raw of t.filter((x) => x.kind === "raw").map((x) => x.value)) {
    if (used.has(raw)) continue;
    const name = guessName(raw);
    if (name)
      cases.push({
        kind: "loose",
        files: [{ name, text: raw }],
        targets: null,
        sets: [],
        extraArgs: [],
        env: {},
      });
  }
  return cases.map((c) => ({ ...c, test: fn.name, file }));
}

function addField(map, key, value) {
  map.set(key, [...(map.get(key) ?? []), value]);
}

function statementEnd(t, from) {
  let depth = 0;
  for (let i = from; i < t.length; i++) {
    const v = t[i].value;
    if (t[i].kind === "punct" && "({[".includes(v)) depth++;
    else if (t[i].kind === "punct" && ")}]".includes(v)) {
      if (depth === 0) return i;
      depth--;
    } else if (depth === 0 && (v === "," || v === ";")) return i;
    // a new statement starts on a new line; the lexer drops newlines, so stop at keywords
    if (
      depth === 0 &&
      i > from &&
      t[i].kind === "ident" &&
      (t[i + 1]?.value === ":=" || t[i + 1]?.value === "=")
    )
      return i;
    if (
      depth === 0 &&
      i > from &&
      ["require", "assert", "if", "for", "return", "c", "m", "_"].includes(v) &&
      t[i - 1]?.value !== "."
    )
      return i;
  }
  return t.length;
}

function findCall(t, name) {
  for (let i = 0; i < t.length; i++) {
    if (t[i].value === name && t[i + 1]?.value === "(")
      return splitArgs(t, i + 2, closing(t, i + 1));
  }
  return undefined;
}

function guessName(text) {
  const s = text.trim();
  if (/^(FROM|ARG|#\s*syntax)/m.test(s) && !/^\s*(target|group)\b/m.test(s)) return undefined;
  if (/^services:/m.test(s)) return "compose.yml";
  if (/^\s*(target|group|variable|function)\s+"?[\w.-]+"?\s*\{/m.test(s)) return "docker-bake.hcl";
  if (s.startsWith("{") && /"(target|group|variable)"\s*:/.test(s)) {
    try {
      JSON.parse(s);
      return "docker-bake.json";
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Names of targets and groups defined in a bake text (HCL or JSON). */
function definedNames(file) {
  const names = [];
  if (file.name.endsWith(".json")) {
    try {
      const j = JSON.parse(file.text);
      for (const kind of ["group", "target"]) names.push(...Object.keys(j[kind] ?? {}));
    } catch {}
    return names;
  }
  for (const m of file.text.matchAll(/^\s*(?:target|group)\s+"?([\w.-]+)"?\s*\{/gm))
    names.push(m[1]);
  return names;
}

/** The arguments for one case: -f for every file, --set for overrides, then targets. */
function argsOf(c) {
  if (c.kind === "cmd") {
    const allowed = new Set(["--print", "--list", "--set", "-f", "--file", "--call", "--check"]);
    const out = [];
    for (let i = 0; i < c.extraArgs.length; i++) {
      const a = c.extraArgs[i];
      if (!a.startsWith("-")) out.push(a);
      else if (allowed.has(a.split("=")[0])) {
        out.push(a);
        if (!a.includes("=") && a !== "--print" && a !== "--check") out.push(c.extraArgs[++i]);
      } else return undefined;
    }
    if (!out.includes("--print") && !out.some((a) => a.startsWith("--list")))
      out.unshift("--print");
    return out;
  }
  const out = ["--print"];
  for (const f of c.files) out.push("-f", f.name);
  for (const s of c.sets) out.push("--set", s);
  if (c.targets) out.push(...c.targets);
  else {
    const names = [...new Set(c.files.flatMap(definedNames))];
    if (!names.includes("default")) out.push(...names);
  }
  return out;
}

function safe(s) {
  return s.replace(/[^A-Za-z0-9_.-]+/g, "_").slice(0, 60);
}

function main() {
  const [gitDir, ref = "v0.29.1"] = process.argv.slice(2);
  if (!gitDir) {
    console.error("usage: extract-buildx-cases.mjs GIT_DIR [REF]");
    process.exit(2);
  }
  rmSync(outRoot, { recursive: true, force: true });
  const seen = new Set();
  let written = 0;
  let skipped = 0;
  for (const source of sources) {
    const text = execFileSync("git", ["-C", gitDir, "show", `${ref}:${source}`], {
      encoding: "utf8",
    });
    const commit = execFileSync("git", ["-C", gitDir, "rev-parse", `${ref}^{commit}`], {
      encoding: "utf8",
    }).trim();
    const perTest = new Map();
    for (const fn of functions(lex(text))) {
      for (const c of extractFunction(fn, source)) {
        const files = c.files.filter((f) => f.name && f.text !== undefined);
        const args = argsOf({ ...c, files });
        if (
          !args ||
          files.length === 0 ||
          files.some((f) => f.name.includes("/") || f.name === "case.json")
        ) {
          skipped++;
          continue;
        }
        // A file set a test parses is also listed: --list=variables and the JSON target list.
        const fileArgs = files.flatMap((f) => ["-f", f.name]);
        const variants = [
          args,
          ...(c.kind === "parse" || c.kind === "loose"
            ? [
                [...fileArgs, "--list=variables"],
                [...fileArgs, "--list=type=targets,format=json"],
              ]
            : []),
        ];
        for (const variantArgs of variants) {
          const key = createHash("sha256")
            .update(JSON.stringify([files, variantArgs, c.env]))
            .digest("hex");
          if (seen.has(key)) continue;
          seen.add(key);
          const n = (perTest.get(c.test) ?? 0) + 1;
          perTest.set(c.test, n);
          const dir = join(
            outRoot,
            `${safe(source.replace(/\.go$/, "").replace("/", "-"))}-${safe(c.test)}-${n}`,
          );
          mkdirSync(dir, { recursive: true });
          for (const f of files) writeFileSync(join(dir, f.name), f.text);
          const spec = {
            args: variantArgs,
            env: c.env,
            origin: { repo: "docker/buildx", path: source, commit, test: c.test },
          };
          writeFileSync(join(dir, "case.json"), `${JSON.stringify(spec, null, 2)}\n`);
          written++;
        }
      }
    }
  }
  console.log(`${written} cases written to ${outRoot} (${skipped} skipped)`);
}

main();
