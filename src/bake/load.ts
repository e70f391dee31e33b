/**
 * From bake files to evaluated targets and groups: variables (defaults, environment
 * overrides, types, validation), user functions, matrix expansion, and the
 * evaluation of every target's own attributes. Lazy, with cycle detection.
 */
import { type Diagnostic, DiagnosticError, error } from "../diagnostics/diagnostic.js";
import { didYouMean } from "../diagnostics/did-you-mean.js";
import type { SourceFile, SourceRange } from "../diagnostics/source.js";
import type { CtyType } from "../eval/cty-type.js";
import { type EvalContext, evaluate, nullTypeOf, withLocals } from "../eval/evaluate.js";
import type { HclFunction } from "../eval/function.js";
import { builtinFunctions } from "../eval/functions/index.js";
import { EvalBudget, evalLimits } from "../eval/limits.js";
import { convertValue, parseTypeExpr, type TypeSpec } from "../eval/types.js";
import { userFunction } from "../eval/user-function.js";
import {
  envValue,
  fail,
  isObject,
  record,
  sortedKeys,
  type Value,
  valueToBool,
  valueToString,
} from "../eval/value.js";
import type { Attribute, Block, Body, Expression } from "../hcl/ast.js";
import { parseHclJson } from "../hcl/json.js";
import { parseHcl } from "../hcl/parse.js";
import { functionCalls } from "../hcl/walk.js";
import {
  attributesByName,
  controlAttributes,
  convertAttribute,
  type MutableTarget,
  mergeTarget,
} from "./attributes.js";
import type { Group, Target } from "./model.js";

export const bakeJsonSchema = {
  variable: { labels: 1, blocks: { validation: { labels: 0 } } },
  target: { labels: 1 },
  group: { labels: 1 },
  function: { labels: 1 },
} as const;

/** One target a target block stands for: its name and the matrix values it is evaluated with. */
interface Expansion {
  readonly name: string;
  readonly combo: Map<string, Value>;
}

/** One named block, possibly defined in several places (later attributes win). */
interface MergedBlock {
  readonly type: string;
  readonly name: string;
  readonly blocks: Block[];
}

export interface VariableInfo {
  readonly name: string;
  readonly description?: string;
  readonly value: Value;
  readonly type?: string;
  readonly typeSpec?: TypeSpec;
  readonly range: SourceRange;
}

export interface BakeProject {
  readonly targets: ReadonlyMap<string, Target>;
  /** Groups, including the groups that matrix targets form. */
  readonly groups: ReadonlyMap<string, Group>;
  /**
   * Targets and groups in the order buildx's Config holds them, the order --list sorts
   * from: the blocks' in file order (the compose project is the first file), then the groups
   * matrix targets form (buildx adds those in Go map order; here in file order). A group
   * block and a group a matrix target formed with the same name are both there.
   */
  readonly config: { readonly targets: readonly string[]; readonly groups: readonly Group[] };
  readonly targetRanges: ReadonlyMap<string, SourceRange>;
  readonly contextRanges: ReadonlyMap<string, Record<string, SourceRange>>;
  readonly variables: () => VariableInfo[];
}

export interface LoadOptions {
  readonly files: readonly SourceFile[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The platform of this machine, for BAKE_LOCAL_PLATFORM. */
  readonly localPlatform?: string;
}

function isJsonFile(file: SourceFile): boolean {
  if (/\.json$/i.test(file.name)) return true;
  if (/\.hcl$/i.test(file.name)) return false;
  return /^\s*\{/.test(file.text) && !/^\s*\{[^}]*\}\s*\n\s*[a-z]/i.test(file.text);
}

export function parseBakeFile(file: SourceFile): { body: Body; diagnostics: Diagnostic[] } {
  return isJsonFile(file) ? parseHclJson(file, bakeJsonSchema) : parseHcl(file);
}

export function localPlatform(): string {
  const arch =
    {
      x64: "amd64",
      arm64: "arm64",
      arm: "arm/v7",
      ia32: "386",
      ppc64: "ppc64le",
      s390x: "s390x",
      riscv64: "riscv64",
    }[process.arch as string] ?? process.arch;
  return `linux/${arch}`;
}

function attributeOf(blocks: readonly Block[], name: string): Attribute | undefined {
  for (let i = blocks.length - 1; i >= 0; i--) {
    const a = blocks[i]!.body.attributes.find((x) => x.name === name);
    if (a) return a;
  }
  return undefined;
}

/** Attributes of merged blocks, later definitions winning; block forms like `args { }` become objects. */
function attributesOf(
  blocks: readonly Block[],
): Map<string, { expr: Expression; range: SourceRange }> {
  const out = new Map<string, { expr: Expression; range: SourceRange }>();
  for (const b of blocks) {
    for (const a of b.body.attributes) out.set(a.name, { expr: a.expr, range: a.range });
    for (const nested of b.body.blocks) {
      if (nested.labels.length > 0) continue;
      const items = nested.body.attributes.map((a) => ({
        key: { kind: "Literal" as const, value: a.name, range: a.nameRange },
        bareKey: true,
        value: a.expr,
      }));
      out.set(nested.type, {
        expr: { kind: "Object", items, range: nested.range },
        range: nested.range,
      });
    }
  }
  return out;
}

/** Whether a block comes from a compose file (read as bake JSON). */
function fromCompose(block: Block): boolean {
  return /\.ya?ml\.json$/.test(block.range.file.name);
}

class Loader {
  readonly blocks = new Map<string, MergedBlock>();
  readonly order: MergedBlock[] = [];
  readonly functions = new Map<string, HclFunction>(builtinFunctions());
  readonly variableValues = new Map<string, Value>();
  /** The types of typed variables whose value is null ("nil" when they have no value at all). */
  readonly variableNullTypes = new Map<string, CtyType>();
  /** Variables being evaluated: each one's name and where the one before it uses it. */
  readonly evaluating: { name: string; usedAt: SourceRange }[] = [];
  readonly budget = new EvalBudget();
  readonly globals: EvalContext;
  readonly builtinVariables: Record<string, Value>;
  /** Top-level attributes of every file (`FOO = "x"`), later files winning: variables too. */
  readonly topAttributes = new Map<string, Attribute>();
  /** Every target block in file order, with its label. */
  readonly targetBlocks: { label: string; block: Block }[] = [];
  /** The names (and matrix values) each target block stands for, once worked out. */
  private readonly expanded = new Map<Block, Expansion[]>();
  /** Targets the blocks worked out so far stand for, every matrix combination counted. */
  private plannedTargets = 0;

  constructor(readonly options: LoadOptions) {
    this.builtinVariables = {
      BAKE_CMD_CONTEXT: "cwd://",
      BAKE_LOCAL_PLATFORM: options.localPlatform ?? localPlatform(),
    };
    const diagnostics: Diagnostic[] = [];
    for (const file of options.files) {
      const parsed = parseBakeFile(file);
      diagnostics.push(...parsed.diagnostics);
      for (const block of parsed.body.blocks) this.add(block);
      for (const attr of parsed.body.attributes) {
        if (!["variable", "target", "group", "function"].includes(attr.name))
          this.topAttributes.set(attr.name, attr);
      }
    }
    if (diagnostics.some((d) => d.severity === "error")) throw new DiagnosticError(diagnostics);
    this.globals = {
      functions: this.functions,
      lookup: (name, range) => this.variable(name, range),
      nullType: (name) => this.variableNullTypes.get(name),
      budget: this.budget,
    };
    for (const fb of this.ofType("function")) {
      this.functions.set(
        fb.name,
        userFunction(fb.blocks[fb.blocks.length - 1]!, () => this.globals),
      );
    }
  }

  add(block: Block): void {
    const name = block.labels[0];
    if (!["variable", "target", "group", "function"].includes(block.type)) return;
    if (name === undefined) {
      throw new DiagnosticError(
        error(
          `Missing name for ${block.type}; a ${block.type} block needs one label, like ${block.type} "name" { ... }.`,
          block.typeRange,
        ),
      );
    }
    const key = `${block.type}\u0000${name}`;
    let merged = this.blocks.get(key);
    if (!merged) {
      merged = { type: block.type, name, blocks: [] };
      this.blocks.set(key, merged);
      this.order.push(merged);
    }
    // A variable defined again replaces the earlier definition (buildx keeps the last block).
    if (block.type === "variable") merged.blocks.length = 0;
    merged.blocks.push(block);
    if (block.type === "target") this.targetBlocks.push({ label: name, block });
  }

  ofType(type: string): MergedBlock[] {
    return this.order.filter((b) => b.type === type);
  }

  variableBlock(name: string): MergedBlock | undefined {
    return this.blocks.get(`variable\u0000${name}`);
  }

  variable(name: string, range: SourceRange): Value {
    if (this.variableValues.has(name)) return this.variableValues.get(name)!;
    if (Object.hasOwn(this.builtinVariables, name)) return this.builtinVariables[name]!;
    const block = this.variableBlock(name);
    const attr = this.topAttributes.get(name);
    if (!block && attr) {
      this.evaluating.push({ name, usedAt: range });
      try {
        const value = this.budget.nested(range, `variable "${name}"`, () =>
          this.computeVariable(undefined, name),
        );
        this.variableValues.set(name, value);
        return value;
      } finally {
        this.evaluating.pop();
      }
    }
    if (!block) {
      if (name === "target" && this.ofType("target").length > 0) return this.targetReferences();
      const known = [
        ...this.ofType("variable").map((b) => b.name),
        ...Object.keys(this.builtinVariables),
      ];
      return fail(
        `Unknown variable; There is no variable named "${name}"${didYouMean(name, known)}.`,
        range,
      );
    }
    const cycleAt = this.evaluating.findIndex((e) => e.name === name);
    if (cycleAt >= 0) {
      const chain = [...this.evaluating.slice(cycleAt).map((e) => e.name), name];
      throw new DiagnosticError({
        severity: "error",
        summary: `Variable cycle: ${shortChain(chain)}; a variable cannot depend on itself.`,
        range,
        // The uses along the cycle: buildx reports the one where its (unordered) walk
        // came back, which may be any of them.
        related: this.evaluating.slice(cycleAt).map((e, i) => ({
          message: i === 0 ? `${e.name} is used here` : `${chain[i - 1]} uses ${e.name} here`,
          range: e.usedAt,
        })),
      });
    }
    this.evaluating.push({ name, usedAt: range });
    try {
      const value = this.budget.nested(range, `variable "${name}"`, () =>
        this.computeVariable(block, name),
      );
      this.variableValues.set(name, value);
      return value;
    } finally {
      this.evaluating.pop();
    }
  }

  /**
   * The targets a block stands for: its label, or with a matrix one name per combination
   * (its `name` evaluated with the matrix values). Checked as buildx checks names.
   */
  expansions(block: Block, label: string): Expansion[] {
    const done = this.expanded.get(block);
    if (done) return done;
    const attrs = attributesOf([block]);
    const matrix = attrs.get("matrix");
    const nameAttr = attrs.get("name");
    const labelAt = block.labelRanges[0] ?? block.range; // buildx's "Invalid name" errors point here
    if (nameAttr && !matrix)
      fail(`Invalid name; target "${label}": "name" requires a matrix.`, labelAt);
    const combos: Map<string, Value>[] = matrix
      ? this.matrixCombos(matrix.expr, labelAt, matrix.range, label, this.plannedTargets)
      : [new Map()];
    this.plannedTargets += combos.length;
    if (this.plannedTargets > evalLimits.targets) {
      fail(
        `Too many targets; these files define more than ${evalLimits.targets.toLocaleString("en-US")} targets (the limit), counting every matrix combination.`,
        matrix?.range ?? labelAt,
      );
    }
    const out: Expansion[] = [];
    const names = new Set<string>();
    for (const combo of combos) {
      const ctx = withLocals(this.globals, combo);
      const name = nameAttr
        ? valueToString(evaluate(nameAttr.expr, ctx), nameAttr.expr.range, "target name")
        : label;
      if (!/^[a-zA-Z0-9_-]+$/.test(name)) {
        fail(
          `Invalid target name "${name}"; target names may only contain letters, digits, "_" and "-".`,
          labelAt,
        );
      }
      if (names.has(name) && matrix)
        fail(`Invalid name; duplicate name "${name}" from the matrix of "${label}".`, labelAt);
      names.add(name);
      out.push({ name, combo });
    }
    this.expanded.set(block, out);
    return out;
  }

  private targetRefs: Value | undefined;
  private readonly attributeValues = new Map<string, Value>();
  private readonly attributeStack: { key: string; range: SourceRange }[] = [];

  /**
   * `target.NAME.ATTR`: another target's attribute as written in its block, evaluated on
   * demand. NAME is a target's final name (a matrix's names included); as in buildx, the
   * last block of that name answers (an attribute it does not set is null). A cycle
   * through such references is an error.
   */
  targetReferences(): Value {
    if (this.targetRefs) return this.targetRefs;
    let byName: Map<string, { block: Block; combo: Map<string, Value> }> | undefined;
    const names = () => {
      if (!byName) {
        byName = new Map();
        for (const { label, block } of this.targetBlocks) {
          for (const e of this.expansions(block, label))
            byName.set(e.name, { block, combo: e.combo });
        }
      }
      return byName;
    };
    // The names are worked out once, on first use, and looked up in a Set: a matrix of
    // thousands of targets reading target.x.y must not scan every block each time.
    const objectOf = (listNames: () => string[], get: (key: string) => Value) => {
      let known: { list: string[]; set: Set<string> } | undefined;
      const entries = () => {
        if (!known) {
          const list = listNames();
          known = { list, set: new Set(list) };
        }
        return known;
      };
      const has = (key: string | symbol): key is string =>
        typeof key === "string" && entries().set.has(key);
      return new Proxy(record<Value>(), {
        ownKeys: () => entries().list,
        has: (_t, key) => has(key),
        getOwnPropertyDescriptor: (_t, key) =>
          has(key)
            ? { value: get(key), enumerable: true, configurable: true, writable: false }
            : undefined,
        get: (_t, key) => (has(key) ? get(key) : undefined),
      });
    };
    this.targetRefs = objectOf(
      () => [...names().keys()],
      (targetName) => {
        const { block, combo } = names().get(targetName)!;
        const attrs = attributesOf([block]);
        // As buildx's cty object of a target: its name, and every known attribute (null
        // when the block does not set it).
        const attrNames = () => [
          "name",
          ...[...new Set([...attrs.keys(), ...attributesByName.keys()])].filter(
            (a) => a !== "name" && a !== "matrix",
          ),
        ];
        return objectOf(attrNames, (attr) => {
          if (attr === "name") return targetName;
          const key = `target.${targetName}.${attr}`;
          const cached = this.attributeValues.get(key);
          if (cached !== undefined) return cached;
          if (!attrs.has(attr)) return null;
          const { expr, range } = attrs.get(attr)!;
          const at = this.attributeStack.findIndex((e) => e.key === key);
          if (at >= 0) {
            const chain = [...this.attributeStack.slice(at).map((e) => e.key), key];
            throw new DiagnosticError({
              severity: "error",
              summary: `Cycle in attribute references: ${shortChain(chain)}`,
              range,
              related: this.attributeStack
                .slice(at)
                .map((e) => ({ message: `${e.key} is defined here`, range: e.range })),
            });
          }
          this.attributeStack.push({ key, range });
          try {
            const value = this.budget.nested(range, key, () =>
              decodedEntries(attr, evaluate(expr, withLocals(this.globals, combo)), range),
            );
            this.attributeValues.set(key, value);
            return value;
          } finally {
            this.attributeStack.pop();
          }
        });
      },
    );
    return this.targetRefs;
  }

  variableType(block: MergedBlock): { type?: TypeSpec; text?: string } {
    const typeAttr = attributeOf(block.blocks, "type");
    if (!typeAttr) return {};
    const text = typeAttr.range.file.text.slice(typeAttr.expr.range.start, typeAttr.expr.range.end);
    // `type = null` is no type at all to buildx (the variable is untyped).
    let expr = typeAttr.expr;
    while (expr.kind === "Paren") expr = expr.expr;
    if (expr.kind === "Literal" && expr.value === null) return {};
    return { type: parseTypeExpr(typeAttr.expr), text };
  }

  /**
   * buildx's resolveValue: a top-level attribute (`FOO = "x"`, in any file) wins over a
   * variable block; an untyped variable with no default is ""; the environment (NAME, or
   * NAME_JSON) overrides a variable block's value by the rules of its type.
   */
  computeVariable(block: MergedBlock | undefined, name: string): Value {
    const attr = this.topAttributes.get(name);
    const blocks = block?.blocks ?? [];
    const typed = attr || !block ? {} : this.variableType(block);
    const type = typed.type;
    const defaultAttr = attr ?? attributeOf(blocks, "default");
    const override = block ? this.override(name, type !== undefined) : undefined;
    let value: Value;
    if (!defaultAttr && type === undefined && !this.override(name, false)) value = "";
    else {
      value = defaultAttr ? evaluate(defaultAttr.expr, this.globals) : null;
      if (type && value !== null) value = convertValue(value, type, defaultAttr!.expr.range);
    }
    if (override && block) {
      const at = openBrace(blocks[blocks.length - 1]!);
      value = this.fromEnvironment(name, override, type, defaultAttr ? value : undefined, at);
    }
    this.variableValues.set(name, value);
    // buildx leaves a typed variable without a default or override as a null of no type.
    if (value === null && type)
      this.variableNullTypes.set(name, defaultAttr || override ? type : { kind: "nil" });
    for (const b of blocks) {
      for (const v of b.body.blocks.filter((x) => x.type === "validation")) this.validate(name, v);
    }
    return value;
  }

  /** buildx's valueHasOverride: NAME, or NAME_JSON when NAME is unset or the variable is typed. */
  override(name: string, favorJson: boolean): { text: string; json: boolean } | undefined {
    const plain = envValue(this.options.env, name);
    if (plain === undefined || favorJson) {
      const jsonName = `${name}_JSON`;
      const json = envValue(this.options.env, jsonName);
      if (
        json !== undefined &&
        !this.variableBlock(jsonName) &&
        !Object.hasOwn(this.builtinVariables, jsonName)
      )
        return { text: json, json: true };
    }
    return plain === undefined ? undefined : { text: plain, json: false };
  }

  /** The value a variable takes from the environment, by buildx's rules for its type. */
  fromEnvironment(
    name: string,
    override: { text: string; json: boolean },
    type: TypeSpec | undefined,
    defaultValue: Value | undefined,
    range: SourceRange,
  ): Value {
    const { text } = override;
    if (type && override.json) {
      let parsed: Value;
      try {
        parsed = JSON.parse(text) as Value;
      } catch {
        return fail(`Invalid value; failed to convert variable ${name} from JSON: ${text}`, range);
      }
      return convertValue(parsed, type, range);
    }
    if (type && ["list", "set", "map", "tuple"].includes(type.kind))
      return valueFromCsv(name, text, type, range);
    if (type && (type.kind === "string" || type.kind === "number" || type.kind === "bool"))
      return convertPrimitive(name, text, type.kind, range);
    if (type) {
      return fail(
        `Invalid value; unsupported type ${type.kind === "any" ? "dynamic" : type.kind} for variable ${name}`,
        range,
      );
    }
    if (defaultValue === undefined || defaultValue === null) return text;
    if (typeof defaultValue === "string") return text;
    if (typeof defaultValue === "number") return convertPrimitive(name, text, "number", range);
    if (typeof defaultValue === "boolean") return convertPrimitive(name, text, "bool", range);
    return fail(
      `Invalid value; unsupported type ${Array.isArray(defaultValue) ? "tuple" : "object"} for variable ${name}`,
      range,
    );
  }

  validate(name: string, block: Block): void {
    const cond = block.body.attributes.find((a) => a.name === "condition");
    const message = block.body.attributes.find((a) => a.name === "error_message");
    // buildx evaluates a missing condition as null, at the block's brace.
    if (!cond)
      fail(
        `Invalid condition result; the validation of variable "${name}" has no condition (it must return true or false, not null).`,
        openBrace(block),
      );
    const ok = evaluate(cond.expr, this.globals);
    if (!valueToBool(ok, cond.expr.range, "validation condition")) {
      const text = message
        ? valueToString(evaluate(message.expr, this.globals), message.expr.range)
        : `Invalid value for variable "${name}".`;
      throw new DiagnosticError({
        severity: "error",
        summary: `Invalid value for variable "${name}": ${text}`,
        range: cond.expr.range,
        detail: "This was checked by the validation rule here.",
      });
    }
  }

  /** Every variable with its final value, for --list variables. */
  variables(): VariableInfo[] {
    // A variable block named like a built-in (BAKE_LOCAL_PLATFORM, ...) takes the built-in's
    // value, and buildx leaves it out of --list=variables.
    const declared = this.ofType("variable").filter((b) => !(b.name in this.builtinVariables));
    return declared.map((b) => {
      const desc = attributeOf(b.blocks, "description");
      const { text, type } = this.variableType(b);
      return {
        name: b.name,
        value: this.variable(b.name, b.blocks[0]!.range),
        range: b.blocks[0]!.range,
        ...(desc
          ? { description: valueToString(evaluate(desc.expr, this.globals), desc.expr.range) }
          : {}),
        ...(text ? { type: text } : {}),
        ...(type ? { typeSpec: type } : {}),
      };
    });
  }

  /** Evaluates every target (expanding matrices) and group. */
  evaluateAll(): BakeProject {
    // buildx evaluates (and validates) every variable, used or not.
    for (const vb of this.ofType("variable")) this.variable(vb.name, vb.blocks[0]!.range);
    for (const fb of this.ofType("function"))
      this.checkFunctionCalls(fb.blocks[fb.blocks.length - 1]!);
    const targets = new Map<string, Target>();
    const groups = new Map<string, Group>();
    const targetRanges = new Map<string, SourceRange>();
    const contextRanges = new Map<string, Record<string, SourceRange>>();
    const matrixGroups: Group[] = [];
    // buildx works out every block's names (matrices and `name` evaluated) before it
    // decodes any, then decodes every block on its own and merges blocks that end up
    // with the same name.
    for (const { label, block } of this.targetBlocks) this.expansions(block, label);
    for (const tb of this.ofType("target")) {
      const expanded: string[] = [];
      const inExpanded = new Set<string>();
      for (const block of tb.blocks) {
        const attrs = attributesOf([block]);
        for (const { name, combo } of this.expansions(block, tb.name)) {
          const ctx = withLocals(this.globals, combo);
          const target: Record<string, unknown> = { name };
          for (const [attrName, { expr, range }] of attrs) {
            if (attrName === "matrix" || attrName === "name") continue;
            if (attrName === "inherits") {
              const v = evaluate(expr, ctx);
              target.inherits =
                v === null
                  ? []
                  : (Array.isArray(v) ? v : [v]).map((x) =>
                      valueToString(x as Value, expr.range, "inherits"),
                    );
              continue;
            }
            const spec = attributesByName.get(attrName);
            if (!spec || controlAttributes.has(attrName)) continue; // unknown attributes are ignored, as in buildx
            const raw = evaluate(expr, ctx);
            const value = convertAttribute(spec, raw, expr.range, nullTypeOf(expr, raw));
            if (value !== undefined) target[spec.field] = value;
            if (attrName === "contexts" && expr.kind === "Object") {
              const ranges = record<SourceRange>();
              for (const item of expr.items) {
                const key = item.key.kind === "Literal" ? String(item.key.value) : undefined;
                if (key) ranges[key] = item.value.range;
              }
              contextRanges.set(name, ranges);
            }
            void range;
          }
          const existing = targets.get(name);
          if (existing) {
            const inherits = [
              ...(existing.inherits ?? []),
              ...((target.inherits as string[]) ?? []),
            ];
            mergeTarget(existing as MutableTarget, { ...target, inherits: undefined } as Target);
            if (inherits.length > 0) (existing as MutableTarget).inherits = inherits;
          } else {
            targets.set(name, target as unknown as Target);
            targetRanges.set(name, block.labelRanges[0] ?? block.range);
          }
          // Targets from compose files are not HCL blocks: buildx forms no group from them.
          if (!fromCompose(block) && !inExpanded.has(name)) {
            inExpanded.add(name);
            expanded.push(name);
          }
        }
      }
      if (expanded.length > 0 && !(expanded.length === 1 && expanded[0] === tb.name)) {
        const group = { name: tb.name, targets: expanded };
        groups.set(tb.name, group);
        matrixGroups.push(group);
      }
    }
    for (const gb of this.ofType("group")) {
      const attrs = attributesOf(gb.blocks);
      const groupLabel = gb.blocks[0]!.labelRanges[0] ?? gb.blocks[0]!.range;
      if (attrs.has("name")) fail("Invalid name; name is not supported for groups", groupLabel);
      if (attrs.has("matrix")) fail("Invalid name; matrix is not supported for groups", groupLabel);
      for (const block of gb.blocks) {
        if (!block.body.attributes.some((a) => a.name === "targets"))
          fail(
            'Missing required argument; The argument "targets" is required, but no definition was found.',
            openBrace(block),
          );
      }
      const t = attrs.get("targets");
      const v = t ? evaluate(t.expr, this.globals) : [];
      const list =
        v === null
          ? []
          : Array.isArray(v)
            ? v
            : fail(
                'Invalid value for "targets"; a list of target names is required.',
                t!.expr.range,
              );
      const desc = attrs.get("description");
      groups.set(gb.name, {
        name: gb.name,
        targets: list.map((x) => valueToString(x, t!.expr.range, "group target")),
        ...(v === null ? { nullTargets: true } : {}),
        ...(desc
          ? { description: valueToString(evaluate(desc.expr, this.globals), desc.expr.range) }
          : {}),
      });
    }
    return {
      targets,
      groups,
      config: this.configOrder(groups, matrixGroups),
      targetRanges,
      contextRanges,
      variables: () => this.variables(),
    };
  }

  /** BakeProject.config: target names and groups in the order buildx's Config has them. */
  private configOrder(groups: ReadonlyMap<string, Group>, matrixGroups: readonly Group[]) {
    const targets = new Set<string>();
    for (const { label, block } of this.targetBlocks) {
      for (const { name } of this.expansions(block, label)) targets.add(name);
    }
    const blockGroups = this.ofType("group").map((g) => groups.get(g.name)!);
    return { targets: [...targets], groups: [...blockGroups, ...matrixGroups] };
  }

  /**
   * buildx resolves every function block up front: a call in its result to a function
   * that does not exist is an error there, even in a branch never taken. buildx names
   * the whole result expression.
   */
  checkFunctionCalls(block: Block): void {
    const result = block.body.attributes.find((a) => a.name === "result");
    if (!result) return;
    for (const call of functionCalls(result.expr)) {
      if (this.functions.has(call.name)) continue;
      throw new DiagnosticError({
        severity: "error",
        summary: `Call to unknown function; There is no function named "${call.name}"${didYouMean(call.name, this.functions.keys())}.`,
        range: call.nameRange,
        related: [
          { message: `in the result of function "${block.labels[0]}"`, range: result.expr.range },
        ],
      });
    }
  }

  /** All combinations of a matrix, keys sorted; the last key varies slowest (buildx's loop). */
  matrixCombos(
    expr: Expression,
    at: SourceRange,
    attrRange: SourceRange,
    target: string,
    before: number,
  ): Map<string, Value>[] {
    const m = evaluate(expr, this.globals);
    if (!isObject(m)) fail("Invalid name; matrix must be a map of lists.", at);
    // Counted before any combination is made: a 100x100x100 matrix is refused at once.
    let count = 1;
    for (const key of sortedKeys(m)) {
      const values = m[key]!;
      if (Array.isArray(values)) count *= values.length;
    }
    if (count > evalLimits.targets || before + count > evalLimits.targets) {
      const total =
        count > evalLimits.targets
          ? ""
          : ` (with the ${before.toLocaleString("en-US")} targets before it)`;
      fail(
        `Matrix too large; the matrix of target "${target}" makes ${count.toLocaleString("en-US")} targets${total}, more than the limit of ${evalLimits.targets.toLocaleString("en-US")}. Split it, or use fewer values.`,
        attrRange,
      );
    }
    let combos: Map<string, Value>[] = [new Map()];
    for (const key of sortedKeys(m)) {
      const values = m[key]!;
      if (!Array.isArray(values))
        fail(`Invalid name; matrix values must be a list ("${key}" is not).`, at);
      const next: Map<string, Value>[] = [];
      for (const v of values as Value[])
        for (const c of combos) next.push(new Map([...c, [key, v]]));
      combos = next;
    }
    return combos;
  }
}

/** A cycle's names for an error message: all of a short one, the ends of a long one. */
function shortChain(chain: readonly string[]): string {
  if (chain.length <= 12) return chain.join(" -> ");
  return [...chain.slice(0, 5), `... (${chain.length - 10} more) ...`, ...chain.slice(-5)].join(
    " -> ",
  );
}

/**
 * `target.NAME.ATTR` of an entry list (outputs, caches, secrets, ssh, attest) as buildx
 * holds it: every entry parsed, as a map (a type and its attributes; an output's dest, a
 * secret's id/src/env, an ssh key's id/paths always present).
 */
function decodedEntries(attr: string, value: Value, range: SourceRange): Value {
  const spec = attributesByName.get(attr);
  if (!spec || value === null) return value;
  const kinds = ["outputs", "caches", "secrets", "ssh", "attest"];
  if (!kinds.includes(spec.kind)) return value;
  const entries = convertAttribute(spec, value, range) as Record<string, unknown>[] | undefined;
  return (entries ?? []).map((e): Value => {
    const out = record<Value>();
    for (const [k, v] of Object.entries(e)) out[k] = v as Value;
    if (spec.kind === "outputs") out.dest = (e.dest as string | undefined) ?? "";
    if (spec.kind === "secrets") {
      out.src = (e.src as string | undefined) ?? "";
      out.env = (e.env as string | undefined) ?? "";
    }
    if (spec.kind === "ssh") out.paths = [...((e.paths as string[] | undefined) ?? [])];
    return out;
  });
}

/** Where a block's body opens (`{`): buildx reports variable errors there. */
function openBrace(block: Block): SourceRange {
  const from = (block.labelRanges[block.labelRanges.length - 1] ?? block.typeRange).end;
  const at = block.range.file.text.indexOf("{", from);
  const start = at < 0 ? block.range.start : at;
  return { file: block.range.file, start, end: start + 1 };
}

/** strconv.ParseBool / ParseFloat, as buildx converts environment text to a primitive. */
function convertPrimitive(
  name: string,
  text: string,
  kind: "string" | "number" | "bool",
  range: SourceRange,
): Value {
  if (kind === "string") return text;
  if (kind === "bool") {
    if (/^(1|t|T|TRUE|true|True)$/.test(text)) return true;
    if (/^(0|f|F|FALSE|false|False)$/.test(text)) return false;
    return fail(
      `Invalid value; failed to parse ${name} as bool: strconv.ParseBool: parsing ${JSON.stringify(text)}: invalid syntax`,
      range,
    );
  }
  const n = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(n))
    return fail(`Invalid value; failed to parse ${name} as number: ${JSON.stringify(text)}`, range);
  return n;
}

/** Go's csvvalue.Fields: comma-separated, double quotes group and escape ("" is "). */
function csvFields(text: string, comma = ","): string[] {
  const out: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === comma) {
      out.push(field);
      field = "";
    } else field += c;
  }
  out.push(field);
  return out;
}

/** buildx's valueFromCSV: lists, sets, tuples and maps of primitives from `a,b,c` / `k:v,k2:v2`. */
function valueFromCsv(name: string, text: string, type: TypeSpec, range: SourceRange): Value {
  // Go's CSV reader finds no record at all in an empty text.
  if (text === "")
    fail(
      `Invalid value; failed to convert variable ${name} from CSV: failed to parse  as CSV: EOF`,
      range,
    );
  const fields = csvFields(text);
  const primitive = (t: TypeSpec): "string" | "number" | "bool" =>
    t.kind === "string" || t.kind === "number" || t.kind === "bool"
      ? t.kind
      : fail(`Invalid value; unsupported type for CSV specification of ${name}`, range);
  if (type.kind === "list" || type.kind === "set") {
    const kind = primitive(type.elem);
    const items = fields.map((f) => convertPrimitive(name, f, kind, range));
    return type.kind === "set" ? convertValue(items, type, range) : items;
  }
  if (type.kind === "tuple") {
    if (type.elems.length !== fields.length)
      fail(
        `Invalid value; tuple expects ${type.elems.length} elements but only ${fields.length} provided`,
        range,
      );
    return fields.map((f, i) => convertPrimitive(name, f, primitive(type.elems[i]!), range));
  }
  if (type.kind === "map") {
    const kind = primitive(type.elem);
    const out = record<Value>();
    for (const f of fields) {
      const kv = csvFields(f, ":");
      if (kv.length !== 2)
        fail(`Invalid value; expected one k/v pair but got ${kv.length} pieces from ${f}`, range);
      out[kv[0]!] = convertPrimitive(name, kv[1]!, kind, range);
    }
    return out;
  }
  return fail(`Invalid value; unsupported type for CSV specification of ${name}`, range);
}

/** Parses and evaluates bake files. Throws DiagnosticError with positions. */
export function loadBake(options: LoadOptions): BakeProject {
  const loader = new Loader(options);
  return loader.evaluateAll();
}
