/**
 * The command line as data: a pure parser from argv to a Command, with
 * usage errors that name the flag and suggest the closest one.
 */
import { goParseBool, splitCsv } from "../bake/entries.js";
import { didYouMean } from "../diagnostics/did-you-mean.js";
import { InputError } from "../diagnostics/error-kind.js";
import { type ProgressMode, progressModes } from "../progress/renderer.js";

export type GraphFormat = "dot" | "mermaid";

export interface BakeOptions {
  readonly files: string[];
  readonly targets: string[];
  readonly set: string[];
  readonly print: boolean;
  readonly list?: string;
  /** `--call`/`--check`: the method every target is evaluated with (absent for "build"). */
  readonly call?: string;
  /** `--call ...,format=json`: the answers as one JSON document (buildx's format). */
  readonly callFormat?: string;
  /** `--call ...,ignorestatus=true`: the answers' status codes do not set the exit status. */
  readonly callIgnoreStatus?: boolean;
  readonly progress: ProgressMode;
  readonly push: boolean;
  readonly load: boolean;
  readonly noCache: boolean;
  readonly pull: boolean;
  readonly metadataFile?: string;
  readonly allow: string[];
  readonly endpoints: string[];
  readonly cache?: string;
  readonly maxParallel?: number;
  readonly failFast: boolean;
  readonly graph?: GraphFormat;
  readonly dryRun: boolean;
}

export interface GlobalOptions {
  readonly endpoints: string[];
}

export type Command =
  | { readonly kind: "bake"; readonly options: BakeOptions }
  | { readonly kind: "help"; readonly topic?: string }
  | { readonly kind: "version" }
  | { readonly kind: "completion"; readonly shell: "bash" | "zsh" | "fish" }
  | {
      readonly kind: "endpoints";
      readonly endpoints: string[];
      readonly inspect?: string;
      readonly json: boolean;
    }
  | { readonly kind: "du"; readonly endpoints: string[]; readonly verbose: boolean }
  | {
      readonly kind: "prune";
      readonly endpoints: string[];
      readonly all: boolean;
      readonly force: boolean;
      readonly keepDuration?: string;
      readonly keepStorage?: string;
    };

/** A mistake on the command line: printed with the usage hint, exit code 2. */
export class UsageError extends InputError {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

export const subcommands = ["endpoints", "du", "prune", "completion", "help", "version"] as const;

type FlagKind = "bool" | "string" | "list";
interface FlagSpec {
  /** Without the dashes; a flag table is declared `as const`, so its names are types. */
  readonly name: string;
  readonly short?: string;
  readonly kind: FlagKind;
  readonly help: string;
  readonly value?: string;
  /** A bool flag that stands for another flag's value (`--check` is `--call=check`). */
  readonly sets?: { readonly flag: string; readonly value: string };
}

/** The flags of the bake command, in the order --help lists them. */
export const bakeFlags = [
  {
    name: "file",
    short: "f",
    kind: "list",
    value: "FILE",
    help: 'Build definition file (repeatable; "-" reads stdin)',
  },
  {
    name: "set",
    kind: "list",
    value: "TARGET.KEY=VALUE",
    help: 'Override a target attribute (repeatable), e.g. "app.args.VERSION=2", "*.platform=linux/arm64"',
  },
  {
    name: "print",
    kind: "bool",
    help: "Print the resolved build definition as JSON (same as buildx bake --print) and exit",
  },
  {
    name: "list",
    kind: "string",
    value: "TYPE",
    help: 'List "targets" or "variables" and exit ("type=targets,format=json" for JSON)',
  },
  {
    name: "call",
    kind: "string",
    value: "METHOD",
    help: 'Set method for evaluating build ("build", "check", "outline", "targets")',
  },
  {
    name: "check",
    kind: "bool",
    help: 'Shorthand for "--call=check"',
    sets: { flag: "call", value: "check" },
  },
  {
    name: "progress",
    kind: "string",
    value: "MODE",
    help: "Progress output: auto, tty, plain, rawjson, quiet (default auto)",
  },
  { name: "push", kind: "bool", help: "Shorthand for --set=*.output=type=registry" },
  { name: "load", kind: "bool", help: "Shorthand for --set=*.output=type=docker" },
  { name: "no-cache", kind: "bool", help: "Do not use cache when building" },
  { name: "pull", kind: "bool", help: "Always pull referenced images" },
  {
    name: "metadata-file",
    kind: "string",
    value: "FILE",
    help: "Write build results (digests, endpoints, timings) to FILE as JSON",
  },
  {
    name: "allow",
    kind: "list",
    value: "ENTITLEMENT",
    help: "Allow a build entitlement (e.g. network.host, fs.read=PATH)",
  },
  {
    name: "endpoint",
    kind: "list",
    value: "ADDRESS",
    help: "BuildKit endpoint to build on (repeatable; NAME=ADDRESS names it); default: MBAKE_ENDPOINTS, BUILDKIT_HOST, then local discovery",
  },
  {
    name: "cache",
    kind: "string",
    value: "REF",
    help: "Shared cache for every target, e.g. registry://HOST/REPO",
  },
  {
    name: "max-parallel",
    kind: "string",
    value: "N",
    help: "Run at most N builds at once across all endpoints",
  },
  { name: "fail-fast", kind: "bool", help: "Stop every build as soon as one target fails" },
  {
    name: "graph",
    kind: "string",
    value: "FORMAT",
    help: 'Print the target graph as "dot" or "mermaid" and exit',
  },
  {
    name: "dry-run",
    kind: "bool",
    help: "Show the plan (which target runs where, in what order) and exit",
  },
  { name: "help", short: "h", kind: "bool", help: "Show this help" },
  { name: "version", kind: "bool", help: "Print the mbake version" },
] as const satisfies readonly FlagSpec[];

/** The names of the flags of one kind in a flag table. */
type FlagNames<F extends readonly FlagSpec[], K extends FlagKind> = Extract<
  F[number],
  { readonly kind: K }
>["name"];

/** The flags as given, by kind; only names of the table's flags of that kind type-check. */
interface RawFlags<F extends readonly FlagSpec[]> {
  bools: Set<FlagNames<F, "bool">>;
  strings: Map<FlagNames<F, "string">, string>;
  lists: Map<FlagNames<F, "list">, string[]>;
  positionals: string[];
}

/** Splits argv by a flag table: `--name=value`, `--name value`, `-f value`, `-fvalue`, `--` ends flags. */
function scanFlags<const F extends readonly FlagSpec[]>(
  argv: readonly string[],
  specs: F,
  command: string,
): RawFlags<F> {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const raw = {
    bools: new Set<string>(),
    strings: new Map<string, string>(),
    lists: new Map<string, string[]>(),
    positionals: [] as string[],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      raw.positionals.push(...argv.slice(i + 1));
      break;
    }
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    let shown = arg;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (eq >= 0) inline = arg.slice(eq + 1);
      shown = `--${name}`;
      spec = byName.get(name);
      if (!spec) {
        throw new UsageError(
          `unknown flag ${shown}${didYouMean(name, byName.keys()).replace(/"([^"]+)"/, '"--$1"')}`,
          command,
        );
      }
    } else if (arg.startsWith("-") && arg.length > 1) {
      const letter = arg[1]!;
      spec = byShort.get(letter);
      shown = `-${letter}`;
      if (!spec) throw new UsageError(`unknown shorthand flag ${shown} in ${arg}`, command);
      if (arg.length > 2) inline = arg.slice(arg[2] === "=" ? 3 : 2);
    } else {
      raw.positionals.push(arg);
      continue;
    }
    if (spec.kind === "bool") {
      if (inline !== undefined && inline !== "true" && inline !== "false") {
        throw new UsageError(`flag ${shown} takes no value (got "${inline}")`, command);
      }
      if (inline === "false") raw.bools.delete(spec.name);
      else raw.bools.add(spec.name);
      // The later of `--check` and `--call=...` wins, as with one flag given twice.
      if (spec.sets && inline !== "false") raw.strings.set(spec.sets.flag, spec.sets.value);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined)
        throw new UsageError(`flag ${shown} needs a value (${spec.value ?? "VALUE"})`, command);
      value = next;
      i++;
    }
    if (spec.kind === "string") raw.strings.set(spec.name, value);
    else raw.lists.set(spec.name, [...(raw.lists.get(spec.name) ?? []), value]);
  }
  return raw as RawFlags<F>;
}

function isProgressMode(text: string): text is ProgressMode {
  return (progressModes as readonly string[]).includes(text);
}

function parsePositiveInt(text: string, flag: string, command: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1) {
    throw new UsageError(`flag --${flag} needs a positive whole number (got "${text}")`, command);
  }
  return Number(text);
}

function parseBake(argv: readonly string[]): Command {
  const raw = scanFlags(argv, bakeFlags, "bake");
  if (raw.bools.has("help")) return { kind: "help" };
  if (raw.bools.has("version")) return { kind: "version" };
  const progress = raw.strings.get("progress") ?? "auto";
  if (!isProgressMode(progress)) {
    throw new UsageError(
      `invalid --progress "${progress}": use one of ${progressModes.join(", ")}${didYouMean(progress, progressModes)}`,
      "bake",
    );
  }
  const graph = raw.strings.get("graph");
  if (graph !== undefined && graph !== "dot" && graph !== "mermaid") {
    throw new UsageError(`invalid --graph "${graph}": use "dot" or "mermaid"`, "bake");
  }
  const list = raw.strings.get("list");
  if (list !== undefined) parseListFlag(list);
  const call = parseCallFlag(raw.strings.get("call"));
  const maxParallel = raw.strings.get("max-parallel");
  const endpointsFromFlag = raw.lists.get("endpoint") ?? [];
  return {
    kind: "bake",
    options: {
      files: raw.lists.get("file") ?? [],
      targets: raw.positionals,
      set: raw.lists.get("set") ?? [],
      print: raw.bools.has("print"),
      ...(list !== undefined ? { list } : {}),
      ...(call?.name !== undefined ? { call: call.name } : {}),
      ...(call?.format ? { callFormat: call.format } : {}),
      ...(call?.ignoreStatus ? { callIgnoreStatus: true } : {}),
      progress,
      push: raw.bools.has("push"),
      load: raw.bools.has("load"),
      noCache: raw.bools.has("no-cache"),
      pull: raw.bools.has("pull"),
      ...(raw.strings.has("metadata-file")
        ? { metadataFile: raw.strings.get("metadata-file")! }
        : {}),
      allow: raw.lists.get("allow") ?? [],
      endpoints: endpointsFromFlag,
      ...(raw.strings.has("cache") ? { cache: raw.strings.get("cache")! } : {}),
      ...(maxParallel !== undefined
        ? { maxParallel: parsePositiveInt(maxParallel, "max-parallel", "bake") }
        : {}),
      failFast: raw.bools.has("fail-fast"),
      ...(graph !== undefined ? { graph } : {}),
      dryRun: raw.bools.has("dry-run"),
    },
  };
}

const endpointFlag = {
  name: "endpoint",
  kind: "list",
  value: "ADDRESS",
  help: "BuildKit endpoint (repeatable); default: configured or discovered endpoints",
} as const satisfies FlagSpec;
const helpFlag = {
  name: "help",
  short: "h",
  kind: "bool",
  help: "Show this help",
} as const satisfies FlagSpec;

export const endpointsFlags = [
  endpointFlag,
  { name: "json", kind: "bool", help: "Print JSON instead of a table" },
  helpFlag,
] as const satisfies readonly FlagSpec[];
export const duFlags = [
  endpointFlag,
  { name: "verbose", short: "v", kind: "bool", help: "List every cache record" },
  helpFlag,
] as const satisfies readonly FlagSpec[];
export const pruneFlags = [
  endpointFlag,
  {
    name: "all",
    short: "a",
    kind: "bool",
    help: "Remove all cache, not just dangling/internal records",
  },
  { name: "force", kind: "bool", help: "Do not ask for confirmation" },
  {
    name: "keep-duration",
    kind: "string",
    value: "DURATION",
    help: "Keep cache newer than this (e.g. 24h, 30m)",
  },
  {
    name: "keep-storage",
    kind: "string",
    value: "SIZE",
    help: "Keep this much storage (e.g. 10GB, 512MB)",
  },
  helpFlag,
] as const satisfies readonly FlagSpec[];

/** For subcommands that take flags only. */
function noPositionals(positionals: readonly string[], command: string): void {
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals[0]}"`, command);
}

/** Parses argv (without node and script). Throws UsageError for mistakes. */
export function parseArgs(argv: readonly string[]): Command {
  const first = argv[0];
  switch (first) {
    case "help":
      return { kind: "help", ...(argv[1] ? { topic: argv[1] } : {}) };
    case "version":
      return { kind: "version" };
    case "completion": {
      const shell = argv[1];
      if (shell !== "bash" && shell !== "zsh" && shell !== "fish") {
        throw new UsageError(
          `completion needs a shell: bash, zsh or fish${shell ? ` (got "${shell}")` : ""}`,
          "completion",
        );
      }
      return { kind: "completion", shell };
    }
    case "endpoints": {
      const raw = scanFlags(argv.slice(1), endpointsFlags, "endpoints");
      if (raw.bools.has("help")) return { kind: "help", topic: "endpoints" };
      const [sub, name, ...rest] = raw.positionals;
      if (sub !== undefined && sub !== "inspect" && sub !== "ls") {
        throw new UsageError(
          `unknown endpoints command "${sub}"${didYouMean(sub, ["inspect", "ls"])}`,
          "endpoints",
        );
      }
      if (sub === "inspect" && !name)
        throw new UsageError("endpoints inspect needs an endpoint NAME or address", "endpoints");
      if (rest.length > 0 || (sub === "ls" && name))
        throw new UsageError(`unexpected argument "${rest[0] ?? name}"`, "endpoints");
      return {
        kind: "endpoints",
        endpoints: raw.lists.get("endpoint") ?? [],
        ...(sub === "inspect" ? { inspect: name! } : {}),
        json: raw.bools.has("json"),
      };
    }
    case "du": {
      const raw = scanFlags(argv.slice(1), duFlags, "du");
      if (raw.bools.has("help")) return { kind: "help", topic: "du" };
      noPositionals(raw.positionals, "du");
      return {
        kind: "du",
        endpoints: raw.lists.get("endpoint") ?? [],
        verbose: raw.bools.has("verbose"),
      };
    }
    case "prune": {
      const raw = scanFlags(argv.slice(1), pruneFlags, "prune");
      if (raw.bools.has("help")) return { kind: "help", topic: "prune" };
      noPositionals(raw.positionals, "prune");
      return {
        kind: "prune",
        endpoints: raw.lists.get("endpoint") ?? [],
        all: raw.bools.has("all"),
        force: raw.bools.has("force"),
        ...(raw.strings.has("keep-duration")
          ? { keepDuration: raw.strings.get("keep-duration")! }
          : {}),
        ...(raw.strings.has("keep-storage")
          ? { keepStorage: raw.strings.get("keep-storage")! }
          : {}),
      };
    }
    default:
      return parseBake(argv);
  }
}

export type { FlagSpec };

/** `--list targets`, `--list type=variables,format=json` (buildx's parseList). */
export function parseListFlag(text: string): {
  type: "targets" | "variables";
  format: "table" | "json";
} {
  let type: string | undefined;
  let format = "table";
  const fields = text.split(",");
  if (fields.length === 1 && !text.startsWith("type=")) type = text;
  else {
    for (const field of fields) {
      const eq = field.indexOf("=");
      if (eq < 0)
        throw new UsageError(`invalid --list "${text}": ${field} is not KEY=VALUE`, "bake");
      const key = field.slice(0, eq).trim().toLowerCase();
      if (key === "type") type = field.slice(eq + 1);
      else if (key === "format") format = field.slice(eq + 1);
      else throw new UsageError(`invalid --list "${text}": unexpected key "${key}"`, "bake");
    }
  }
  if (type !== "targets" && type !== "variables")
    throw new UsageError(`invalid --list "${text}": use "targets" or "variables"`, "bake");
  if (format !== "table" && format !== "json")
    throw new UsageError(`invalid --list "${text}": format is "table" or "json"`, "bake");
  return { type, format };
}

/**
 * `--call check,format=json,ignorestatus=true`, by buildx's ParseCallFunc (CSV fields: one
 * method, format=..., ignorestatus=BOOL): the method's name ("build", the default, and an
 * empty flag are no call at all; an empty name with other fields sets call to ""), the
 * output format and whether status codes are ignored.
 */
function parseCallFlag(
  text: string | undefined,
): { name?: string; format?: string; ignoreStatus?: boolean } | undefined {
  if (text === undefined || text === "") return undefined;
  let name: string | undefined;
  let format: string | undefined;
  let ignoreStatus: boolean | undefined;
  for (const field of splitCsv(text)) {
    const eq = field.indexOf("=");
    if (eq < 0) {
      if (name) throw new UsageError(`invalid --call "${text}": one method only`, "bake");
      name = field;
      continue;
    }
    const key = field.slice(0, eq);
    const value = field.slice(eq + 1);
    if (key === "format") format = value;
    else if (key === "ignorestatus") {
      ignoreStatus = goParseBool(value);
      if (ignoreStatus === undefined)
        throw new UsageError(
          `invalid --call "${text}": ignorestatus is true or false (got "${value}")`,
          "bake",
        );
    } else
      throw new UsageError(
        `invalid --call "${text}": unexpected key "${key}" (use format= or ignorestatus=)`,
        "bake",
      );
  }
  // buildx keeps "lint" as the name of what --check and --call=check ask for.
  if (name === "check") name = "lint";
  if (name === "build") return undefined;
  return {
    name: name ?? "",
    ...(format !== undefined ? { format } : {}),
    ...(ignoreStatus ? { ignoreStatus } : {}),
  };
}
