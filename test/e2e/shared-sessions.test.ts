/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile and HCL text */
/**
 * Targets of one run that read the same local folders share one session for them (as
 * buildx shares them), where the daemon's frontend takes `local-sessionid:`; what belongs
 * to one target (its secrets, its output) stays in that target's own session. Seen from
 * a proxy in front of the Engine's socket: the session connections, and the bytes mbake
 * sent on them.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMbake } from "../cli/run-mbake.js";
import { startFaultProxy } from "./support/fault-proxy.js";
import { type TestEngine, testEnv } from "./test-env.js";

const env = testEnv();
const MiB = 1024 * 1024;

/** Two targets with the same context and Dockerfile, each with its own secret and output. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-shared-session-"));
  writeFileSync(join(dir, "big.bin"), randomBytes(MiB));
  writeFileSync(
    join(dir, "Dockerfile"),
    "ARG BASE\nFROM ${BASE} AS b\nARG N\nCOPY big.bin /big.bin\nRUN --mount=type=secret,id=tok cat /run/secrets/tok > /out.txt && echo $N >> /out.txt\nFROM scratch\nCOPY --from=b /out.txt /\n",
  );
  const target = (name: string, tokenEnv: string) =>
    `target "${name}" {\n  args = { BASE = "${env.baseImage}", N = "${name}-${Date.now()}" }\n  secret = ["id=tok,env=${tokenEnv}"]\n  output = ["type=local,dest=out-${name}"]\n}\n`;
  writeFileSync(
    join(dir, "docker-bake.hcl"),
    `${target("a", "TOKEN_A")}${target("b", "TOKEN_B")}group "default" {\n  targets = ["a", "b"]\n}\n`,
  );
  return dir;
}

/** Builds both targets through a proxy; the session connections and what mbake sent on each. */
async function buildThroughProxy(engine: TestEngine, dir: string, targets: string[] = []) {
  const sessions = new Map<object, number>();
  const proxySocket = join(dir, "proxy.sock");
  const proxy = await startFaultProxy(
    { path: proxySocket },
    { path: engine.socketPath },
    (conn, direction) => {
      if (direction === "up" && /^POST \/(v[\d.]+\/)?session /.test(conn.firstLine))
        sessions.set(conn, conn.up);
    },
  );
  try {
    const args = ["--progress=plain", "--endpoint", `unix://${proxySocket}`, ...targets];
    const run = await runMbake(args, {
      cwd: dir,
      env: { TOKEN_A: "alpha-t0ken", TOKEN_B: "beta-t0ken", CI: "true" },
    });
    return { run, sent: [...sessions.values()] };
  } finally {
    await proxy.close();
  }
}

function expectPerTargetResults(dir: string): void {
  const a = readFileSync(join(dir, "out-a/out.txt"), "utf8");
  const b = readFileSync(join(dir, "out-b/out.txt"), "utf8");
  expect(a).toMatch(/^alpha-t0kena-\d+\n$/);
  expect(b).toMatch(/^beta-t0kenb-\d+\n$/);
}

describe("sessions shared between the targets of one run", () => {
  it("on the modern Engine: one more session serves the common context, sent once; secrets and outputs stay per target", async () => {
    const dir = project();
    const { run, sent } = await buildThroughProxy(env.modernEngine, dir);
    expect(run.code, run.stderr).toBe(0);
    expectPerTargetResults(dir);
    // Each target's own session, and the shared one.
    expect(sent).toHaveLength(3);
    const total = sent.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(MiB);
    expect(total).toBeLessThan(1.5 * MiB);
    expect(sent.filter((n) => n > MiB)).toHaveLength(1);
    expect(run.stderr).not.toContain("alpha-t0ken");
    expect(run.stderr).not.toContain("beta-t0ken");
  });

  it("a run of one target opens only its own session", async () => {
    const dir = project();
    const { run, sent } = await buildThroughProxy(env.modernEngine, dir, ["a"]);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(dir, "out-a/out.txt"), "utf8")).toMatch(/^alpha-t0kena-\d+\n$/);
    expect(sent).toHaveLength(1);
  });

  it("on an Engine 20.10 (its frontend does not read local-sessionid): one session per target, as before", async () => {
    const dir = project();
    const { run, sent } = await buildThroughProxy(env.engines[0]!, dir);
    expect(run.code, run.stderr).toBe(0);
    expectPerTargetResults(dir);
    expect(sent).toHaveLength(2);
  });
});
