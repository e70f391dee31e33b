/**
 * Platform names as buildx checks them when it turns a target into build options (also
 * for --print): containerd's platform specifier syntax, `OS[(VERSION+FEATURES)]/ARCH[/VARIANT]`,
 * or one OS or architecture name alone, or `local`; several may be given in one entry,
 * separated by commas. Only the syntax and the one-name form are checked, as containerd
 * checks them (`linux/foo` passes, `foo` does not). Pure.
 */

/** The first component: an OS, with an optional (version+features). */
const osComponent = /^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]+)*)\))?$/;
const component = /^[A-Za-z0-9_.-]+$/;

/** OS names containerd knows (its isKnownOS). */
const knownOs = new Set([
  "aix",
  "android",
  "darwin",
  "dragonfly",
  "freebsd",
  "hurd",
  "illumos",
  "ios",
  "js",
  "linux",
  "nacl",
  "netbsd",
  "openbsd",
  "plan9",
  "solaris",
  "windows",
  "zos",
]);

/** Architecture names containerd knows (its isKnownArch), and the aliases it maps to them. */
const knownArch = new Set([
  "386",
  "amd64",
  "amd64p32",
  "arm",
  "armbe",
  "arm64",
  "arm64be",
  "ppc64",
  "ppc64le",
  "loong64",
  "mips",
  "mipsle",
  "mips64",
  "mips64le",
  "mips64p32",
  "mips64p32le",
  "ppc",
  "riscv",
  "riscv64",
  "s390",
  "s390x",
  "sparc",
  "sparc64",
  "wasm",
]);
const archAliases = new Map([
  ["i386", "386"],
  ["x86_64", "amd64"],
  ["x86-64", "amd64"],
  ["aarch64", "arm64"],
  ["armhf", "arm"],
  ["armel", "arm"],
]);

/** One name alone: an OS (it may carry a version: `linux(1)`), or an architecture. */
function isKnownName(part: string): boolean {
  const os = part.replace(/\(.*$/, "").toLowerCase();
  if (knownOs.has(os)) return true;
  const lower = part.toLowerCase();
  return knownArch.has(archAliases.get(lower) ?? lower);
}

/** Why one specifier (no commas) is refused, in containerd's words; undefined when it is fine. */
function specifierProblem(spec: string): string | undefined {
  if (spec.toLowerCase() === "local") return undefined;
  if (spec.includes("*")) return `${JSON.stringify(spec)}: wildcards not yet supported`;
  // At most 4 parts, the last taking the rest (as Go's SplitN): "a/b/c/d/e" has "d/e".
  const all = spec.split("/");
  const parts = all.length > 4 ? [...all.slice(0, 3), all.slice(3).join("/")] : all;
  for (const [i, part] of parts.entries()) {
    if (i === 0 && !osComponent.test(part))
      return `${JSON.stringify(part)} is an invalid OS component of ${JSON.stringify(spec)}: OSAndVersion specifier component must match ${JSON.stringify(osComponent.source)}`;
    if (i > 0 && !component.test(part))
      return `${JSON.stringify(part)} is an invalid component of ${JSON.stringify(spec)}: platform specifier component must match ${JSON.stringify(component.source)}`;
  }
  if (parts.length === 1)
    return isKnownName(parts[0]!)
      ? undefined
      : `${JSON.stringify(spec)}: unknown operating system or architecture`;
  return parts.length <= 3 ? undefined : `${JSON.stringify(spec)}: cannot parse platform specifier`;
}

/** Why a target's platforms entry is refused (each comma-separated name checked); undefined when fine. */
export function platformProblem(entry: string): string | undefined {
  if (entry === "") return undefined;
  for (const spec of entry.split(",")) {
    const problem = specifierProblem(spec);
    if (problem) return problem;
  }
  return undefined;
}
