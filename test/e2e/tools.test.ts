import { describe, expect, it } from "vitest";
import { runMbake } from "../cli/run-mbake.js";
import { testEnv } from "./test-env.js";

const env = testEnv();
const endpoints = env.engines.map((e) => `${e.name}=${e.endpoint}`).join(" ");

describe("endpoint tools on the test environment", () => {
  it("mbake endpoints lists each endpoint with its version and platforms", async () => {
    const r = await runMbake(["endpoints"], { env: { MBAKE_ENDPOINTS: endpoints } });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+ADDRESS\s+REACHABLE\s+VERSION\s+PLATFORMS\s+IN USE$/);
    for (const e of env.engines) {
      expect(r.stdout).toMatch(
        new RegExp(
          `${e.name}\\s+${e.endpoint.replace(/[/.]/g, "\\$&")}\\s+yes\\s+Docker Engine 20\\.10`,
        ),
      );
    }
    expect(r.stdout).toContain("linux/arm64");
  });

  it("mbake endpoints inspect shows one endpoint as JSON, and an unreachable one exits non-zero", async () => {
    const r = await runMbake(["endpoints", "inspect", env.engines[1]!.name, "--json"], {
      env: { MBAKE_ENDPOINTS: endpoints },
    });
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info).toMatchObject({
      name: env.engines[1]!.name,
      reachable: true,
      kind: "docker-engine",
      cacheExporters: ["inline"],
    });
    const bad = await runMbake(["endpoints", "--endpoint", "nowhere=unix:///nonexistent.sock"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/nowhere\s+unix:\/\/\/nonexistent\.sock\s+no/);
  });

  it("mbake endpoints inspect says how many CPUs placement counts and where that comes from", async () => {
    const e = env.engines[1]!;
    const reported = await runMbake(["endpoints", "inspect", e.name, "--json"], {
      env: { MBAKE_ENDPOINTS: endpoints },
    });
    expect(reported.code).toBe(0);
    expect(JSON.parse(reported.stdout).cpus).toMatch(/^\d+ \(Docker Engine \/info NCPU\)$/);
    const set = await runMbake(["endpoints", "inspect", "e", "--json"], {
      env: { MBAKE_ENDPOINTS: `e=${e.endpoint}?cpus=7` },
    });
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout).cpus).toBe("7 (set with cpus=)");
  });

  it("mbake du shows the cache of every endpoint in human sizes", async () => {
    const r = await runMbake(["du"], { env: { MBAKE_ENDPOINTS: endpoints } });
    expect(r.code).toBe(0);
    for (const e of env.engines) expect(r.stdout).toContain(`${e.name} (${e.endpoint})`);
    expect(r.stdout).toMatch(/total: \d+(\.\d+)?(B|kB|MB|GB)/);
  });

  it("mbake prune --force removes unused cache and reports what it reclaimed", async () => {
    const r = await runMbake(["prune", "--force", "--keep-duration", "1h"], {
      env: { MBAKE_ENDPOINTS: endpoints },
    });
    expect(r.code).toBe(0);
    for (const e of env.engines)
      expect(r.stdout).toMatch(new RegExp(`${e.name}: removed \\d+ records, reclaimed \\S+`));
  });
});
