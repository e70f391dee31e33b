/**
 * Cancellation at any moment: SIGINT or SIGTERM at fixed times after mbake starts (while it
 * loads, connects, opens the session, uploads, or runs a step) ends the run with exit 130
 * within 2 s of the signal, leaves no output, and leaves nothing running on the daemon.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BuildkitClient } from "../../src/buildkit/client.js";
import { mbakeBin } from "../cli/run-mbake.js";
import { untilIdle } from "./support/daemon-activity.js";
import { type TestEngine, testEnv } from "./test-env.js";

const env = testEnv();

function project(): string {
  return taggedProject().dir;
}

/**
 * A project whose slow RUN step and build arg carry a tag of its own: the step's shell
 * keeps the tag in its command line (the `&& echo done` keeps the shell from exec'ing
 * sleep), so what still runs for this build can be found (support/daemon-activity.ts).
 */
function taggedProject(): { dir: string; tag: string } {
  const dir = mkdtempSync(join(tmpdir(), "mbake-cancel-"));
  const tag = `cancel${Date.now()}${Math.random().toString(36).slice(2)}`;
  writeFileSync(
    join(dir, "docker-bake.hcl"),
    `target "slow" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nARG CANCEL_TAG\\nRUN echo ${tag} && sleep 30 && echo done\\nRUN echo done > /done\\n"\n  args = { CANCEL_TAG = "${tag}" }\n  output = ["type=local,dest=out"]\n}\n`,
  );
  return { dir, tag };
}

interface Stopped {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly afterSignalMs: number;
  readonly stderr: string;
}

/** Starts mbake, sends `signal` `delayMs` after the start (twice if asked), and waits for its end. */
function runAndSignal(
  dir: string,
  engine: TestEngine,
  signal: NodeJS.Signals,
  delayMs: number,
  twice = false,
): Promise<Stopped> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mbakeBin, "--progress=plain", "slow"], {
      cwd: dir,
      env: { ...process.env, MBAKE_ENDPOINTS: `${engine.name}=${engine.endpoint}`, CI: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.resume();
    let sentAt = 0;
    const timer = setTimeout(() => {
      sentAt = Date.now();
      child.kill(signal);
      if (twice) setTimeout(() => child.kill(signal), 100);
    }, delayMs);
    const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      clearTimeout(guard);
      resolve({ code, signal: sig, afterSignalMs: sentAt ? Date.now() - sentAt : -1, stderr });
    });
  });
}

/** Waits (up to 20 s) until the daemon holds no build record in use. */
async function expectDaemonIdle(engine: TestEngine): Promise<void> {
  const client = await BuildkitClient.connect(engine.endpoint);
  try {
    const deadline = Date.now() + 20_000;
    let inUse = (await client.diskUsage()).filter((u) => u.inUse);
    while (inUse.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      inUse = (await client.diskUsage()).filter((u) => u.inUse);
    }
    expect(inUse).toEqual([]);
  } finally {
    await client.close();
  }
}

const cases: [string, NodeJS.Signals, number][] = [];
for (const engine of env.engines)
  for (const [signal, delay] of [
    ["SIGINT", 200],
    ["SIGTERM", 500],
    ["SIGINT", 1000],
    ["SIGTERM", 2000],
  ] as const)
    cases.push([engine.name, signal, delay]);

describe("a signal at any moment cancels cleanly", () => {
  it.each(cases)(
    "on %s: %s %i ms after start exits 130 within 2 s, no output, daemon idle",
    async (name, signal, delay) => {
      const engine = env.engines.find((e) => e.name === name)!;
      const { dir, tag } = taggedProject();
      const r = await runAndSignal(dir, engine, signal, delay);
      // A signal that arrives while Node itself is still booting (before mbake's first line
      // runs, which a loaded machine can stretch past 200 ms) takes the default action: the
      // process ends by that signal (a shell reports 128+n) and had started nothing.
      if (r.signal !== null) expect(r.signal).toBe(signal);
      else expect(r.code, r.stderr).toBe(130);
      expect(r.afterSignalMs).toBeLessThan(2000);
      expect(existsSync(join(dir, "out"))).toBe(false);
      expect(readdirSync(dir).filter((f) => f.includes("mbake-"))).toEqual([]);
      await expectDaemonIdle(engine);
      expect(await untilIdle(engine.endpoint, tag, { history: false })).toEqual([]);
    },
  );

  it("an endpoint that accepts but never answers: a SIGINT while connecting exits 130 at once", async () => {
    const dir = project();
    const socket = join(dir, "silent.sock");
    const server = createServer((c) => c.resume());
    await new Promise<void>((r) => server.listen(socket, r));
    try {
      const silent = { name: "silent", endpoint: `unix://${socket}`, socketPath: socket };
      const r = await runAndSignal(dir, silent, "SIGINT", 1000);
      expect(r.code, r.stderr).toBe(130);
      expect(r.afterSignalMs).toBeLessThan(2000);
      expect(r.stderr.match(/mbake: cancelled/g)).toHaveLength(1);
      expect(existsSync(join(dir, "out"))).toBe(false);
    } finally {
      server.close();
    }
  });

  it("a second Ctrl-C exits at once", async () => {
    const engine = env.engines[0]!;
    const dir = project();
    const r = await runAndSignal(dir, engine, "SIGINT", 1500, true);
    expect(r.code).toBe(130);
    expect(r.afterSignalMs).toBeLessThan(1000);
    expect(existsSync(join(dir, "out"))).toBe(false);
    await expectDaemonIdle(engine);
  });
});

/**
 * The same on the modern daemon (Engine 28.5), each signal at each time: the eight runs go
 * at once (each has its own project and its own tag, so they do not meet), which keeps the
 * added time near that of the slowest run.
 */
const modernCases: [NodeJS.Signals, number][] = [];
for (const signal of ["SIGINT", "SIGTERM"] as const)
  for (const delay of [200, 500, 1000, 2000]) modernCases.push([signal, delay]);

describe("a signal at any moment cancels cleanly on the modern daemon", () => {
  it("SIGINT and SIGTERM at 0.2, 0.5, 1 and 2 s: each exits 130 within 2 s, no output, nothing left running", async () => {
    const engine = env.modernEngine;
    const runs = await Promise.all(
      modernCases.map(async ([signal, delay]) => {
        const { dir, tag } = taggedProject();
        const r = await runAndSignal(dir, engine, signal, delay);
        return { signal, delay, dir, tag, r };
      }),
    );
    for (const { signal, delay, dir, tag, r } of runs) {
      const what = `${signal} at ${delay} ms: ${r.stderr}`;
      if (r.signal !== null) expect(r.signal, what).toBe(signal);
      else expect(r.code, what).toBe(130);
      expect(r.afterSignalMs, what).toBeLessThan(2000);
      expect(existsSync(join(dir, "out")), what).toBe(false);
      expect(
        readdirSync(dir).filter((f) => f.includes("mbake-")),
        what,
      ).toEqual([]);
      expect(await untilIdle(engine.endpoint, tag, { history: true }), what).toEqual([]);
    }
  });
});
