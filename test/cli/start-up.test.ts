/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: bake file text */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { mbakeModules, runMbake } from "./run-mbake.js";

const recorder = fileURLToPath(new URL("../support/record-loaded-modules.mjs", import.meta.url));

/**
 * Runs the built mbake as plain modules and returns the CommonJS modules it loaded (paths
 * below node_modules). The bundle the mbake command runs keeps these modules' order: each
 * module in it starts when the module that imports it is imported, not before.
 */
async function loadedModules(
  args: string[],
  cwd: string,
  env: Record<string, string | undefined> = {},
) {
  const list = join(mkdtempSync(join(tmpdir(), "mbake-loaded-")), "modules.txt");
  const run = await runMbake(args, {
    bin: mbakeModules,
    cwd,
    env: {
      ...env,
      NODE_OPTIONS: `--import=${recorder}`,
      MBAKE_TEST_LOADED_MODULES: list,
    },
  });
  const modules = readFileSync(list, "utf8")
    .split("\n")
    .filter((p) => p.includes("/node_modules/"))
    .map((p) => p.slice(p.lastIndexOf("/node_modules/") + "/node_modules/".length));
  return { run, modules };
}

/** gRPC and protobuf; the YAML parser, Ajv and React, which only some runs need. */
const heavy = (modules: string[]) =>
  modules.filter((m) => /^(@grpc\/|protobufjs\/|@protobufjs\/|yaml\/|ajv\/|react)/.test(m));

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-start-up-"));
  writeFileSync(
    join(dir, "docker-bake.hcl"),
    'variable "TAG" { default = "1" }\ngroup "default" { targets = ["app"] }\ntarget "app" {\n  tags = ["app:${TAG}"]\n}\n',
  );
  return dir;
}

describe("start-up loads nothing it does not need", () => {
  it("--print, --list, --graph, --help and --version of an HCL file load none of them", async () => {
    const dir = project();
    for (const args of [
      ["--print"],
      ["--list", "targets"],
      ["--graph", "dot"],
      ["--help"],
      ["--version"],
    ]) {
      const { run, modules } = await loadedModules(args, dir);
      expect(run.code, `mbake ${args.join(" ")}: ${run.stderr}`).toBe(0);
      expect(heavy(modules), `mbake ${args.join(" ")}`).toEqual([]);
    }
  }, 60_000);

  it("a compose file loads the YAML parser, and still not gRPC", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-start-up-"));
    writeFileSync(join(dir, "compose.yaml"), "services:\n  web:\n    build: .\n");
    const { run, modules } = await loadedModules(["--print"], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).target.web.context).toBe(".");
    expect(heavy(modules).every((m) => m.startsWith("yaml/"))).toBe(true);
    expect(modules.some((m) => m.startsWith("yaml/"))).toBe(true);
  });

  it("a --dry-run whose bake file fails to evaluate stops before loading gRPC", async () => {
    const dir = project();
    const { run, modules } = await loadedModules(["--dry-run", "nosuchtarget"], dir, {
      BUILDKIT_HOST: "unix:///nonexistent/buildkitd.sock",
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("nosuchtarget");
    expect(heavy(modules)).toEqual([]);
  });

  it("the recorder sees gRPC when a command does load it", async () => {
    const dir = project();
    const { modules } = await loadedModules(["endpoints"], dir, {
      MBAKE_ENDPOINTS: undefined,
      DOCKER_HOST: undefined,
      BUILDKIT_HOST: "unix:///nonexistent/buildkitd.sock",
    });
    expect(modules.some((m) => m.startsWith("@grpc/grpc-js/"))).toBe(true);
    // The protobuf code is generated ahead of time: no .proto parser at run time.
    expect(modules.filter((m) => m.startsWith("@grpc/proto-loader/"))).toEqual([]);
    expect(modules.filter((m) => m.startsWith("protobufjs/src/parse"))).toEqual([]);
  });

  it("MBAKE_TRACE=1 prints one line per phase on stderr and leaves stdout alone", async () => {
    const dir = project();
    const plain = await runMbake(["--print"], { cwd: dir });
    const traced = await runMbake(["--print"], { cwd: dir, env: { MBAKE_TRACE: "1" } });
    expect(traced.code).toBe(0);
    expect(traced.stdout).toBe(plain.stdout);
    expect(plain.stderr).toBe("");
    const lines = traced.stderr.trimEnd().split("\n");
    for (const line of lines) expect(line).toMatch(/^mbake trace: [a-z -]+ \d+ ms$/);
    expect(lines.map((l) => l.replace(/^mbake trace: (.+) \d+ ms$/, "$1"))).toEqual([
      "node start-up",
      "load cli modules",
      "load bake modules",
      "read bake files",
      "parse and evaluate",
      "total",
    ]);
  });
});
