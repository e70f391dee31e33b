#!/usr/bin/env node
/**
 * Turns public bake files into file sets for the differential suite
 * (test/fixtures/bake-public/<set>/). For each folder of a repository that holds bake files
 * under their default names (compose files, docker-bake.json/.hcl and their overrides), one
 * set: the files, once, and a set.json with the repository, paths and commit they come from
 * and the invocations run on them: `--print` (the default target), `--print` of every
 * target and group named in the files, `--list=targets` and, when a file declares variables,
 * `--list=variables`. A set that
 * already exists is left as it is (its set.json may carry `differs` notes or `env`).
 *
 *   node scripts/collect-public-cases.mjs MIRROR_GIT_DIR[@COMMIT]...
 *
 * With `--files PATH,PATH...` (repository paths) the given files, whatever their names, make one
 * set, named `<repo>--<path of the last>--files`, run with `-f PATH` for each in order (the
 * way a project's Makefile or CI names them); `--env K=V` and `--arg ARG` (repeatable) give
 * the environment and further arguments (`--set ...`) the files expect.
 *
 *   node scripts/collect-public-cases.mjs --files a.hcl,b/c.hcl --env TAG=1 MIRROR_GIT_DIR[@COMMIT]
 *
 * A MIRROR_GIT_DIR is /work/.mirror/OWNER+NAME/repo as the `fetch` tool leaves it; COMMIT
 * (default HEAD) picks an older commit when the newest one no longer has bake files. A file
 * that is a symbolic link in the repository is stored as the text it points to.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";

const outRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "test/fixtures/bake-public");
const defaultNames = [
  "compose.yaml",
  "compose.yml",
  "docker-compose.yml",
  "docker-compose.yaml",
  "docker-bake.json",
  "docker-bake.hcl",
  "docker-bake.override.json",
  "docker-bake.override.hcl",
];
const maxBytes = 64 * 1024;

function git(dir, args) {
  return execFileSync("git", ["-C", dir, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
}

/** Target and group names written in a bake file (HCL labels or JSON keys). */
function definedNames(name, text) {
  if (name.endsWith(".json")) {
    try {
      const j = JSON.parse(text);
      return ["group", "target"].flatMap((k) => Object.keys(j[k] ?? {}));
    } catch {
      return [];
    }
  }
  if (!name.endsWith(".hcl")) return [];
  return [...text.matchAll(/^\s*(?:target|group)\s+"?([\w.-]+)"?\s*\{/gm)].map((m) => m[1]);
}

/** A file's text at a commit; a symbolic link (kept by git as its target's path) is followed. */
function readFollowing(gitDir, commit, path, links) {
  let p = path;
  for (let hops = 0; links.has(p); hops++) {
    if (hops > 8) throw new Error(`${path}: too many symbolic links`);
    p = posix.normalize(posix.join(posix.dirname(p), git(gitDir, ["show", `${commit}:${p}`])));
  }
  return git(gitDir, ["show", `${commit}:${p}`]);
}

/** Whether a bake file declares variables (else --list=variables prints only its header). */
function declaresVariables(name, text) {
  if (name.endsWith(".json")) return /"variable"\s*:/.test(text);
  return name.endsWith(".hcl") && /^\s*variable\s/m.test(text);
}

function safe(s) {
  return (
    s
      .replace(/[^A-Za-z0-9_.-]+/g, "_")
      .replace(/^_+|_+$/g, "")
      .slice(0, 80) || "root"
  );
}

/**
 * Writes one set. With `named` the files keep their repository paths under the set folder
 * and every invocation names them with -f in order (a set of files a project passes by
 * name); otherwise they sit flat in the folder under their default names.
 */
function writeSet(setDir, origin, texts, { named = false, env = {}, extra = [] } = {}) {
  const names = [...new Set(texts.flatMap((t) => definedNames(t.path, t.text)))].filter(
    (n) => n !== "default",
  );
  const files = named ? texts.flatMap((t) => ["-f", t.path]) : [];
  const invocations = {
    "print-default": { args: [...files, ...extra, "--print"] },
    ...(names.length > 0
      ? { "print-all": { args: [...files, ...extra, "--print", ...names] } }
      : {}),
    "list-targets": { args: [...files, ...extra, "--list=targets"] },
    ...(texts.some((t) => declaresVariables(t.path, t.text))
      ? { "list-variables": { args: [...files, ...extra, "--list=variables"] } }
      : {}),
  };
  for (const t of texts) {
    const out = join(setDir, named ? t.path : posix.basename(t.path));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, t.text);
  }
  const set = { origin: { ...origin, paths: texts.map((t) => t.path) }, env, invocations };
  writeFileSync(join(setDir, "set.json"), `${JSON.stringify(set, null, 2)}\n`);
  return Object.keys(invocations).length;
}

/** Options before the mirrors: --files P,P (one set of named files), --env K=V, --arg ARG. */
function parseArgs(argv) {
  const opts = { files: undefined, env: {}, extra: [], mirrors: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--files") opts.files = argv[++i].split(",");
    else if (a === "--env") {
      const [k, ...v] = argv[++i].split("=");
      opts.env[k] = v.join("=");
    } else if (a === "--arg") opts.extra.push(argv[++i]);
    else opts.mirrors.push(a);
  }
  return opts;
}

function main() {
  let sets = 0;
  let cases = 0;
  const opts = parseArgs(process.argv.slice(2));
  for (const arg of opts.mirrors) {
    const [gitDir, rev = "HEAD"] = arg.split("@");
    const repo = gitDir
      .split("/")
      .find((part) => part.includes("+"))
      .replace("+", "/");
    const commit = git(gitDir, ["rev-parse", `${rev}^{commit}`]).trim();
    const links = new Set();
    const paths = [];
    for (const line of git(gitDir, ["ls-tree", "-r", commit]).split("\n").filter(Boolean)) {
      const [meta, p] = line.split("\t");
      if (meta.startsWith("120000 ")) links.add(p);
      paths.push(p);
    }
    if (opts.files) {
      const setDir = join(outRoot, `${safe(repo)}--${safe(opts.files.at(-1))}--files`);
      const texts = opts.files.map((p) => ({
        path: p,
        text: readFollowing(gitDir, commit, p, links),
      }));
      mkdirSync(setDir, { recursive: true });
      cases += writeSet(setDir, { repo, commit }, texts, {
        named: true,
        env: opts.env,
        extra: opts.extra,
      });
      sets++;
      continue;
    }
    const byDir = new Map();
    for (const p of paths) {
      if (!defaultNames.includes(posix.basename(p))) continue;
      const d = posix.dirname(p);
      byDir.set(d, [...(byDir.get(d) ?? []), p]);
    }
    for (const [dir, files] of byDir) {
      if (!files.some((f) => /docker-bake/.test(f))) continue; // compose-only folders are not bake files
      const setDir = join(outRoot, `${safe(repo)}--${safe(dir === "." ? "root" : dir)}`);
      if (existsSync(setDir)) continue;
      const texts = files.map((p) => ({ path: p, text: readFollowing(gitDir, commit, p, links) }));
      if (texts.some((t) => t.text.length > maxBytes)) continue;
      mkdirSync(setDir, { recursive: true });
      cases += writeSet(setDir, { repo, commit }, texts, { env: opts.env, extra: opts.extra });
      sets++;
    }
  }
  console.log(`${sets} bake file sets, ${cases} cases written to ${outRoot}`);
}

main();
