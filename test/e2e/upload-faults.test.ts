/**
 * Faults around the session: its stream cut (only the session connection, through a proxy
 * this test owns in front of a shared Engine, which itself is left alone) in the middle of
 * the context upload and in the middle of a RUN; and the context folder changing while
 * FileSync sends it. A cut session moves the job to the other endpoint (nothing was put in
 * place yet). A changed context gives a consistent build (what was listed is what is sent:
 * a file that grew is sent at its listed size, a file added later is not sent) or, for a
 * file that is gone or shrank, a clear error that names it.
 */
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runMbake } from "../cli/run-mbake.js";
import { type ProxiedConnection, startFaultProxy } from "./support/fault-proxy.js";
import { testEnv } from "./test-env.js";

const env = testEnv();
/** Project folders (tens of MiB each), removed after the file's tests. */
const projects: string[] = [];
afterAll(() => {
  for (const p of projects) rmSync(p, { recursive: true, force: true });
});
const [engineA, engineB] = env.engines;
if (!engineA || !engineB) throw new Error("the test environment needs two engines");

const MiB = 1024 * 1024;

/** A project whose context holds `files` files of 1 MiB each (f00, f01, ...). */
function project(files: number, stage: string, output: string): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-uploadfault-"));
  projects.push(dir);
  mkdirSync(join(dir, "ctx"));
  for (let i = 0; i < files; i++)
    writeFileSync(
      join(dir, "ctx", `f${String(i).padStart(2, "0")}`),
      Buffer.alloc(MiB, 97 + (i % 26)),
    );
  const id = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  writeFileSync(
    join(dir, "docker-bake.hcl"),
    `target "t" {\n  context = "ctx"\n  dockerfile-inline = ${JSON.stringify(`FROM ${env.baseImage} AS b\nRUN echo ${id} > /id\n${stage}`)}\n  output = ["${output}"]\n}\n`,
  );
  return dir;
}

type Watch = (conn: ProxiedConnection, direction: "up" | "down", chunk: Buffer) => void;

async function runThrough(dir: string, watch: Watch, alsoOther: boolean) {
  const sock = join(dir, "proxy.sock");
  const proxy = await startFaultProxy({ path: sock }, { path: engineA!.socketPath }, watch);
  const endpoints = [
    `proxy=unix://${sock}`,
    ...(alsoOther ? [`${engineB!.name}=${engineB!.endpoint}`] : []),
  ];
  return runMbake(["--progress=plain", "--metadata-file", "meta.json", "t"], {
    cwd: dir,
    env: { MBAKE_ENDPOINTS: endpoints.join(" "), CI: "true" },
    timeoutMs: 120_000,
  }).finally(() => proxy.close());
}

/** A watch that runs `change` once, when a session's upload has passed 4 MiB; `ran()` says whether it did. */
function onceUploadPast4MiB(change: () => void): { watch: Watch; ran: () => boolean } {
  let ran = false;
  return {
    ran: () => ran,
    watch: (conn, direction) => {
      if (
        !ran &&
        direction === "up" &&
        conn.firstLine.startsWith("POST /session") &&
        conn.up > 4 * MiB
      ) {
        ran = true;
        change();
      }
    },
  };
}

function endpointOf(dir: string): string | undefined {
  const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as Record<
    string,
    Record<string, string>
  >;
  return meta.t?.["mbake.endpoint"];
}

describe("the session stream cut", () => {
  it("in the middle of the context upload: the job moves to the other endpoint", async () => {
    const dir = project(
      24,
      "FROM scratch\nCOPY --from=b /id /\nCOPY . /ctx/\n",
      "type=local,dest=out",
    );
    let cut = false;
    const r = await runThrough(
      dir,
      (conn, direction) => {
        if (
          !cut &&
          direction === "up" &&
          conn.firstLine.startsWith("POST /session") &&
          conn.up > 4 * MiB
        ) {
          cut = true;
          conn.cut();
        }
      },
      true,
    );
    expect(cut, r.stderr).toBe(true);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /\[t @proxy\] proxy went away \(.+\); retrying elsewhere \(attempt 2\)/,
    );
    expect(endpointOf(dir)).toBe(engineB.name);
    expect(statSync(join(dir, "out", "ctx", "f23")).size).toBe(MiB);
  });

  it("in the middle of a RUN: the job moves to the other endpoint", async () => {
    const dir = project(
      1,
      "RUN X=mid; echo running-$X-run && sleep 3\nFROM scratch\nCOPY --from=b /id /\n",
      "type=local,dest=out",
    );
    let cut = false;
    const sessions: ProxiedConnection[] = [];
    const r = await runThrough(
      dir,
      (conn, direction, chunk) => {
        if (conn.firstLine.startsWith("POST /session") && !sessions.includes(conn))
          sessions.push(conn);
        if (!cut && direction === "down" && chunk.includes("running-mid-run")) {
          cut = true;
          for (const s of sessions) s.cut();
        }
      },
      true,
    );
    expect(cut, r.stderr).toBe(true);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /\[t @proxy\] proxy went away \(.+session.+\); retrying elsewhere \(attempt 2\)/,
    );
    expect(endpointOf(dir)).toBe(engineB.name);
    expect(readFileSync(join(dir, "out", "id"), "utf8")).toMatch(/^\d+-\w+\n$/);
  });
});

describe("the context folder changing during the upload", () => {
  it("a file grown and a file added after the listing: the build uses the listing", async () => {
    const dir = project(24, "FROM scratch\nCOPY . /ctx/\n", "type=local,dest=out");
    const trigger = onceUploadPast4MiB(() => {
      appendFileSync(join(dir, "ctx", "f23"), Buffer.alloc(MiB, 122));
      writeFileSync(join(dir, "ctx", "added"), "late\n");
    });
    const r = await runThrough(dir, trigger.watch, false);
    expect(trigger.ran(), r.stderr).toBe(true);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(join(dir, "out", "ctx", "f23")).size).toBe(MiB);
    expect(readFileSync(join(dir, "out", "ctx", "f23")).every((b) => b === 97 + (23 % 26))).toBe(
      true,
    );
    expect(() => statSync(join(dir, "out", "ctx", "added"))).toThrow();
  });

  it.each([
    ["deleted", (f: string) => rmSync(f), /is gone/],
    ["truncated", (f: string) => writeFileSync(f, "short"), /has 5 bytes now, 1048576 when listed/],
  ] as const)(
    "a file %s after the listing: a clear error naming it, exit 1, no output",
    async (_what, change, reason) => {
      const dir = project(24, "FROM scratch\nCOPY . /ctx/\n", "type=local,dest=out");
      const trigger = onceUploadPast4MiB(() => change(join(dir, "ctx", "f23")));
      const r = await runThrough(dir, trigger.watch, false);
      expect(trigger.ran(), r.stderr).toBe(true);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        /ERROR: \[t\] failed on proxy at step: \[internal\] load build context\n/,
      );
      expect(r.stderr).toMatch(
        /\n {2}the context file f23 changed while it was sent: .*; build again once the context folder is not being written to\n/,
      );
      expect(r.stderr).toMatch(reason);
      expect(r.stderr).not.toMatch(/Unhandled|\n\s+at /);
      expect(() => statSync(join(dir, "out"))).toThrow();
    },
  );
});
