/**
 * A daemon killed (SIGKILL, an Engine 20.10 of this file's own, never a shared one) in each
 * phase of a build: after the session opened and before the solve, in the middle of a RUN,
 * while it sends a large local output, and while it pushes. Two targets run on two
 * endpoints, the killed one listed first so it gets a target. Until something was put in
 * place, the job moves to the other endpoint and the run succeeds with complete outputs;
 * once a push started, the job fails (exit 1) naming the target and the endpoint, and is
 * not built again elsewhere. The other target is unharmed in every case.
 */
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMbake } from "../cli/run-mbake.js";
import { type FaultProxy, type ProxiedConnection, startFaultProxy } from "./support/fault-proxy.js";
import { type PrivateEngine, startPrivateEngine } from "./support/private-engine.mjs";
import { testEnv } from "./test-env.js";

const env = testEnv();
/** Project folders (tens of MiB each), removed after the file's tests. */
const projects: string[] = [];
const other = env.engines[0]!;
let engine: PrivateEngine;

beforeAll(async () => {
  engine = await startPrivateEngine("victim-engine");
}, 90_000);

afterAll(() => {
  engine?.remove();
  for (const p of projects) rmSync(p, { recursive: true, force: true });
});

type Watch = (conn: ProxiedConnection, direction: "up" | "down", chunk: Buffer) => void;

/** The private engine (started again if a test killed it), behind a proxy that runs `watch`. */
async function victim(dir: string, watch: Watch): Promise<FaultProxy> {
  if (!(await pingable())) await engine.start();
  return startFaultProxy({ path: join(dir, "victim.sock") }, { path: engine.socketPath }, watch);
}

/** Whether the private engine's dockerd still runs (a test may have killed it). */
async function pingable(): Promise<boolean> {
  try {
    process.kill(Number(readFileSync(join(engine.dir, "docker.pid"), "utf8")), 0);
    return existsSync(engine.socketPath);
  } catch {
    return false;
  }
}

/** A project of two targets, t1 and t2, each with `stage` as the build and `output`. */
function project(stage: (t: string) => string, output: (t: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-daemonfault-"));
  projects.push(dir);
  const id = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const target = (t: string) =>
    `target "${t}" {\n  dockerfile-inline = ${JSON.stringify(`FROM ${env.baseImage} AS b\nRUN echo ${id}-${t} > /id\n${stage(t)}`)}\n  output = ["${output(t)}"]\n}\n`;
  writeFileSync(
    join(dir, "docker-bake.hcl"),
    `${target("t1")}${target("t2")}group "default" {\n  targets = ["t1", "t2"]\n}\n`,
  );
  return dir;
}

function run(dir: string) {
  return runMbake(["--progress=plain", "--metadata-file", "meta.json"], {
    cwd: dir,
    env: {
      MBAKE_ENDPOINTS: `victim=unix://${join(dir, "victim.sock")} ${other.name}=${other.endpoint}`,
      CI: "true",
    },
    timeoutMs: 120_000,
  });
}

type Meta = Record<string, Record<string, string>>;

/** Both targets done on the other endpoint in the end, one of them after a move. */
function expectMoved(r: { code: number | null; stderr: string }, dir: string): void {
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(
    /\[t[12] @victim\] victim went away \(.+\); retrying elsewhere \(attempt 2\)/,
  );
  expect(r.stderr).toMatch(/endpoint victim is down/);
  const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as Meta;
  expect(meta.t1?.["mbake.endpoint"]).toBe(other.name);
  expect(meta.t2?.["mbake.endpoint"]).toBe(other.name);
  expect(Number(meta.t1?.["mbake.retries"] ?? 0) + Number(meta.t2?.["mbake.retries"] ?? 0)).toBe(1);
}

describe("a daemon killed in each phase of a build", () => {
  it("after the session opened, before the solve: the job moves, both targets built", async () => {
    const dir = project(
      () => "FROM scratch\nCOPY --from=b /id /\n",
      (t) => `type=local,dest=out/${t}`,
    );
    let killed = false;
    const proxy = await victim(dir, (conn, direction) => {
      if (!killed && direction === "up" && conn.firstLine.startsWith("POST /session")) {
        killed = true;
        engine.kill();
        conn.cut();
      }
    });
    const r = await run(dir).finally(() => proxy.close());
    expect(killed, r.stderr).toBe(true);
    expectMoved(r, dir);
    for (const t of ["t1", "t2"])
      expect(readFileSync(join(dir, "out", t, "id"), "utf8")).toMatch(new RegExp(`-${t}\\n$`));
  });

  it("in the middle of a RUN: the job moves, both targets built", async () => {
    const dir = project(
      () => "RUN X=mid; echo running-$X-run && sleep 3\nFROM scratch\nCOPY --from=b /id /\n",
      (t) => `type=local,dest=out/${t}`,
    );
    let killed = false;
    const proxy = await victim(dir, (_conn, direction, chunk) => {
      if (!killed && direction === "down" && chunk.includes("running-mid-run")) {
        killed = true;
        engine.kill();
      }
    });
    const r = await run(dir).finally(() => proxy.close());
    expect(killed, r.stderr).toBe(true);
    expectMoved(r, dir);
    for (const t of ["t1", "t2"])
      expect(readFileSync(join(dir, "out", t, "id"), "utf8")).toMatch(new RegExp(`-${t}\\n$`));
  });

  it("while it sends a large local output: nothing partial is left, the job moves", async () => {
    const size = 24 * 1024 * 1024;
    const dir = project(
      () => `RUN head -c ${size} /dev/urandom > /big\nFROM scratch\nCOPY --from=b /id /big /\n`,
      (t) => `type=local,dest=out/${t}`,
    );
    let killed = false;
    const proxy = await victim(dir, (conn, direction) => {
      if (
        !killed &&
        direction === "down" &&
        conn.firstLine.startsWith("POST /session") &&
        conn.down > 4 * 1024 * 1024
      ) {
        killed = true;
        engine.kill();
      }
    });
    const r = await run(dir).finally(() => proxy.close());
    expect(killed, r.stderr).toBe(true);
    expectMoved(r, dir);
    for (const t of ["t1", "t2"]) {
      expect(readdirSync(join(dir, "out", t)).sort()).toEqual(["big", "id"]);
      expect(statSync(join(dir, "out", t, "big")).size).toBe(size);
    }
    // No staging folder or half-written file anywhere in the project.
    expect(readdirSync(join(dir, "out")).sort()).toEqual(["t1", "t2"]);
  });

  it("while it pushes: the job fails naming target and endpoint, is not retried, the other target is built", async () => {
    const name = `faults/push-${Date.now()}`;
    const repo = `${env.registry}/${name}`;
    const dir = project(
      (t) =>
        t === "t1"
          ? "RUN head -c 40000000 /dev/urandom > /big\n"
          : "FROM scratch\nCOPY --from=b /id /\n",
      (t) => (t === "t1" ? `type=image,name=${repo}:t1,push=true` : `type=local,dest=out/${t}`),
    );
    let killed = false;
    // Killed at the Engine's first "Pushing" progress line: the layer upload has begun.
    const proxy = await victim(dir, (conn, direction, chunk) => {
      if (
        !killed &&
        direction === "down" &&
        conn.firstLine.includes("/push?tag=") &&
        chunk.includes('"status":"Pushing"')
      ) {
        killed = true;
        engine.kill();
      }
    });
    const r = await run(dir).finally(() => proxy.close());
    expect(killed, r.stderr).toBe(true);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /ERROR: \[t1 @victim\] failed on victim\n {2}unix:\/\/.*victim\.sock went away while pushing .*faults\/push-\d+:t1 .*not retried on another endpoint: run mbake again/,
    );
    expect(r.stderr).not.toMatch(/retrying elsewhere/);
    expect(r.stderr).not.toMatch(/Unhandled|\n\s+at /);
    expect(readFileSync(join(dir, "out", "t2", "id"), "utf8")).toMatch(/-t2\n$/);
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as Meta;
    expect(meta.t2?.["mbake.endpoint"]).toBe(other.name);
    // The tag was never completed: the manifest goes last and the daemon died before it.
    const res = await fetch(`http://${env.registry}/v2/${name}/manifests/t1`);
    expect(res.status).toBe(404);
  });
});

describe("a modern Engine (28.5, containerd image store) killed", () => {
  it("in the middle of a RUN: the job moves, both targets built", async () => {
    const modernFs = env.buildx.replace(/\/usr\/libexec\/docker\/cli-plugins\/docker-buildx$/, "");
    const modern = await startPrivateEngine("victim-modern", { modernFs });
    try {
      const dir = project(
        () => "RUN X=mid; echo running-$X-run && sleep 3\nFROM scratch\nCOPY --from=b /id /\n",
        (t) => `type=local,dest=out/${t}`,
      );
      let killed = false;
      const proxy = await startFaultProxy(
        { path: join(dir, "victim.sock") },
        { path: modern.socketPath },
        (_conn, direction, chunk) => {
          if (!killed && direction === "down" && chunk.includes("running-mid-run")) {
            killed = true;
            modern.kill();
          }
        },
      );
      const r = await run(dir).finally(() => proxy.close());
      expect(killed, r.stderr).toBe(true);
      expectMoved(r, dir);
      for (const t of ["t1", "t2"])
        expect(readFileSync(join(dir, "out", t, "id"), "utf8")).toMatch(new RegExp(`-${t}\\n$`));
    } finally {
      modern.remove();
    }
  }, 120_000);
});
