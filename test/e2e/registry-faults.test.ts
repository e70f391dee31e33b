/**
 * A registry of this file's own (docker-registry on a free port, behind a proxy on
 * 127.0.0.1 that sees every request) killed in the middle of a push and at the start of a
 * join. The push fails with the image and the endpoint named, exit 1, and is not moved to
 * another endpoint (the registry, not the daemon, is gone); the join fails naming the target
 * and the registry; other targets are built.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runMbake } from "../cli/run-mbake.js";
import { type FaultProxy, type ProxiedConnection, startFaultProxy } from "./support/fault-proxy.js";
import { type RegistryProcess, startRegistryProcess } from "./support/registry-process.js";
import { testEnv } from "./test-env.js";

const env = testEnv();
const [engineA, engineB] = env.engines;
if (!engineA || !engineB) throw new Error("the test environment needs two engines");

let registry: RegistryProcess | undefined;
let proxy: FaultProxy | undefined;

afterEach(async () => {
  await proxy?.close();
  await registry?.stop();
});

type Watch = (conn: ProxiedConnection, direction: "up" | "down", chunk: Buffer) => void;

/** Starts the registry and its proxy; returns the proxy's host:port (what the tags name). */
async function killableRegistry(watch: Watch): Promise<string> {
  registry = await startRegistryProcess({
    name: "faults-registry",
    config: (_dir, address) => [`http: { addr: ${address} }`],
    probe: async (address) => ((await fetch(`http://${address}/v2/`)).ok ? "up" : "wrong"),
  });
  proxy = await startFaultProxy(
    { host: "127.0.0.1", port: 0 },
    { host: "127.0.0.1", port: registry.port },
    watch,
  );
  const place = proxy.place as { port: number };
  return `127.0.0.1:${place.port}`;
}

function project(bake: string): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-regfault-"));
  writeFileSync(join(dir, "docker-bake.hcl"), bake);
  return dir;
}

const id = () => `${Date.now()}-${Math.random().toString(36).slice(2)}`;

function run(dir: string, endpoints: string) {
  return runMbake(["--progress=plain", "--metadata-file", "meta.json"], {
    cwd: dir,
    env: { MBAKE_ENDPOINTS: endpoints, CI: "true" },
    timeoutMs: 150_000,
  });
}

describe("the registry stopped", () => {
  it("in the middle of a push: exit 1, the image and endpoint named, the other target built", async () => {
    let killed = false;
    // Counted over all connections (the Engine opens several): at 4 MiB the layer upload is under way.
    let sent = 0;
    const host = await killableRegistry((_conn, direction, chunk) => {
      if (direction !== "up") return;
      sent += chunk.length;
      if (!killed && sent > 4 * 1024 * 1024) {
        killed = true;
        void registry!.stop();
      }
    });
    const run1 = id();
    const dir = project(
      `target "pushed" {\n  dockerfile-inline = ${JSON.stringify(`FROM ${env.baseImage}\nRUN head -c 30000000 /dev/urandom > /big && echo ${run1}\n`)}\n  tags = ["${host}/faults/pushed:${run1}"]\n  output = ["type=registry"]\n}\n` +
        `target "local" {\n  dockerfile-inline = ${JSON.stringify(`FROM ${env.baseImage}\nRUN echo ${run1} > /id\n`)}\n  output = ["type=local,dest=out"]\n}\n` +
        `group "default" {\n  targets = ["pushed", "local"]\n}\n`,
    );
    // The modern Engine: its BuildKit pushes and gives up after a few quick retries (an Engine
    // 20.10 pushes through its own API, which retries for about a minute before it fails).
    const modern = env.modernEngine;
    const r = await run(dir, `${modern.name}=${modern.endpoint}`);
    expect(killed, r.stderr).toBe(true);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `ERROR: \\[pushed\\] failed on ${modern.name} at step: exporting to image\\n {2}failed to push ${host.replace(/\./g, "\\.")}/faults/pushed:${run1}: .+`,
      ),
    );
    expect(r.stderr).not.toMatch(/retrying elsewhere|is down|Unhandled|\n\s+at /);
    expect(readFileSync(join(dir, "out", "id"), "utf8")).toBe(`${run1}\n`);
  });

  it("at the start of a join: exit 1, the target and the registry named, the other target built", async () => {
    let killed = false;
    // The Engines' requests say "User-Agent: docker/..."; the first other request is mbake's join.
    const host = await killableRegistry((_conn, direction, chunk) => {
      const text = chunk.toString("latin1");
      if (
        !killed &&
        direction === "up" &&
        /^(GET|HEAD|PUT) \/v2\//.test(text) &&
        !/user-agent: docker\//i.test(text)
      ) {
        killed = true;
        void registry!.stop();
      }
    });
    const run1 = id();
    const dir = project(
      `target "multi" {\n  platforms = ["linux/amd64", "linux/arm64"]\n  dockerfile-inline = ${JSON.stringify(`FROM ${env.baseImage}\nRUN uname -m > /arch && echo ${run1}\n`)}\n  tags = ["${host}/faults/multi:${run1}"]\n  output = ["type=registry"]\n}\n` +
        `target "local" {\n  dockerfile-inline = ${JSON.stringify(`FROM ${env.baseImage}\nRUN echo ${run1} > /id\n`)}\n  output = ["type=local,dest=out"]\n}\n` +
        `group "default" {\n  targets = ["multi", "local"]\n}\n`,
    );
    const r = await run(
      dir,
      `${engineA.name}=${engineA.endpoint} ${engineB.name}=${engineB.endpoint}`,
    );
    expect(killed, r.stderr).toBe(true);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `ERROR: \\[multi\\] failed\\n {2}joining the platform images failed: .*${host.replace(/\./g, "\\.")}`,
      ),
    );
    expect(r.stderr).not.toMatch(/Unhandled|\n\s+at /);
    expect(readFileSync(join(dir, "out", "id"), "utf8")).toBe(`${run1}\n`);
  });
});
