/**
 * An endpoint that goes away and comes back during a run (an Engine 20.10 of this file's
 * own, killed by its PID; the shared engines are never killed): mbake probes it again and
 * gives it work once it answers; when it never answers the run still ends at once after
 * its last target; a Ctrl-C while it is being probed exits 130 at once; when it is the only
 * endpoint, its targets wait for it to come back.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Run, runMbake } from "../cli/run-mbake.js";
import { type PrivateEngine, startPrivateEngine } from "./support/private-engine.mjs";
import { testEnv } from "./test-env.js";

const env = testEnv();
const other = env.engines[0]!;
const projects: string[] = [];
let engine: PrivateEngine;

beforeAll(async () => {
  engine = await startPrivateEngine("recover-engine");
}, 90_000);

afterAll(() => {
  engine?.remove();
  for (const p of projects) rmSync(p, { recursive: true, force: true });
});

/** `count` targets t0..tN, each a short RUN with a local output under out/. */
function project(count: number, sleep: number): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-recover-"));
  projects.push(dir);
  const id = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const names = Array.from({ length: count }, (_, i) => `t${i}`);
  // One Dockerfile for all, each target its own build arg: concurrent builds on one Engine
  // with different inline Dockerfiles of one context folder can mix them up (a separate bug).
  const dockerfile = `FROM ${env.baseImage} AS b\nARG ID\nRUN echo $ID > /id && sleep ${sleep}\nFROM scratch\nCOPY --from=b /id /\n`;
  const targets = names.map(
    (t) =>
      `target "${t}" {\n  dockerfile-inline = ${JSON.stringify(dockerfile)}\n  args = { ID = "${id}-${t}" }\n  output = ["type=local,dest=out/${t}"]\n}\n`,
  );
  writeFileSync(
    join(dir, "docker-bake.hcl"),
    `${targets.join("")}group "default" {\n  targets = [${names.map((n) => `"${n}"`).join(", ")}]\n}\n`,
  );
  return dir;
}

/** Runs mbake on the private engine and a shared one; `onKill` runs once, when the private engine has built its first target. */
function run(
  dir: string,
  onFirstDone: (child: { kill(s: NodeJS.Signals): boolean }) => void,
  extra: {
    onStderr?: (text: string, child: { kill(s: NodeJS.Signals): boolean }) => void;
    alone?: boolean;
  } = {},
): Promise<Run> {
  let seen = false;
  return runMbake(["--progress=plain", "--metadata-file", "meta.json"], {
    cwd: dir,
    env: {
      MBAKE_ENDPOINTS: `victim=${engine.endpoint}?max-parallel=2${extra.alone ? "" : ` ${other.name}=${other.endpoint}?max-parallel=2`}`,
      CI: "true",
    },
    timeoutMs: 150_000,
    onStderr: (text, child) => {
      if (!seen && /\] done on victim/.test(text)) {
        seen = true;
        onFirstDone(child);
      }
      extra.onStderr?.(text, child);
    },
  });
}

type Meta = Record<string, Record<string, string>>;

/** Every target of `dir` is in the metadata file with its output; their endpoints. */
function everyTargetBuilt(dir: string, count: number, r: Run): Map<string, string> {
  expect(r.code, r.stderr).toBe(0);
  const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as Meta;
  const where = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const t = `t${i}`;
    expect(meta[t]?.["mbake.endpoint"], t).toBeDefined();
    where.set(t, meta[t]!["mbake.endpoint"]!);
    expect(readFileSync(join(dir, "out", t, "id"), "utf8")).toMatch(new RegExp(`-${t}\\n$`));
  }
  return where;
}

describe("an endpoint that goes away during a run", () => {
  it("is probed again after a restart and builds targets once it is back", async () => {
    if (!existsSync(engine.socketPath)) await engine.start();
    const count = 20;
    const dir = project(count, 1);
    let restarted: Promise<void> | undefined;
    const r = await run(dir, () => {
      engine.kill();
      // Its containerd needs a moment to go after it (as in bench/soak.mjs).
      restarted = new Promise((r) => setTimeout(r, 3000)).then(() => engine.start());
    });
    await restarted;
    const where = everyTargetBuilt(dir, count, r);
    expect(r.stderr).toMatch(/endpoint victim is down/);
    expect(r.stderr.match(/endpoint victim is back/g) ?? [], r.stderr).toHaveLength(1);
    // Targets built on the victim after it came back, and the metadata file says so.
    const after = r.stderr.slice(r.stderr.indexOf("endpoint victim is back"));
    const builtAfter = [...after.matchAll(/\[(t\d+)[^\]]*\] done on victim/g)].map((m) => m[1]!);
    expect(builtAfter.length, r.stderr).toBeGreaterThan(0);
    for (const t of builtAfter) expect(where.get(t)).toBe("victim");
  }, 150_000);

  it("never coming back: the run ends once the other endpoint built everything", async () => {
    if (!existsSync(engine.socketPath)) await engine.start();
    const count = 8;
    const dir = project(count, 1);
    let lastDone = 0;
    const r = await run(dir, () => engine.kill(), {
      onStderr: (text) => {
        if (/\] done on /.test(text.slice(-400))) lastDone = Date.now();
      },
    });
    const ended = Date.now();
    const where = everyTargetBuilt(dir, count, r);
    expect(r.stderr).toMatch(/endpoint victim is down/);
    expect(r.stderr).not.toMatch(/endpoint victim is back/);
    expect([...where.values()].filter((e) => e === other.name).length).toBeGreaterThan(0);
    // No probe keeps the process alive (generous bound: the machine is loaded).
    expect(ended - lastDone).toBeLessThan(10_000);
  }, 150_000);

  it("a Ctrl-C while it is being probed exits 130 at once", async () => {
    await engine.start();
    const dir = project(8, 2);
    let signalledAt = 0;
    const r = await run(dir, (child) => {
      engine.kill();
      // Probes at 1 s and 3 s after it went down: the signal comes between them.
      setTimeout(() => {
        signalledAt = Date.now();
        child.kill("SIGINT");
      }, 2000);
    });
    const ended = Date.now();
    expect(signalledAt, r.stderr).toBeGreaterThan(0);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/endpoint victim is down/);
    expect(ended - signalledAt).toBeLessThan(5000);
    expect(existsSync(join(dir, "meta.json"))).toBe(false);
  }, 150_000);

  it("the only endpoint restarting: its targets wait for it and build there once it is back", async () => {
    // The Ctrl-C test before left it killed.
    await engine.start();
    const count = 6;
    const dir = project(count, 1);
    let restarted: Promise<void> | undefined;
    const r = await run(
      dir,
      () => {
        engine.kill();
        restarted = new Promise((r) => setTimeout(r, 3000)).then(() => engine.start());
      },
      { alone: true },
    );
    await restarted;
    const where = everyTargetBuilt(dir, count, r);
    expect([...where.values()].every((e) => e === "victim")).toBe(true);
    expect(r.stderr).toMatch(/endpoint victim is down/);
    expect(
      r.stderr.match(
        /no endpoint that is up can build t\d+: waiting up to \d+ s for victim to come back/g,
      ) ?? [],
      r.stderr,
    ).toHaveLength(1);
    expect(r.stderr).toMatch(/endpoint victim is back/);
  }, 150_000);
});
