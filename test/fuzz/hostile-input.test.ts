/**
 * Fuzzing, bounded in count: bake files (HCL, JSON, compose), --set values and other flags,
 * endpoint addresses, mbake.json and output/secret paths, all from a fixed seed. The CLI
 * runs in-process with --print (no build). Properties, for every case:
 * - exit 0 or 2 (1 means a failed build, and nothing is built here), never a stack trace;
 * - diagnostics name their file (and a line and column when they have a position);
 * - no case runs longer than a generous bound (a hang or an unbounded evaluation);
 * - no program starts (fake ssh, kubectl and docker first on PATH record any start);
 * - no file is written or deleted in the project folder.
 * FUZZ_CASES (cases per kind, default 150) and FUZZ_SEED change the run: `FUZZ_CASES=20000
 * npx vitest run --project unit test/fuzz` is the long campaign.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkOutputDest, OutputDestError } from "../../src/buildkit/session/output-dest.js";
import { parseAddress, startsProgram, stdioCommand } from "../../src/buildkit/transport/address.js";
import { parseMbakeConfig, selectEndpoints } from "../../src/cli/endpoint-config.js";
import { run } from "../../src/cli/run.js";
import { readBoundedFile, readLimits } from "../../src/support/read-file.js";
import {
  generatedAddress,
  generatedConfig,
  generatedFlags,
  generatedHcl,
  generatedJson,
  generatedPath,
  generatedSet,
  int,
  mutate,
  pick,
  type Rng,
  rngFrom,
  seeds,
} from "./fuzz-support.js";

const casesPerKind = Number(process.env.FUZZ_CASES ?? 150);
const seed = Number(process.env.FUZZ_SEED ?? 20261202);
/** Far above any case's time; only a hang or an unbounded evaluation reaches it. */
const hangBoundMs = 20_000;
/** Each kind's whole run: the default count fits the unit timeout; a long campaign needs more. */
const kindTimeoutMs = Math.max(60_000, casesPerKind * 100);

let tools: { bin: string; log: string };
let savedPath: string | undefined;
const counts: Record<string, number> = {};

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), "mbake-fuzz-tools-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const log = join(dir, "started.log");
  for (const tool of ["ssh", "kubectl", "docker"]) {
    writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> "${log}"\nexit 255\n`);
    chmodSync(join(bin, tool), 0o755);
  }
  tools = { bin, log };
  savedPath = process.env.PATH;
  process.env.PATH = `${bin}:${savedPath}`;
});

afterAll(() => {
  process.env.PATH = savedPath;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(
    `fuzz: ${total} cases (seed ${seed}): ${Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );
});

function sink(): NodeJS.WritableStream & { text: () => string } {
  let text = "";
  return {
    write(chunk: string | Uint8Array) {
      text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
      return true;
    },
    text: () => text,
  } as unknown as NodeJS.WritableStream & { text: () => string };
}

/** The names, kinds and sizes of everything in a folder (symlinks not followed). */
function snapshot(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((e) => {
      const p = join(e.parentPath, e.name);
      const st = e.isSymbolicLink() || !e.isFile() ? undefined : statSync(p);
      return `${p}:${e.isDirectory() ? "d" : e.isSymbolicLink() ? "l" : "f"}:${st?.size ?? ""}`;
    })
    .sort()
    .join("\n");
}

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-fuzz-"));
  writeFileSync(join(dir, "s.txt"), "secret");
  mkdirSync(join(dir, "out"));
  return dir;
}

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

async function runCli(dir: string, argv: string[]): Promise<Outcome> {
  const stdout = sink();
  const stderr = sink();
  const started = performance.now();
  const code = await run({
    argv,
    env: { PATH: process.env.PATH, HOME: dir, DOCKER_CONFIG: join(dir, "no-docker-config") },
    cwd: dir,
    stdout,
    stderr,
    stdin: Readable.from([]),
    signal: new AbortController().signal,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text(), ms: performance.now() - started };
}

/** The properties every CLI case must have; a failure names the case to reproduce it. */
function check(
  kind: string,
  index: number,
  files: Record<string, string>,
  argv: string[],
  o: Outcome,
): void {
  const where = `${kind} case ${index} (seed ${seed}): mbake ${JSON.stringify(argv)} with ${JSON.stringify(files).slice(0, 2000)}\nstderr: ${o.stderr.slice(0, 2000)}`;
  expect([0, 2], where).toContain(o.code);
  expect(o.stderr, where).not.toMatch(/\n\s+at .+:\d+:\d+\)?(\n|$)|Maximum call stack|Unhandled/);
  expect(o.stderr, where).not.toMatch(/\b(TypeError|ReferenceError|RangeError)\b/);
  for (const line of o.stderr.split("\n")) {
    if (!/^error: /.test(line)) continue;
    // A diagnostic names the file it is about (with line:column when it has a position).
    const named =
      Object.keys(files).some((f) => line.includes(f)) || /^error: [^:]+:\d+:\d+: /.test(line);
    expect(named, `${where}\nunnamed diagnostic: ${line}`).toBe(true);
  }
  expect(o.ms, `${where}\ntook ${Math.round(o.ms)} ms`).toBeLessThan(hangBoundMs);
  expect(
    existsSync(tools.log),
    `${where}\nstarted: ${existsSync(tools.log) ? readFileSync(tools.log, "utf8") : ""}`,
  ).toBe(false);
}

async function cliCase(kind: string, index: number, files: Record<string, string>, argv: string[]) {
  counts[kind] = (counts[kind] ?? 0) + 1;
  const dir = project();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const before = snapshot(dir);
  const o = await runCli(dir, argv);
  check(kind, index, files, argv, o);
  expect(snapshot(dir), `${kind} case ${index}: files changed`).toBe(before);
}

function bakeArgs(rng: Rng, file: string): string[] {
  return ["-f", file, "--print", ...generatedFlags(rng)];
}

describe("fuzzing the CLI with hostile bake files and flags", { timeout: kindTimeoutMs }, () => {
  it("HCL: mutations of the project's bake files", async () => {
    const rng = rngFrom(seed);
    for (let i = 0; i < casesPerKind; i++) {
      const text = mutate(pick(rng, seeds.hcl), rng);
      await cliCase(
        "hcl-mutated",
        i,
        { "docker-bake.hcl": text },
        bakeArgs(rng, "docker-bake.hcl"),
      );
    }
  });

  it("HCL: generated bake files", async () => {
    const rng = rngFrom(seed + 1);
    for (let i = 0; i < casesPerKind; i++) {
      const text = rng() < 0.3 ? mutate(generatedHcl(rng), rng) : generatedHcl(rng);
      await cliCase(
        "hcl-generated",
        i,
        { "docker-bake.hcl": text },
        bakeArgs(rng, "docker-bake.hcl"),
      );
    }
  });

  it("JSON bake files", async () => {
    const rng = rngFrom(seed + 2);
    for (let i = 0; i < casesPerKind; i++) {
      await cliCase(
        "json",
        i,
        { "docker-bake.json": generatedJson(rng) },
        bakeArgs(rng, "docker-bake.json"),
      );
    }
  });

  it("compose files (and .env)", async () => {
    const rng = rngFrom(seed + 3);
    for (let i = 0; i < casesPerKind; i++) {
      const files: Record<string, string> = {
        "compose.yaml": mutate(pick(rng, seeds.compose), rng),
      };
      if (rng() < 0.3) files[".env"] = mutate("TAG=1\nA=__proto__\nexport B='x'\n", rng, 1);
      await cliCase("compose", i, files, bakeArgs(rng, "compose.yaml"));
    }
  });

  it("--set values and other flags over a valid file", async () => {
    const rng = rngFrom(seed + 4);
    const text = pick(
      rng,
      seeds.hcl.filter((s) => s.includes("target")),
    );
    for (let i = 0; i < casesPerKind; i++) {
      const argv = [
        "-f",
        "docker-bake.hcl",
        "--print",
        "--set",
        generatedSet(rng),
        ...generatedFlags(rng),
      ];
      await cliCase("flags", i, { "docker-bake.hcl": text }, argv);
    }
  });
});

describe("fuzzing endpoints and paths", () => {
  it("endpoint addresses: only AddressErrors, and no part becomes a program's option", () => {
    const rng = rngFrom(seed + 5);
    for (let i = 0; i < casesPerKind * 4; i++) {
      counts.address = (counts.address ?? 0) + 1;
      const address = generatedAddress(rng);
      let parsed: ReturnType<typeof parseAddress> | undefined;
      try {
        parsed = parseAddress(address, {});
      } catch (err) {
        expect((err as Error).name, address).toBe("AddressError");
        continue;
      }
      if (!startsProgram(parsed)) continue;
      const command = stdioCommand(parsed)!;
      const fixed = new Set(["-T", "-p", "--", "-i", "--addr", "exec", "buildctl", "dial-stdio"]);
      for (const arg of command.args) {
        if (fixed.has(arg) || /^--(context|namespace|container)=/.test(arg)) continue;
        expect(arg.startsWith("-"), `${address} gives ${JSON.stringify(command.args)}`).toBe(false);
      }
    }
  });

  it("mbake.json: only ConfigErrors and AddressErrors; project files start no program", () => {
    const rng = rngFrom(seed + 6);
    for (let i = 0; i < casesPerKind * 4; i++) {
      counts.config = (counts.config ?? 0) + 1;
      const text = generatedConfig(rng);
      try {
        const config = parseMbakeConfig(text, "mbake.json");
        const chosen = selectEndpoints([], {}, config);
        for (const e of chosen)
          expect(startsProgram(parseAddress(e.address, {})), text).toBe(false);
      } catch (err) {
        expect(["ConfigError", "AddressError"], `${text}: ${(err as Error).stack}`).toContain(
          (err as Error).name,
        );
      }
    }
  });

  it("output and secret paths: refused or accepted, nothing created, deleted or read without bound", () => {
    const rng = rngFrom(seed + 7);
    const dir = project();
    writeFileSync(join(dir, "file.txt"), "x");
    mkdirSync(join(dir, "dir"));
    symlinkSync("/", join(dir, "link"));
    const before = snapshot(dir);
    for (let i = 0; i < casesPerKind * 2; i++) {
      counts.path = (counts.path ?? 0) + 1;
      const path = generatedPath(rng);
      const full = path.startsWith("/") ? path : join(dir, path);
      try {
        checkOutputDest(pick(rng, ["local", "tar"] as const), full);
      } catch (err) {
        expect(err, path).toBeInstanceOf(OutputDestError);
      }
      try {
        readBoundedFile(full, readLimits.secret, "secret file", path);
      } catch (err) {
        expect((err as Error).name, path).toBe("FileReadError");
      }
      void int;
    }
    expect(snapshot(dir)).toBe(before);
  });
});
