/**
 * The differential check of `mbake --print` / `--list` against the reference buildx.
 *
 * A case is a folder under test/fixtures/bake-cases/<source>/<case>/ holding the files the
 * case reads and a case.json: the arguments (as given to `buildx bake`), the environment,
 * where the case comes from, and, for a case allowed to differ, why. Public bake files are
 * kept once per file set under test/fixtures/bake-public/<set>/ with a set.json naming their
 * origin, environment and the invocations run on them; each invocation is a case
 * "public/<set>--<invocation>". buildx runs as a process in a clean environment; mbake runs
 * in-process through the CLI's run() with the same argv, environment and working folder.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import type { CliIo } from "../../../src/cli/io.js";

export interface CaseSpec {
  /** Arguments after `bake` (for buildx) and after `mbake` (for mbake). */
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Where the case comes from (repository, path, commit, test name). */
  readonly origin?: Readonly<Record<string, string>>;
  /** Set when the case is known to differ: the reason. The suite then requires a difference. */
  readonly differs?: string;
  /**
   * Set when buildx's own output changes between runs (Go map order): the reason. Only the
   * outcome (success or failure) is compared.
   */
  readonly unstable?: string;
}

export interface BakeCase {
  readonly id: string;
  readonly dir: string;
  readonly spec: CaseSpec;
}

export interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export const casesRoot = new URL("../../fixtures/bake-cases/", import.meta.url).pathname;
export const publicRoot = new URL("../../fixtures/bake-public/", import.meta.url).pathname;
const repoRoot = new URL("../../../", import.meta.url).pathname;

/** Every case under the cases folder, sorted by id ("source/name"). */
export function loadCases(root = casesRoot): BakeCase[] {
  const cases: BakeCase[] = [];
  const walk = (dir: string, rel: string): void => {
    if (existsSync(join(dir, "case.json"))) {
      const spec = JSON.parse(readFileSync(join(dir, "case.json"), "utf8")) as CaseSpec;
      cases.push({ id: rel, dir, spec });
      return;
    }
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path, rel ? `${rel}/${name}` : name);
    }
  };
  walk(root, "");
  return cases;
}

/** One public file set: its files sit beside set.json, which says how to run them. */
export interface PublicSet {
  /** Repository ("owner/name"), commit, and the paths in it the files were copied from. */
  readonly origin: Readonly<{ repo: string; commit: string; paths: readonly string[] }>;
  /** Environment every invocation of the set runs with (variables the files expect). */
  readonly env?: Readonly<Record<string, string>>;
  /** Invocation name (the case id's suffix) to its arguments and markers. */
  readonly invocations: Readonly<
    Record<string, Pick<CaseSpec, "args" | "env" | "differs" | "unstable">>
  >;
}

/** Every invocation of every public set, as cases "public/<set>--<invocation>", sorted. */
export function loadPublicSets(root = publicRoot): BakeCase[] {
  if (!existsSync(root)) return [];
  const cases: BakeCase[] = [];
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    const file = join(dir, "set.json");
    if (!existsSync(file)) continue;
    const set = JSON.parse(readFileSync(file, "utf8")) as PublicSet;
    const origin = {
      repo: set.origin.repo,
      commit: set.origin.commit,
      path: set.origin.paths.join(" "),
    };
    for (const [inv, spec] of Object.entries(set.invocations)) {
      cases.push({
        id: `public/${name}--${inv}`,
        dir,
        spec: { ...spec, env: { ...set.env, ...spec.env }, origin },
      });
    }
  }
  return cases.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The reference buildx: `buildx` in .test-env/env.json, else the unpacked Debian package. */
export function referenceBuildx(): string {
  const envJson = join(repoRoot, ".test-env", "env.json");
  if (existsSync(envJson)) {
    const env = JSON.parse(readFileSync(envJson, "utf8")) as { buildx?: string };
    if (env.buildx && existsSync(env.buildx)) return env.buildx;
  }
  const unpacked = join(
    repoRoot,
    ".test-env/modern/fs/usr/libexec/docker/cli-plugins/docker-buildx",
  );
  if (existsSync(unpacked)) return unpacked;
  throw new Error(
    `the reference buildx is missing: neither .test-env/env.json "buildx" nor ${unpacked} exists; run scripts/test-env up`,
  );
}

/** A clean HOME and an empty DOCKER_CONFIG, shared by both sides. */
export function cleanHome(): { HOME: string; DOCKER_CONFIG: string } {
  const base = mkdtempSync(join(tmpdir(), "mbake-diff-"));
  const home = join(base, "home");
  const config = join(base, "docker");
  for (const d of [home, config]) mkdirSync(d);
  return { HOME: home, DOCKER_CONFIG: config };
}

export function caseEnv(
  c: BakeCase,
  home: { HOME: string; DOCKER_CONFIG: string },
): Record<string, string> {
  return { PATH: "/usr/bin:/bin", ...home, ...c.spec.env };
}

/**
 * buildx's outcome for a case. MBAKE_DIFF_CACHE=DIR keeps outcomes there, keyed by the case's
 * files, arguments and environment (for working on differences; CI asks buildx every time).
 */
export async function runBuildx(
  buildx: string,
  c: BakeCase,
  env: Record<string, string>,
): Promise<Outcome> {
  const cacheDir = process.env.MBAKE_DIFF_CACHE;
  if (!cacheDir) return spawnBuildx(buildx, c, env);
  const hash = createHash("sha256").update(JSON.stringify([c.spec.args, c.spec.env ?? {}]));
  for (const name of readdirSync(c.dir).sort()) {
    const path = join(c.dir, name);
    if (name !== "case.json" && name !== "set.json" && statSync(path).isFile())
      hash.update(name).update(readFileSync(path));
  }
  const file = join(cacheDir, `${hash.digest("hex")}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as Outcome;
  const outcome = await spawnBuildx(buildx, c, env);
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(file, JSON.stringify(outcome));
  return outcome;
}

function spawnBuildx(buildx: string, c: BakeCase, env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      buildx,
      ["bake", ...c.spec.args],
      { cwd: c.dir, env, timeout: 60_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

class Collect extends Writable {
  text = "";
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export type RunCli = (io: CliIo) => Promise<number>;

export async function runMbakeInProcess(
  run: RunCli,
  c: BakeCase,
  env: Record<string, string>,
): Promise<Outcome> {
  const stdout = new Collect();
  const stderr = new Collect();
  const stdin = new PassThrough();
  stdin.end();
  const code = await run({
    argv: c.spec.args,
    env: { ...env, NO_COLOR: "1" },
    cwd: c.dir,
    stdout,
    stderr,
    stdin,
    signal: new AbortController().signal,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Values that change per run, replaced by their shape. */
export function normalize(text: string): string {
  return text
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g, "<timestamp>")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/g, "<uuid>");
}

export interface Position {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** buildx: `ERROR: docker-bake.hcl:2,16-28: ...` (the last ERROR line). */
export function buildxErrorPosition(stderr: string): Position | undefined {
  const lines = stderr.split("\n").filter((l) => l.startsWith("ERROR: "));
  const m = /^ERROR: ([^\s:]+):(\d+),(\d+)(?:-\d+(?:,\d+)?)?: /.exec(lines.at(-1) ?? "");
  return m ? { file: m[1]!, line: Number(m[2]), column: Number(m[3]) } : undefined;
}

/** mbake: `error: docker-bake.hcl:2:16: ...`. */
export function mbakeErrorPositions(stderr: string): Position[] {
  const out: Position[] = [];
  for (const m of stderr.matchAll(/([^\s:]+):(\d+):(\d+)/g)) {
    out.push({ file: m[1]!, line: Number(m[2]), column: Number(m[3]) });
  }
  return out;
}

export interface Verdict {
  readonly same: boolean;
  /** What differs, for a person to read. */
  readonly why: string;
}

export function compare(buildx: Outcome, mbake: Outcome, outcomeOnly = false): Verdict {
  const bxOk = buildx.code === 0;
  const mbOk = mbake.code === 0;
  if (bxOk !== mbOk) {
    return {
      same: false,
      why: bxOk
        ? `buildx succeeds, mbake fails (exit ${mbake.code}):\n${mbake.stderr}`
        : `buildx fails (exit ${buildx.code}), mbake succeeds:\n${lastError(buildx.stderr)}`,
    };
  }
  if (outcomeOnly) return { same: true, why: "" };
  if (bxOk) {
    const a = normalize(buildx.stdout);
    const b = normalize(mbake.stdout);
    return a === b ? { same: true, why: "" } : { same: false, why: firstDifference(a, b) };
  }
  if (mbake.stderr.includes("\n    at "))
    return { same: false, why: `stack trace:\n${mbake.stderr}` };
  const at = buildxErrorPosition(buildx.stderr);
  if (!at) return { same: true, why: "" };
  // With several diagnostics buildx shows the first in Go map order, which varies by run.
  if (/, and \d+ other diagnostic\(s\)/.test(lastError(buildx.stderr)))
    return { same: true, why: "" };
  const found = mbakeErrorPositions(mbake.stderr).some(
    (p) => p.file === at.file && p.line === at.line && p.column === at.column,
  );
  return found
    ? { same: true, why: "" }
    : {
        same: false,
        why: `buildx fails at ${at.file}:${at.line}:${at.column}:\n${lastError(buildx.stderr)}\nmbake:\n${mbake.stderr}`,
      };
}

function lastError(stderr: string): string {
  return (
    stderr
      .split("\n")
      .filter((l) => l.startsWith("ERROR: "))
      .at(-1) ?? stderr.trim()
  );
}

function firstDifference(a: string, b: string): string {
  const al = a.split("\n");
  const bl = b.split("\n");
  let i = 0;
  while (i < al.length && i < bl.length && al[i] === bl[i]) i++;
  const from = Math.max(0, i - 3);
  const show = (l: string[]) => l.slice(from, i + 4).join("\n");
  return `first difference at stdout line ${i + 1}\n--- buildx\n${show(al)}\n--- mbake\n${show(bl)}`;
}

/** Runs fn over items with at most `limit` at once, keeping order in the results. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
