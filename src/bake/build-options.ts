/**
 * Checks buildx makes when it turns a resolved target into build options (its
 * toBuildOpt), which `--print` runs too: a shm-size must be a size, every platform a
 * platform name (platform-spec.ts), every ulimit a known limit with whole-number values. Pure.
 */
import { InputError } from "../diagnostics/error-kind.js";
import type { Target } from "./model.js";
import { platformProblem } from "./platform-spec.js";

export class TargetOptionError extends InputError {
  override name = "TargetOptionError";
}

/** docker/go-units' RAMInBytes syntax: `64m`, `1.5g`, `128`, `64MiB`, `64 mb` (no sign). */
export function isRamSize(text: string): boolean {
  let sep = -1;
  for (let i = text.length - 1; i >= 0; i--) {
    if ("0123456789. ".includes(text[i]!)) {
      sep = i;
      break;
    }
  }
  if (sep < 0) return false;
  const num = text[sep] === " " ? text.slice(0, sep) : text.slice(0, sep + 1);
  const suffix = text.slice(sep + 1).toLowerCase();
  if (!/^[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(num)) return false;
  if (suffix === "" || suffix === "b") return true;
  if (suffix.length > 3 || !"kmgtp".includes(suffix[0]!)) return false;
  return suffix.length === 1 || suffix.slice(1) === "b" || suffix.slice(1) === "ib";
}

/** The resource names a ulimit may set (go-units). */
const ulimitNames = new Set([
  "core",
  "cpu",
  "data",
  "fsize",
  "locks",
  "memlock",
  "msgqueue",
  "nice",
  "nofile",
  "nproc",
  "rss",
  "rtprio",
  "rttime",
  "sigpending",
  "stack",
]);

/** Go's strconv.ParseInt(s, 10, 64). */
function isInt64(text: string): boolean {
  if (!/^[+-]?\d+$/.test(text)) return false;
  const n = BigInt(text);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

function checkUlimit(target: string, text: string): void {
  const eq = text.indexOf("=");
  const bad = (why: string) =>
    new TargetOptionError(`target "${target}": invalid ulimit "${text}": ${why}`);
  if (eq < 0) throw bad('write it as NAME=SOFT[:HARD], e.g. "nofile=1024:2048"');
  const name = text.slice(0, eq);
  if (!ulimitNames.has(name))
    throw bad(`"${name}" is not a limit (${[...ulimitNames].join(", ")})`);
  const values = text.slice(eq + 1).split(":");
  if (values.length > 2) throw bad("give at most a soft and a hard limit");
  for (const v of values) if (!isInt64(v)) throw bad(`"${v}" is not a whole number`);
  if (values.length === 2 && BigInt(values[0]!) > BigInt(values[1]!))
    throw bad("the soft limit must not exceed the hard limit");
}

/** Throws TargetOptionError for the first option buildx would refuse. */
export function checkBuildOptions(t: Target): void {
  if (t.shmSize !== undefined && !isRamSize(t.shmSize)) {
    throw new TargetOptionError(
      `target "${t.name}": invalid shm-size "${t.shmSize}": give a size such as 64m or 1g`,
    );
  }
  for (const p of t.platforms ?? []) {
    const problem = platformProblem(p);
    if (problem)
      throw new TargetOptionError(
        `target "${t.name}": invalid platform: ${problem}; write it as OS/ARCH[/VARIANT], e.g. linux/amd64`,
      );
  }
  for (const u of t.ulimits ?? []) checkUlimit(t.name, u);
}
