/**
 * From the evaluated project and the names asked for, to the targets that will be
 * built: groups expanded, `inherits` merged over the defaults (context ".",
 * dockerfile "Dockerfile"), `--set` overrides applied, `target:` contexts pulled in.
 */
import { DiagnosticError, error } from "../diagnostics/diagnostic.js";
import { didYouMean } from "../diagnostics/did-you-mean.js";
import type { SourceFile, SourceRange } from "../diagnostics/source.js";
import { evalLimits } from "../eval/limits.js";
import { compareStrings, record } from "../eval/value.js";
import { mergeTarget } from "./attributes.js";
import { checkBuildOptions } from "./build-options.js";
import { dedupeStrings, removeDupesSwapping } from "./entries.js";
import { type BakeProject, loadBake } from "./load.js";
import type { Group, Target } from "./model.js";
import { applyOverrides, type Override, OverrideError, parseOverride } from "./overrides.js";

export interface BakeFlags {
  readonly push?: boolean;
  readonly load?: boolean;
  readonly noCache?: boolean;
  readonly pull?: boolean;
  /** `--call`: the method every target is evaluated with. */
  readonly call?: string;
}

export interface ResolveOptions {
  readonly files: readonly SourceFile[];
  readonly names: readonly string[];
  readonly overrides: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly flags?: BakeFlags;
  readonly localPlatform?: string;
}

export interface BakeResolution {
  readonly groups: Record<string, Group>;
  readonly targets: Record<string, Target>;
  /** The targets asked for (groups expanded), in order; the others were pulled in as contexts. */
  readonly requested: string[];
  /** Where each target is defined. */
  readonly definitions: Record<string, SourceRange>;
  /** Where each target's `contexts` entries are written. */
  readonly contextRanges: Record<string, Record<string, SourceRange>>;
}

export class UnknownTargetError extends Error {
  override name = "UnknownTargetError";
}

type MutableTarget = { -readonly [K in keyof Target]: Target[K] };

/** buildx's removeDupesStr: duplicates and empty strings dropped. */
function removeDupes(items: readonly string[]): string[] {
  return dedupeStrings(items).filter((x) => x !== "");
}

function lastPerKey<T>(items: readonly T[], key: (item: T) => string): T[] {
  const out: T[] = [];
  const at = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    const i = at.get(k);
    if (i === undefined) {
      at.set(k, out.length);
      out.push(item);
    } else out[i] = item;
  }
  return out;
}

function normalize(t: MutableTarget): void {
  if (t.annotations) t.annotations = removeDupes(t.annotations);
  if (t.tags) t.tags = removeDupes(t.tags);
  if (t.platforms) t.platforms = removeDupes(t.platforms);
  if (t.noCacheFilter) t.noCacheFilter = removeDupes(t.noCacheFilter);
  if (t.ulimits) t.ulimits = removeDupes(t.ulimits);
  for (const k of ["cacheFrom", "cacheTo", "output"] as const) {
    if (t[k]) t[k] = removeDupesSwapping(t[k]!);
  }
  // Secrets and ssh keys are one per id, attestations one per type: a later entry takes
  // the place of the first (buildx's removeSecretDupes, removeSSHDupes, removeAttestDupes).
  if (t.secret) t.secret = lastPerKey(t.secret, (e) => e.id ?? "");
  if (t.ssh) t.ssh = lastPerKey(t.ssh, (e) => e.id);
  if (t.attest) t.attest = lastPerKey(t.attest, (e) => e.type ?? "");
  if (t.network === "host") t.entitlements = [...(t.entitlements ?? []), "network.host"];
  if (t.entitlements) t.entitlements = removeDupes(t.entitlements);
  if (t.contexts) {
    for (const [k, v] of Object.entries(t.contexts)) if (v === "") delete t.contexts[k];
    if (Object.keys(t.contexts).length === 0) delete t.contexts;
  }
  if (t.args) {
    for (const [k, v] of Object.entries(t.args)) if (v === null) delete t.args[k];
  }
  if (t.labels) {
    for (const [k, v] of Object.entries(t.labels)) if (v === null) delete t.labels[k];
  }
}

class Resolver {
  readonly resolved = new Map<string, Target>();
  /** Parents merged for the target being resolved (bounded: diamonds of inherits multiply). */
  private merges = 0;
  private top = "";

  constructor(
    readonly project: BakeProject,
    readonly overrides: readonly Override[],
  ) {}

  /** buildx's target(): parents merged in order, cycles skipped, then defaults, own values, overrides. */
  resolve(name: string, chain: readonly string[] = []): Target | undefined {
    const cached = this.resolved.get(name);
    if (cached) return cached;
    if (chain.includes(name)) return undefined; // a plain inherits cycle is accepted, as in buildx
    const own = this.project.targets.get(name);
    if (!own) return undefined;
    this.merges = 0;
    this.top = name;
    const parents: MutableTarget = { name };
    for (const parent of own.inherits ?? []) {
      if (!this.project.targets.has(parent)) {
        throw new UnknownTargetError(
          `target "${name}" inherits from "${parent}", which is not defined${didYouMean(parent, this.project.targets.keys())}`,
        );
      }
      const p = this.resolveOwnChain(parent, [...chain, name]);
      if (p) mergeTarget(parents, p);
    }
    const t: MutableTarget = { name, context: ".", dockerfile: "Dockerfile" };
    mergeTarget(t, parents);
    mergeTarget(t, { ...own, inherits: undefined } as Target);
    if (own.description) t.description = own.description;
    else if (parents.description) t.description = parents.description;
    applyOverrides(t as Target, this.overrides);
    normalize(t);
    if (!t.dockerfile) t.dockerfile = "Dockerfile"; // buildx's ResolveTarget: empty is the default
    if (chain.length === 0) this.resolved.set(name, t);
    return t;
  }

  /** A parent as inherited: its own chain merged and its own overrides applied, without defaults. */
  resolveOwnChain(name: string, chain: readonly string[]): Target | undefined {
    if (chain.length > evalLimits.inheritsDepth) this.tooDeep(chain, name);
    if (++this.merges > evalLimits.inheritsMerges) this.tooMany();
    if (chain.includes(name)) return undefined;
    const own = this.project.targets.get(name);
    if (!own) return undefined;
    const t: MutableTarget = { name };
    for (const parent of own.inherits ?? []) {
      const p = this.resolveOwnChain(parent, [...chain, name]);
      if (p) mergeTarget(t, p);
    }
    mergeTarget(t, { ...own, inherits: undefined } as Target);
    if (own.description) t.description = own.description;
    // buildx's target(): a parent gets its own --set overrides before a child inherits it.
    applyOverrides(t as Target, this.overrides);
    normalize(t);
    return t;
  }

  private tooDeep(chain: readonly string[], next: string): never {
    const shown = [...chain.slice(0, 3), "...", ...chain.slice(-2), next].join(" -> ");
    throw new DiagnosticError(
      error(
        `Inherits chain too deep; target "${this.top}" inherits through more than ${evalLimits.inheritsDepth} levels (${shown}), the limit. Shorten the chain.`,
        this.project.targetRanges.get(this.top),
      ),
    );
  }

  private tooMany(): never {
    throw new DiagnosticError(
      error(
        `Inherits too large; resolving target "${this.top}" merges more than ${evalLimits.inheritsMerges.toLocaleString("en-US")} parents (targets inherited several times over are counted each time), the limit.`,
        this.project.targetRanges.get(this.top),
      ),
    );
  }
}

/**
 * buildx's group(), as a loop over an explicit stack (group chains are data: a chain
 * of 10,000 groups must not overflow the call stack). Groups are expanded depth
 * first, members in order; a group met again while it is being expanded (a group
 * that lists itself, or a target of the same name) stands for the target of that name.
 */
function expand(
  project: BakeProject,
  root: string,
  groups: Map<string, Group>,
  targets: string[],
  added: Set<string>,
): void {
  const seen = new Set<string>();
  const visiting = new Set<string>();
  const stack: { name: string; members: readonly string[]; next: number }[] = [];
  const visit = (name: string): void => {
    const group = project.groups.get(name);
    if (group && !visiting.has(name)) {
      if (seen.has(name)) return;
      seen.add(name);
      visiting.add(name);
      groups.set(name, group);
      stack.push({ name, members: group.targets, next: 0 });
      return;
    }
    if (project.targets.has(name)) {
      if (!added.has(name)) {
        added.add(name);
        targets.push(name);
      }
      return;
    }
    if (visiting.has(name)) {
      // buildx says only that no target has the name: say which group leads back to it.
      const lister = stack[stack.length - 1]!.name;
      const path = stack.slice(stack.findIndex((f) => f.name === name)).map((f) => f.name);
      const cycle =
        lister === name
          ? `group "${name}" lists itself`
          : `the groups form a cycle, ${[...path, name].join(" -> ")},`;
      throw new UnknownTargetError(
        `failed to find target ${name} (${cycle} and no target is named "${name}": remove "${name}" from group "${lister}")`,
      );
    }
    const known = [...project.groups.keys(), ...project.targets.keys()];
    throw new UnknownTargetError(`failed to find target ${name}${didYouMean(name, known)}`);
  };
  visit(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next >= top.members.length) {
      visiting.delete(top.name);
      stack.pop();
      continue;
    }
    visit(top.members[top.next++]!);
  }
}

/** Parses, evaluates and resolves bake files for the given names. */
export function resolveBake(options: ResolveOptions): BakeResolution {
  const project = loadBake({
    files: options.files,
    env: options.env,
    ...(options.localPlatform ? { localPlatform: options.localPlatform } : {}),
  });
  return resolveProject(project, options);
}

export function resolveProject(
  project: BakeProject,
  options: Omit<ResolveOptions, "files">,
): BakeResolution {
  const flags = options.flags ?? {};
  const overrideTexts = [
    ...options.overrides,
    ...(flags.push ? ["*.push=true"] : []),
    ...(flags.load ? ["*.load=true"] : []),
    ...(flags.call !== undefined ? [`*.call=${flags.call}`] : []),
    ...(flags.noCache ? ["*.no-cache=true"] : []),
    ...(flags.pull ? ["*.pull=true"] : []),
  ];
  const parse = (text: string) => parseOverride(text, options.env);
  const overrides = overrideTexts.map(parse).filter((o): o is Override => o !== undefined);
  const asked = options.names.length > 0 ? [...options.names] : ["default"];
  // buildx replaces "." in the names asked for with "_" (compose service names may hold dots).
  const names = dedupeStrings(
    asked.map((n) => n.replaceAll(".", "_")).flatMap((n) => matchNames(project, n)),
  );
  const groupMap = new Map<string, Group>();
  const requested: string[] = [];
  const added = new Set<string>();
  for (const name of names) expand(project, name, groupMap, requested, added);
  for (const o of options.overrides.map(parse).filter((o): o is Override => o !== undefined)) {
    if (![...project.targets.keys()].some((t) => overrideMatches(o, t))) {
      throw new OverrideError(
        `could not find any target matching "${o.pattern}" (in --set ${o.text})`,
      );
    }
  }
  const resolver = new Resolver(project, overrides);
  const targets = record<Target>();
  for (const name of requested) {
    const t = resolver.resolve(name);
    if (t) targets[name] = t;
  }
  // buildx's loadLinks: targets named in `target:` contexts join the run (as cache-only
  // builds unless asked for), loops are refused, entitlements flow to the user.
  const linkTarget = (name: string, t: MutableTarget, visited: readonly string[]): void => {
    const chain = [...visited, name];
    if (chain.length > evalLimits.inheritsDepth) {
      throw new DiagnosticError(
        error(
          `Contexts chain too deep; target "${chain[0]}" reaches more than ${evalLimits.inheritsDepth} levels of "target:" contexts (${[...chain.slice(0, 3), "...", ...chain.slice(-2)].join(" -> ")}), the limit.`,
          project.targetRanges.get(chain[0]!),
        ),
      );
    }
    for (const value of Object.values(t.contexts ?? {})) {
      if (!value.startsWith("target:")) continue;
      const dep = value.slice("target:".length);
      if (dep === name) throw new UnknownTargetError(`target ${dep} cannot link to itself`);
      if (chain.includes(dep)) throw new UnknownTargetError(`infinite loop from ${name} to ${dep}`);
      let t2 = targets[dep] as MutableTarget | undefined;
      if (!t2) {
        if (!project.targets.has(dep)) throw missingContextTarget(project, name, t, value, dep);
        t2 = { ...resolver.resolve(dep)!, output: [{ type: "cacheonly" }] };
        targets[dep] = t2;
      }
      linkTarget(dep, t2, chain);
      for (const e of t2.entitlements ?? []) {
        if (!(t.entitlements ?? []).includes(e)) t.entitlements = [...(t.entitlements ?? []), e];
      }
      const mine = t.platforms ?? [];
      const theirs = t2.platforms ?? [];
      if (mine.length > 1 && theirs.length > 1 && !mine.every((p) => theirs.includes(p))) {
        throw new UnknownTargetError(
          `target ${dep} can't be used by ${name} because its platforms [${mine.join(" ")}] are not a subset of [${theirs.join(" ")}]`,
        );
      }
    }
  };
  for (const name of Object.keys(targets).sort(compareStrings)) {
    targets[name] = { ...targets[name]! };
    linkTarget(name, targets[name] as MutableTarget, []);
  }
  for (const name of Object.keys(targets).sort(compareStrings)) checkBuildOptions(targets[name]!);
  // buildx lists the names asked for in a "default" group (sorted), apart from "default"
  // itself when that is a group.
  const groups = record<Group>();
  for (const [n, g] of groupMap) groups[n] = { ...g, targets: [...g.targets] };
  for (const name of names) {
    if (name === "default" && groupMap.has("default")) continue;
    const def = groups.default ?? { name: "default", targets: [] };
    groups.default = { name: "default", targets: [...def.targets, name] };
    if (def.description !== undefined) groups.default.description = def.description;
  }
  if (groups.default) {
    groups.default = {
      ...groups.default,
      targets: dedupeStrings(groups.default.targets).sort(compareStrings),
    };
  }
  const definitions = record<SourceRange>();
  const contextRanges = record<Record<string, SourceRange>>();
  for (const name of Object.keys(targets)) {
    const r = project.targetRanges.get(name);
    if (r) definitions[name] = r;
    const c = project.contextRanges.get(name);
    if (c) contextRanges[name] = c;
  }
  return { groups, targets, requested, definitions, contextRanges };
}

/** A name on the command line: itself, or with `*?[` the groups and targets it matches. */
function matchNames(project: BakeProject, pattern: string): string[] {
  if (!/[*?[\]]/.test(pattern)) return [pattern];
  const re = globToRegExp(pattern);
  const names = [...project.groups.keys(), ...project.targets.keys()].filter((n) => re?.test(n));
  if (names.length === 0)
    throw new UnknownTargetError(`could not find any target matching "${pattern}"`);
  return names;
}

/** Go's path.Match for names (no "/"): `*`, `?` and `[...]` classes. */
function globToRegExp(pattern: string): RegExp | undefined {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) return undefined;
      const cls = pattern.slice(i + 1, end);
      const negated = cls.startsWith("^");
      out += `[${negated ? "^" : ""}${(negated ? cls.slice(1) : cls).replace(/[\]\\]/g, "\\$&")}]`;
      i = end;
    } else if (c === "\\" && i + 1 < pattern.length) {
      i++;
      out += pattern[i]!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    } else out += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  try {
    return new RegExp(`^${out}$`);
  } catch {
    return undefined;
  }
}

function missingContextTarget(
  project: BakeProject,
  name: string,
  t: Target,
  value: string,
  dep: string,
): DiagnosticError {
  const range = project.contextRanges.get(name);
  const at = range ? Object.entries(t.contexts ?? {}).find(([, v]) => v === value)?.[0] : undefined;
  return new DiagnosticError(
    error(
      `Target "${name}" uses context "${value}", but there is no target "${dep}"${didYouMean(dep, project.targets.keys())}.`,
      // A context set with --set or inherited has no place of its own here: the target has.
      (at !== undefined ? range?.[at] : undefined) ?? project.targetRanges.get(name),
    ),
  );
}

function overrideMatches(o: Override, target: string): boolean {
  try {
    return new RegExp(
      `^${o.pattern
        .replace(/[.+^${}()|\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".")}$`,
    ).test(target);
  } catch {
    return false;
  }
}
