/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: bake file text */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BuildkitClient } from "../../src/buildkit/client.js";
import { runMbake } from "../cli/run-mbake.js";
import { stepEndings } from "./support/plain-steps.js";
import { testEnv } from "./test-env.js";

const env = testEnv();
const [engineA, engineB] = env.engines as [(typeof env.engines)[0], (typeof env.engines)[0]];
const both = `${engineA.name}=${engineA.endpoint} ${engineB.name}=${engineB.endpoint}`;
const id = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

function project(bake: string): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-multi-"));
  writeFileSync(join(dir, "docker-bake.hcl"), bake);
  return dir;
}

function inline(lines: string[]): string {
  return JSON.stringify(`${lines.join("\n")}\n`);
}

describe("one run over two endpoints", () => {
  it("builds a diamond of target: dependencies on both endpoints, in order, handing images over through the registry", async () => {
    const run = id();
    const base = env.baseImage;
    const dir = project(
      [
        `target "base" {\n  dockerfile-inline = ${inline([`FROM ${base}`, `RUN echo base-${run} > /base.txt`])}\n}`,
        `target "left" {\n  contexts = { base = "target:base" }\n  dockerfile-inline = ${inline(["FROM base", "RUN cat /base.txt > /left.txt && echo left >> /left.txt"])}\n}`,
        `target "right" {\n  contexts = { base = "target:base" }\n  dockerfile-inline = ${inline(["FROM base", "RUN cat /base.txt > /right.txt && echo right >> /right.txt"])}\n}`,
        `target "top" {\n  contexts = { left = "target:left", right = "target:right" }\n  dockerfile-inline = ${inline(["FROM left", "COPY --from=right /right.txt /right.txt", "RUN cat /left.txt /right.txt > /top.txt", "FROM scratch", "COPY --from=0 /top.txt /"])}\n  output = ["type=local,dest=out/top"]\n}`,
        ...["one", "two"].map(
          (n) =>
            `target "${n}" {\n  dockerfile-inline = ${inline([`FROM ${base}`, `RUN echo ${n}-${run} && sleep 1`, "FROM scratch", `COPY --from=0 /etc/passwd /${n}`])}\n  output = ["type=local,dest=out/${n}"]\n}`,
        ),
        'group "default" { targets = ["top", "one", "two"] }',
      ].join("\n"),
    );
    const r = await runMbake(
      [
        "--progress=plain",
        "--metadata-file",
        "meta.json",
        "--cache",
        `registry://${env.registry}/mbake-cache-${run}`,
      ],
      {
        cwd: dir,
        env: { MBAKE_ENDPOINTS: both, CI: "true" },
        timeoutMs: 240_000,
      },
    );
    // Cache imports of refs that do not exist yet show "#N ERROR: ... not found", as in buildx;
    // no job may fail.
    expect(r.stderr).not.toMatch(/ERROR: \[/);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "out/top/top.txt"), "utf8")).toBe(
      `base-${run}\nleft\nbase-${run}\nright\n`,
    );
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8"));
    expect(Object.keys(meta).sort()).toEqual(["base", "left", "one", "right", "top", "two"]);
    const used = new Set(
      Object.values(meta).map((m) => (m as Record<string, string>)["mbake.endpoint"]),
    );
    expect(used).toEqual(new Set([engineA.name, engineB.name]));
    expect(readdirSync(join(dir, "out")).sort()).toEqual(["one", "top", "two"]);
  });

  it("splits a linux/amd64 + linux/arm64 push across both endpoints and joins one index in the registry", async () => {
    const tag = id();
    const dir = project(
      `target "multi" {\n  platforms = ["linux/amd64", "linux/arm64"]\n  dockerfile-inline = ${inline([`FROM ${env.baseImage}`, "RUN uname -m > /arch"])}\n  tags = ["${env.registry}/split/multi:${tag}"]\n  output = ["type=registry"]\n}\n`,
    );
    const r = await runMbake(["--progress=plain", "--metadata-file", "meta.json", "multi"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: both, CI: "true" },
      timeoutMs: 240_000,
    });
    expect(r.stderr).not.toMatch(/ERROR: \[/);
    expect(r.code).toBe(0);
    const res = await fetch(`http://${env.registry}/v2/split/multi/manifests/${tag}`, {
      headers: {
        accept:
          "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json",
      },
    });
    expect(res.status).toBe(200);
    const index = (await res.json()) as {
      manifests: { platform: { os: string; architecture: string } }[];
    };
    expect(
      index.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`).sort(),
    ).toEqual(["linux/amd64", "linux/arm64"]);
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8"));
    expect(meta.multi["mbake.endpoint"].split(",").sort()).toEqual(
      [engineA.name, engineB.name].sort(),
    );
  });

  it("reuses on one endpoint the shared cache another endpoint wrote", async () => {
    const run = id();
    const dir = project(
      `target "cached" {\n  dockerfile-inline = ${inline([`FROM ${env.baseImage}`, `RUN echo expensive-${run} > /result && sleep 1`])}\n  tags = ["${env.registry}/shared/cached:${run}"]\n  output = ["type=registry"]\n}\n`,
    );
    const cache = `registry://${env.registry}/mbake-shared-${run}`;
    const first = await runMbake(
      ["--progress=plain", "--cache", cache, "--metadata-file", "first.json", "cached"],
      { cwd: dir, env: { MBAKE_ENDPOINTS: `${engineA.name}=${engineA.endpoint}`, CI: "true" } },
    );
    expect(first.code).toBe(0);
    expect(first.stderr).toContain("inline");
    const second = await runMbake(
      ["--progress=plain", "--cache", cache, "--metadata-file", "second.json", "cached"],
      { cwd: dir, env: { MBAKE_ENDPOINTS: `${engineB.name}=${engineB.endpoint}`, CI: "true" } },
    );
    expect(second.code).toBe(0);
    const m1 = JSON.parse(readFileSync(join(dir, "first.json"), "utf8")).cached;
    const m2 = JSON.parse(readFileSync(join(dir, "second.json"), "utf8")).cached;
    expect(m1["mbake.endpoint"]).toBe(engineA.name);
    expect(m2["mbake.endpoint"]).toBe(engineB.name);
    expect(second.stderr).toMatch(
      /#\d+ \[cached[^\]]*\] \[2\/2\] RUN echo expensive-\S+[\s\S]*?#\d+ CACHED/,
    );
    expect(m2["mbake.cached_steps"]).toBeGreaterThanOrEqual(1);
    expect(
      stepEndings(first.stderr, /RUN echo expensive-\S+ > \/result && sleep 1$/),
    ).not.toContain("CACHED");
  });

  it("Ctrl-C mid-run exits 130 within 2 s with no partial output and no build left on either daemon", async () => {
    const run = id();
    const dir = project(
      ["a", "b"]
        .map(
          (n) =>
            `target "${n}" {\n  dockerfile-inline = ${inline([`FROM ${env.baseImage}`, `RUN echo ${n}-${run} && sleep 60`])}\n  output = ["type=local,dest=out/${n}"]\n}`,
        )
        .join("\n") + '\ngroup "default" { targets = ["a", "b"] }\n',
    );
    let sentAt = 0;
    let started = 0;
    const r = await runMbake(["--progress=plain"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: both, CI: "true" },
      onStderr: (text, child) => {
        started = (text.match(/sleep 60\n/g) ?? []).length;
        if (!sentAt && started >= 2) {
          sentAt = Date.now();
          child.kill("SIGINT");
        }
      },
    });
    expect(sentAt).toBeGreaterThan(0);
    expect(r.code).toBe(130);
    expect(Date.now() - sentAt).toBeLessThan(2500);
    expect(() => readdirSync(join(dir, "out"))).toThrowError(/ENOENT/);
    // The daemons let go of the cancelled builds (each was a 60 s sleep): their records
    // are released within seconds, however loaded the machine is.
    for (const e of env.engines) {
      const client = await BuildkitClient.connect(e.endpoint);
      try {
        const deadline = Date.now() + 15_000;
        let inUse = (await client.diskUsage()).filter((u) => u.inUse);
        while (inUse.length > 0 && Date.now() < deadline) {
          await new Promise((res) => setTimeout(res, 250));
          inUse = (await client.diskUsage()).filter((u) => u.inUse);
        }
        expect(inUse).toEqual([]);
      } finally {
        await client.close();
      }
    }
  });
});
