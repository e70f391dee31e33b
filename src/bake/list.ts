/** `--list targets` and `--list variables`, as buildx prints them (table or JSON). */
import type { TypeSpec } from "../eval/types.js";
import { compareStrings, formatNumber, sortedKeys, type Value } from "../eval/value.js";
import { goSort } from "../support/go-sort.js";
import type { BakeProject, VariableInfo } from "./load.js";
import { goJson } from "./print.js";

/** Go's text/tabwriter as buildx sets it up: minwidth 1, tabwidth 8, padding 1, padded with tabs. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  const len = (s: string) => [...s].length;
  for (const row of rows) {
    for (const [i, cell] of row.slice(0, -1).entries()) {
      widths[i] = Math.max(widths[i] ?? 1, len(cell) + 1);
    }
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => {
          if (i === row.length - 1) return cell;
          const width = Math.ceil(widths[i]! / 8) * 8;
          return cell + "\t".repeat(Math.ceil((width - len(cell)) / 8));
        })
        .join(""),
    )
    .map((line) => `${line}\n`)
    .join("");
}

export type ListFormat = "table" | "json";

export function listTargets(project: BakeProject, format: ListFormat = "table"): string {
  const entries: { name: string; description?: string; group?: true }[] = [];
  // buildx sorts targets and groups by name with Go's unstable sort: a target and a group of
  // the same name come out in the order that sort leaves them.
  const all = goSort(
    [
      ...project.config.targets.map((name) => ({ name, target: project.targets.get(name) })),
      ...project.config.groups.map((g) => ({ name: g.name, group: g })),
    ],
    (a, b) => compareStrings(a.name, b.name) < 0,
  );
  for (const item of all) {
    if (item.name.startsWith("_")) continue; // a private target, by convention
    if ("target" in item && item.target) {
      const d = item.target.description ?? "";
      entries.push({ name: item.name, ...(d ? { description: d } : {}) });
    } else if ("group" in item && item.group) {
      let d = item.group.description ?? "";
      if (item.group.targets.length > 0) {
        const names = [...item.group.targets].sort(compareStrings).join(", ");
        d = d ? `${d} (${names})` : names;
      }
      entries.push({ name: item.name, ...(d ? { description: d } : {}), group: true });
    }
  }
  if (format === "json") return `${goJson(entries.length > 0 ? entries : null)}\n`;
  return table([["TARGET", "DESCRIPTION"], ...entries.map((e) => [e.name, e.description ?? ""])]);
}

/** cty's FriendlyNameForConstraint: `any` is "any type", a collection of it "of any single type". */
function friendlyType(t: TypeSpec): string {
  switch (t.kind) {
    case "list":
    case "set":
    case "map":
      return `${t.kind} of ${t.elem.kind === "any" ? "any single type" : friendlyType(t.elem)}`;
    case "any":
      return "any type";
    default:
      return t.kind;
  }
}

/** cty's JSON encoding: compact, object keys sorted. */
function ctyJson(v: Value): string {
  if (v === null) return "null";
  if (typeof v === "string") return goJson(v);
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(ctyJson).join(",")}]`;
  const o = v as Record<string, Value>;
  return `{${sortedKeys(o)
    .map((k) => `${goJson(k)}:${ctyJson(o[k]!)}`)
    .join(",")}}`;
}

/** The value column: what buildx shows for each variable (null as `<null>` in the table). */
function shown(v: VariableInfo): string | undefined {
  if (v.value === null) return undefined;
  if (v.typeSpec) {
    const s = ctyJson(v.value);
    return v.typeSpec.kind === "string" ? s.replace(/^"+|"+$/g, "") : s;
  }
  if (typeof v.value === "string") return v.value;
  if (typeof v.value === "number") return formatNumber(v.value);
  if (typeof v.value === "boolean") return String(v.value);
  return ctyJson(v.value);
}

export function listVariables(project: BakeProject, format: ListFormat = "table"): string {
  const vars = [...project.variables()].sort((a, b) => compareStrings(a.name, b.name));
  if (format === "json") {
    const out = vars.map((v) => {
      const value = shown(v);
      const type = v.typeSpec ? friendlyType(v.typeSpec) : undefined;
      return {
        name: v.name,
        ...(v.description ? { description: v.description } : {}),
        ...(type ? { type } : {}),
        ...(value !== undefined ? { value } : {}),
      };
    });
    return `${goJson(out)}\n`;
  }
  const rows = vars.map((v) => [
    v.name,
    v.typeSpec ? friendlyType(v.typeSpec) : "",
    shown(v) ?? "<null>",
    v.description ?? "",
  ]);
  return table([["VARIABLE", "TYPE", "VALUE", "DESCRIPTION"], ...rows]);
}
