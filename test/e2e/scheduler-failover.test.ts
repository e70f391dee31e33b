/**
 * The scheduler on real daemons. Fail-over: one endpoint is the Engine behind a proxy this test owns;
 * cutting the proxy in the middle of a build makes the job move to the other Engine.
 * Cancellation: Ctrl-C in the middle of a build ends the run as cancelled.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/progress/events.js";
import { repoRoot, testEnv } from "./test-env.js";

/** A unix-socket proxy to `target` that can be cut, dropping every connection. */
async function cuttableProxy(path: string, target: string) {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(target);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
      s.on("close", () => sockets.delete(s));
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    cut() {
      if (server.listening) server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

/** Runs the built mbake with --progress rawjson; `onEvent` sees each event as it comes. */
function runMbake(
  args: readonly string[],
  cwd: string,
  onEvent: (e: RunEvent, interrupt: () => void) => void,
): Promise<{ code: number | null; events: RunEvent[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(repoRoot, "dist/cli/main.js"), "--progress", "rawjson", ...args],
      { cwd, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const events: RunEvent[] = [];
    let pending = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines.filter((l) => l.trim())) {
        const e = JSON.parse(line) as RunEvent;
        events.push(e);
        onEvent(e, () => child.kill("SIGINT"));
      }
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, events, stderr }));
  });
}

/** A project whose one target "slow" runs a fresh (uncached) step of `seconds`. */
function slowProject(baseImage: string, seconds: number): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-slow-"));
  writeFileSync(
    join(dir, "Dockerfile"),
    `ARG BASE_IMAGE\nFROM $BASE_IMAGE\nARG RUN_ID\nRUN echo $RUN_ID && sleep ${seconds} && echo done > /out\n`,
  );
  writeFileSync(
    join(dir, "docker-bake.hcl"),
    `target "slow" {
  args = { BASE_IMAGE = "${baseImage}", RUN_ID = "${Date.now()}-${Math.random()}" }
  platforms = ["linux/amd64"]
  output = ["type=cacheonly"]
}
`,
  );
  return dir;
}

describe("the scheduler on real Engines", () => {
  it("ends the run as cancelled when interrupted mid-build", async () => {
    const env = testEnv();
    const [a] = env.engines;
    if (!a) throw new Error("the test environment has no engine");
    const dir = slowProject(env.baseImage, 120);
    let interrupted = false;
    const run = await runMbake(
      ["--endpoint", `${a.name}=${a.endpoint}`, "slow"],
      dir,
      (e, interrupt) => {
        if (!interrupted && e.type === "job-status") {
          interrupted = true;
          interrupt();
        }
      },
    );
    expect(interrupted).toBe(true);
    expect(run.code).toBe(130);
    expect(
      run.events
        .filter((e) => e.type !== "job-status" && e.type !== "job-queued")
        .map((e) => e.type),
    ).toEqual(["run-started", "job-started", "job-cancelled", "run-finished"]);
    expect(run.events.at(-1)).toMatchObject({ type: "run-finished", outcome: "cancelled" });
  });

  it("moves a build to the other Engine when its daemon vanishes mid-build", async () => {
    const env = testEnv();
    const [a, b] = env.engines;
    if (!a || !b) throw new Error("the test environment needs two engines");
    const dir = slowProject(env.baseImage, 8);
    const sockets = mkdtempSync(join(tmpdir(), "mbake-proxy-"));
    const proxyPath = join(sockets, "proxy.sock");
    const proxy = await cuttableProxy(proxyPath, a.socketPath);
    let cut = false;
    const run = await runMbake(
      ["--endpoint", `proxy=unix://${proxyPath}`, "--endpoint", `${b.name}=${b.endpoint}`, "slow"],
      dir,
      (e) => {
        if (!cut && e.type === "job-status" && e.endpoint === "proxy") {
          cut = true;
          proxy.cut();
        }
      },
    ).finally(() => proxy.cut());
    expect(cut).toBe(true);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
    const kinds = run.events.filter((e) =>
      ["job-started", "endpoint-state", "job-retry", "job-done", "run-finished"].includes(e.type),
    );
    expect(
      kinds.map((e) => {
        switch (e.type) {
          case "job-started":
            return `started on ${e.endpoint} (attempt ${e.attempt})`;
          case "endpoint-state":
            return `${e.endpoint} ${e.state}`;
          case "job-retry":
            return `retry from ${e.fromEndpoint}`;
          case "job-done":
            return `done on ${e.endpoint}`;
          case "run-finished":
            return e.outcome;
          default:
            return e.type;
        }
      }),
    ).toEqual([
      "started on proxy (attempt 1)",
      "proxy down",
      "retry from proxy",
      `started on ${b.name} (attempt 2)`,
      `done on ${b.name}`,
      "success",
    ]);
  });
});
