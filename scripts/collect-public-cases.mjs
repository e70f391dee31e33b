#!/usr/bin/env node
/**
 * Turns public bake files into case folders for the differential suite
 * (test/fixtures/bake-cases/public/). For each folder of a repository that holds bake files
 * under their default names (compose files, docker-bake.json/.hcl and their overrides), one
 * case set: `--print` (the default target), `--print` of every target and group named in
 * the files, `--list=targets` and `--list=variables`. Only the bake files are kept, with the
 * repository, path and commit they come from.
 *
 *   node scripts/collect-public-cases.mjs MIRROR_GIT_DIR...
 *
 * A MIRROR_GIT_DIR is /work/.mirror/OWNER+NAME/repo as the `fetch` tool leaves it.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";

const outRoot = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "test/fixtures/bake-cases/public",
);
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

function safe(s) {
  return (
    s
      .replace(/[^A-Za-z0-9_.-]+/g, "_")
      .replace(/^_+|_+$/g, "")
      .slice(0, 80) || "root"
  );
}

function main() {
  let sets = 0;
  let cases = 0;
  for (const gitDir of process.argv.slice(2)) {
    const repo = basename(dirname(gitDir)).replace("+", "/");
    const commit = git(gitDir, ["rev-parse", "HEAD"]).trim();
    const paths = git(gitDir, ["ls-tree", "-r", "--name-only", "HEAD"]).split("\n").filter(Boolean);
    const byDir = new Map();
    for (const p of paths) {
      if (!defaultNames.includes(posix.basename(p))) continue;
      const d = posix.dirname(p);
      byDir.set(d, [...(byDir.get(d) ?? []), p]);
    }
    for (const [dir, files] of byDir) {
      if (!files.some((f) => /docker-bake/.test(f))) continue; // compose-only folders are not bake files
      const texts = files.map((p) => ({ path: p, text: git(gitDir, ["show", `HEAD:${p}`]) }));
      if (texts.some((t) => t.text.length > maxBytes)) continue;
      const base = `${safe(repo)}--${safe(dir === "." ? "root" : dir)}`;
      const names = [...new Set(texts.flatMap((t) => definedNames(t.path, t.text)))].filter(
        (n) => n !== "default",
      );
      const variants = [
        ["print-default", ["--print"]],
        ...(names.length > 0 ? [["print-all", ["--print", ...names]]] : []),
        ["list-targets", ["--list=targets"]],
        ["list-variables", ["--list=variables"]],
      ];
      for (const [variant, args] of variants) {
        const caseDir = join(outRoot, `${base}--${variant}`);
        mkdirSync(caseDir, { recursive: true });
        for (const t of texts) writeFileSync(join(caseDir, posix.basename(t.path)), t.text);
        const origin = { repo, commit, path: files.join(" ") };
        writeFileSync(
          join(caseDir, "case.json"),
          `${JSON.stringify({ args, env: {}, origin }, null, 2)}\n`,
        );
        cases++;
      }
      sets++;
    }
  }
  console.log(`${sets} bake file sets, ${cases} cases written to ${outRoot}`);
}

main();
