#!/usr/bin/env node
/**
 * Lists every function, method and arrow function in src/ longer than N lines
 * (default 120), longest first, as `file:line  length  name`, then how many there are.
 *
 *   node scripts/function-lengths.mjs [N] [--root DIR]
 *
 * Lengths count the lines from the function's first line to its last, its body's
 * nested functions included (a 200-line function holding a 150-line closure shows twice).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import ts from "typescript";

function parseArguments(argv) {
  let limit = 120;
  let root = resolve(import.meta.dirname, "..");
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--root") root = resolve(argv[++i] ?? ".");
    else if (/^\d+$/.test(a)) limit = Number(a);
    else {
      process.stderr.write(`usage: function-lengths.mjs [N] [--root DIR] (got "${a}")\n`);
      process.exit(2);
    }
  }
  return { limit, root };
}

function sourceFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** A readable name for a function node: its own, or the variable/property it is assigned to. */
function nameOf(node) {
  if (node.name && ts.isIdentifier(node.name)) return node.name.text;
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)))
    return parent.name.getText();
  if (ts.isConstructorDeclaration(node)) return "constructor";
  return "(anonymous)";
}

const isFunction = (node) =>
  ts.isFunctionDeclaration(node) ||
  ts.isFunctionExpression(node) ||
  ts.isArrowFunction(node) ||
  ts.isMethodDeclaration(node) ||
  ts.isConstructorDeclaration(node) ||
  ts.isGetAccessorDeclaration(node) ||
  ts.isSetAccessorDeclaration(node);

function longFunctions(file, root, limit) {
  const text = readFileSync(file, "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = (node) => {
    if (isFunction(node) && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      const length = last - first + 1;
      if (length > limit)
        found.push({ where: `${relative(root, file)}:${first}`, length, name: nameOf(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const { limit, root } = parseArguments(process.argv.slice(2));
const all = sourceFiles(join(root, "src")).flatMap((f) => longFunctions(f, root, limit));
all.sort((a, b) => b.length - a.length || a.where.localeCompare(b.where));
for (const f of all) process.stdout.write(`${f.where}  ${f.length}  ${f.name}\n`);
process.stdout.write(`${all.length} function(s) longer than ${limit} lines\n`);
