/**
 * Generated bake files for `--list=targets`: between 13 and 60 names (more than Go's
 * insertion-sort threshold of 12, so its pdqsort partitions), many of them both a target and a
 * group, some a matrix target whose names include its own label, some private, blocks in a
 * shuffled order. buildx sorts them with Go's unstable sort, so equal names come out in the
 * order only that algorithm gives. Same seed, same files.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BakeCase } from "./bake-diff.js";
import { random } from "./bake-generate.js";

const stems = ["app", "api", "web", "db", "base", "cli", "docs", "test", "lint", "tool"];

/** How a name is defined: a target, a group, both, or a matrix target that is both. */
type Kind = "target" | "group" | "both" | "matrix";

function shuffle<T>(rnd: () => number, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

function targetBlock(name: string, description: string | undefined): string {
  return `target "${name}" {\n${description ? `  description = "${description}"\n` : ""}}\n`;
}

function groupBlock(name: string, members: readonly string[], description?: string): string {
  const desc = description ? `  description = "${description}"\n` : "";
  return `group "${name}" {\n${desc}  targets = [${members.map((m) => `"${m}"`).join(", ")}]\n}\n`;
}

/**
 * A target block whose matrix names it `label` and `label-x`: buildx then has a target and a
 * group of that name. At most one per file: buildx adds such groups in Go map order.
 */
function matrixBlock(label: string): string {
  return `target "${label}" {\n  matrix = {\n    v = ["", "-x"]\n  }\n  name = "${label}\${v}"\n}\n`;
}

/** One bake file's text with `count` names. */
export function listFile(seed: number, count: number): string {
  const rnd = random(seed);
  const names = new Set<string>();
  while (names.size < count) {
    const stem = stems[Math.floor(rnd() * stems.length)]!;
    const prefix = rnd() < 0.08 ? "_" : "";
    names.add(`${prefix}${stem}${Math.floor(rnd() * 100)}`);
  }
  // Most names both a target and a group, or most only targets (one long run of input).
  const both = rnd() < 0.5 ? 0.65 : 0.15;
  const blocks: string[] = [];
  let matrices = 0;
  for (const name of names) {
    const r = rnd();
    const kind: Kind =
      r < 0.95 - both - 0.1
        ? "target"
        : r < 0.95 - both
          ? "group"
          : r < 0.95 || matrices > 0
            ? "both"
            : "matrix";
    const desc = rnd() < 0.4 ? `about ${name}` : undefined;
    if (kind === "matrix") {
      matrices++;
      blocks.push(matrixBlock(name));
      continue;
    }
    if (kind !== "group") blocks.push(targetBlock(name, desc));
    if (kind !== "target") {
      const members = [...names].filter(() => rnd() < 2 / count);
      blocks.push(groupBlock(name, members, rnd() < 0.3 ? `the ${name} group` : undefined));
    }
  }
  return arrange(rnd, blocks).join("\n");
}

/**
 * The blocks shuffled, or (a third of the time each) in name order or reversed with a few
 * swapped: nearly sorted input takes pdqsort's other paths (reversal, partial insertion sort).
 */
function arrange(rnd: () => number, blocks: string[]): string[] {
  const r = rnd();
  if (r < 0.34) return shuffle(rnd, blocks);
  const label = (b: string) => b.slice(b.indexOf('"'));
  blocks.sort((x, y) => (label(x) < label(y) ? -1 : label(x) > label(y) ? 1 : 0));
  if (r < 0.67) blocks.reverse();
  for (let n = Math.floor(rnd() * 4); n > 0; n--) {
    const i = Math.floor(rnd() * blocks.length);
    const j = Math.floor(rnd() * blocks.length);
    [blocks[i], blocks[j]] = [blocks[j]!, blocks[i]!];
  }
  return blocks;
}

/** `count` cases under `dir`, listed as a table and as JSON in turn. */
export function generateListCases(seed: number, count: number, dir: string): BakeCase[] {
  const cases: BakeCase[] = [];
  const rnd = random(seed);
  for (let i = 0; i < count; i++) {
    const names = 13 + Math.floor(rnd() * 48);
    const caseDir = join(dir, `list-${i}`);
    mkdirSync(caseDir);
    writeFileSync(join(caseDir, "docker-bake.hcl"), listFile(seed * 7919 + i, names));
    const args = [i % 2 === 0 ? "--list=targets" : "--list=type=targets,format=json"];
    cases.push({ id: `generated-list/${seed}-${i}`, dir: caseDir, spec: { args } });
  }
  return cases;
}
