/** `--list targets` and `--list variables`, as buildx prints them (a tab-aligned table). */
import { formatNumber, sortedKeys, type Value } from "../eval/value.js";
import type { BakeProject } from "./load.js";

/** Go's text/tabwriter with minwidth 0, tabwidth 0, padding 1 (buildx's table). */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]! + 1)))
        .join("")
        .trimEnd(),
    )
    .join("\n");
}

export function listTargets(project: BakeProject): string {
  const rows: string[][] = [["TARGET", "DESCRIPTION"]];
  const names = new Set([...project.targets.keys(), ...project.groups.keys()]);
  for (const name of [...names].sort()) {
    const group = project.groups.get(name);
    if (group) rows.push([name, group.description ?? ""]);
    else rows.push([name, project.targets.get(name)?.description ?? ""]);
  }
  return `${table(rows)}\n`;
}

function show(v: Value): string {
  if (v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return v.map(show).join(",");
  return sortedKeys(v as Record<string, Value>)
    .map((k) => `${k}=${show((v as Record<string, Value>)[k]!)}`)
    .join(",");
}

export function listVariables(project: BakeProject): string {
  const rows: string[][] = [["VARIABLE", "TYPE", "VALUE", "DESCRIPTION"]];
  for (const v of [...project.variables()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    rows.push([v.name, v.type ?? "", show(v.value), v.description ?? ""]);
  }
  return `${table(rows)}\n`;
}
