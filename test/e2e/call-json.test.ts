/**
 * `--call check|outline|targets,format=json` on the modern Engine: the same JSON document as
 * the reference buildx, byte for byte, and the same exit status. The one part that differs
 * from run to run even between two buildx runs is a check source's "definition": the LLB
 * that loads the Dockerfile, which the frontend writes with the client's session id in it;
 * it is compared with that id taken out.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMbake } from "../cli/run-mbake.js";
import { buildxOnEngine } from "./support/buildx-on-engine.js";
import { testEnv } from "./test-env.js";

const env = testEnv();
const modern = env.modernEngine;
const old = env.engines[0]!;

/**
 * The text with each "definition" op (base64 protobuf) shown as its readable strings, the
 * session id and op digests taken out: the id's length differs between clients, which changes
 * the length bytes around it too.
 */
function sessionFree(text: string): string {
  return text.replace(/"def": \[([^\]]*)\]/g, (_, list: string) => {
    const ops = [...list.matchAll(/"([A-Za-z0-9+/=]+)"/g)].map((m) => {
      const strings =
        Buffer.from(m[1]!, "base64")
          .toString("latin1")
          .match(/[ -~]{4,}/g) ?? [];
      return strings
        .map((s, i) => (strings[i - 1] === "local.session" ? "<session>" : s))
        .map((s) => s.replace(/sha256:[0-9a-f]{64}/g, "sha256:<digest>"))
        .join(" ");
    });
    return `"def": ${JSON.stringify(ops)}`;
  });
}

/**
 * The text comparable between two clients: definitions without the session, and their
 * metadata and locations, keyed by op digest (which follow the session id), with the keys
 * blanked and the entries sorted.
 */
function comparable(text: string): string {
  const lines = sessionFree(text).split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    out.push(line);
    const open = /^(\s*)"(metadata|locations)": \{$/.exec(line);
    if (!open) continue;
    const indent = `${open[1]}  `;
    const entries: string[] = [];
    while (lines[i + 1]!.startsWith(indent)) {
      i++;
      const entry = [lines[i]!.replace(/"sha256:[0-9a-f]{64}"/, '"sha256:<digest>"')];
      while (lines[i + 1]!.startsWith(`${indent} `)) entry.push(lines[++i]!);
      if (/[}\]]/.test(lines[i + 1]!.trim()[0] ?? "") && lines[i + 1]!.startsWith(indent))
        entry.push(lines[++i]!);
      entries.push(entry.join("\n").replace(/,$/, ""));
    }
    out.push(...entries.sort());
  }
  return out.join("\n");
}

describe("--call ...,format=json on the modern Engine", () => {
  it("prints the document the reference buildx prints, with its exit status; an Engine 20.10 says it cannot", async () => {
    const run = randomUUID().slice(0, 8);
    const dir = mkdtempSync(join(tmpdir(), "mbake-calljson-"));
    const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
    write(
      "Dockerfile",
      `FROM ${env.baseImage} as base\nARG foo\nRUN echo ${run}\nfrom base AS final\n`,
    );
    mkdirSync(join(dir, "sub"));
    write(
      "sub/Dockerfile",
      `FROM ${env.baseImage} AS build\n# VERSION of the thing\nARG VERSION=1\nRUN --mount=type=secret,id=tok echo $VERSION\nENV x y\n`,
    );
    write("unres.Dockerfile", `FROM ${env.registry}/e2e/nope-${run}:latest\nRUN true\n`);
    write("bad.Dockerfile", `FROM ${env.baseImage}\nFROOM x\n`);
    write(
      "docker-bake.hcl",
      `group "all" {\n  targets = ["app", "sub"]\n}\n` +
        `target "app" {\n  description = "the <app> & co"\n  args = { foo = "a<b>&c", EMPTY = "" }\n` +
        `  tags = ["${env.registry}/e2e/app:${run}"]\n  labels = { "org.x" = "y" }\n` +
        `  platforms = ["linux/amd64", "linux/arm64"]\n  no-cache = true\n}\n` +
        `target "sub" {\n  context = "sub"\n  target = "build"\n  args = { VERSION = "2" }\n` +
        `  secret = ["id=tok,env=TOK"]\n  cache-from = ["type=registry,ref=${env.registry}/e2e/cache-${run}"]\n}\n` +
        `target "unres" {\n  dockerfile = "unres.Dockerfile"\n}\n` +
        `target "bad" {\n  dockerfile = "bad.Dockerfile"\n}\n`,
    );
    const buildx = buildxOnEngine(env.buildx, dir, modern.socketPath, { TOK: "t" });
    const answers: Record<string, string> = {};
    for (const [args, status] of [
      [["--call", "targets,format=json", "all", "unres"], 0],
      [["--call", "outline,format=json", "all"], 0],
      [["--call", "check,format=json", "all", "unres", "bad"], 1],
      [["--call", "check,format=json,ignorestatus=true", "app"], 0],
    ] as const) {
      const shown = args.join(" ");
      const ours = await runMbake(["--progress=quiet", ...args], {
        cwd: dir,
        env: { MBAKE_ENDPOINTS: `${modern.name}=${modern.endpoint}`, CI: "true", TOK: "t" },
      });
      const theirs = buildx([...args]);
      expect(theirs.error).toBeUndefined();
      expect(theirs.stderr, shown).toBe("");
      expect(theirs.status, shown).toBe(status);
      expect(ours.code, `${shown}\n${ours.stderr}`).toBe(status);
      expect(ours.stderr, shown).toBe("");
      expect(comparable(ours.stdout), shown).toBe(comparable(theirs.stdout));
      answers[args[1]] = ours.stdout;
    }

    // What the check document holds: warnings, the build errors with the lines around them,
    // and the frontend's own sources, the Dockerfile and the LLB that loaded it.
    const check = JSON.parse(answers["check,format=json"]!) as {
      target: Record<string, { build: { call: string }; check: Record<string, unknown> }>;
    };
    expect(Object.keys(check.target).sort()).toEqual(["app", "bad", "sub", "unres"]);
    expect(check.target.app!.build.call).toBe("lint");
    expect(Object.keys(check.target.unres!.check)).toEqual([
      "buildError",
      "error",
      "sources",
      "warnings",
    ]);
    expect(check.target.unres!.check.error).toMatch(
      new RegExp(
        `nope-${run}:latest: not found\\nunres\\.Dockerfile:1\\n-{20}\\n   1 \\| >>> FROM `,
      ),
    );
    expect(check.target.bad!.check.error).toMatch(
      /unknown instruction: FROOM[^\n]*\nbad\.Dockerfile:2\n/,
    );
    const sub = check.target.sub!.check as {
      warnings: { ruleName: string }[];
      sources: { filename: string; definition: { def: string[] } }[];
    };
    expect(sub.warnings.map((w) => w.ruleName)).toEqual(["LegacyKeyValueFormat"]);
    expect(sub.sources[0]!.filename).toBe("Dockerfile");
    expect(Buffer.from(sub.sources[0]!.definition.def[0]!, "base64").toString("latin1")).toContain(
      "local://dockerfile",
    );
    const outline = JSON.parse(answers["outline,format=json"]!) as {
      target: Record<
        string,
        { outline: { name: string; args: { name: string; value?: string }[] } }
      >;
    };
    expect(outline.target.sub!.outline.name).toBe("build");
    expect(outline.target.sub!.outline.args).toContainEqual(
      expect.objectContaining({ name: "VERSION", value: "2" }),
    );

    // The Engine 20.10's frontend takes no subrequests: the endpoint says so, nothing is printed.
    const onOld = await runMbake(["--progress=plain", "--call", "targets,format=json", "app"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: `${old.name}=${old.endpoint}`, CI: "true" },
    });
    expect(onOld.code).toBe(1);
    expect(onOld.stdout).toBe("");
    expect(onOld.stderr).toMatch(
      /cannot answer --call targets: its Dockerfile frontend takes no subrequests/,
    );
  });
});
