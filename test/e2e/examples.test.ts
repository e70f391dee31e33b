/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile and bake text */
import { execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mbakeBin, repoRoot, runMbake } from "../cli/run-mbake.js";
import { testEnv } from "./test-env.js";

const env = testEnv();
const endpoints = env.engines.map((e) => `${e.name}=${e.endpoint}`).join(" ");
const baseEnv = { MBAKE_ENDPOINTS: endpoints, BASE_IMAGE: env.baseImage, CI: "true" };
const unique = () => `t${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `mbake-${prefix}-`));
}

async function manifestExists(
  registry: string,
  repo: string,
  tag: string,
  auth?: string,
): Promise<boolean> {
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
    headers: {
      accept:
        "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json",
      ...(auth ? { authorization: `Basic ${auth}` } : {}),
    },
  });
  return res.status === 200;
}

describe("the examples, baked by mbake on the test environment", () => {
  it("cross: `make cross` builds binaries for amd64 and arm64 into a folder per platform", () => {
    const dist = tmp("cross");
    const out = execFileSync(
      "make",
      [
        "-s",
        "-C",
        join(repoRoot, "examples/cross"),
        "cross",
        `MBAKE=${process.execPath} ${mbakeBin} --progress=plain`,
      ],
      {
        env: { ...process.env, ...baseEnv, DIST: dist, VERSION: "9.9.9" },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    void out;
    expect(readdirSync(dist).sort()).toEqual(["linux-amd64", "linux-arm64"]);
    expect(readFileSync(join(dist, "linux-arm64/built-on-arch.txt"), "utf8").trim()).toBe(
      "aarch64",
    );
    expect(readFileSync(join(dist, "linux-amd64/built-on-arch.txt"), "utf8").trim()).toBe("x86_64");
    expect(readFileSync(join(dist, "linux-arm64/hello"), "utf8")).toContain(
      'echo "hello 9.9.9 (linux/arm64)"',
    );
  });

  it("monorepo: services on a shared base stage are pushed with digests in the metadata file", async () => {
    const tag = unique();
    const meta = join(tmp("meta"), "metadata.json");
    const r = await runMbake(["--progress=plain", "--metadata-file", meta], {
      cwd: join(repoRoot, "examples/monorepo"),
      env: { ...baseEnv, REGISTRY: env.registry, TAG: tag },
      timeoutMs: 240_000,
    });
    expect(r.stderr).toContain("[api");
    expect(r.code).toBe(0);
    for (const svc of ["api", "web", "worker"])
      expect(await manifestExists(env.registry, `monorepo/${svc}`, tag)).toBe(true);
    const metadata = JSON.parse(readFileSync(meta, "utf8"));
    expect(metadata.api["containerimage.digest"]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(metadata.api["image.name"]).toBe(`${env.registry}/monorepo/api:${tag}`);
    expect(env.engines.map((e) => e.name)).toContain(metadata.api["mbake.endpoint"]);
    expect(metadata.api["mbake.total_steps"]).toBeGreaterThan(0);
    expect(metadata.base["mbake.state"]).toBe("done");
  });

  it("inline: dockerfile-inline targets write a folder and a tarball", async () => {
    const out = tmp("inline");
    const r = await runMbake(
      [
        "--progress=plain",
        "--set",
        `inline.output=type=local,dest=${out}/dir`,
        "--set",
        `inline-tar.output=type=tar,dest=${out}/inline.tar`,
      ],
      {
        cwd: join(repoRoot, "examples/inline"),
        env: { ...baseEnv, GREETING: "hi from the test" },
      },
    );
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, "dir/greeting.txt"), "utf8")).toBe("hi from the test\n");
    const listing = execFileSync("tar", ["-tf", join(out, "inline.tar")], { encoding: "utf8" });
    expect(listing).toContain("tar.txt");
  });

  it("private-registry: pushes with the credentials of a Docker config file", async () => {
    const { address, username, password } = env.privateRegistry;
    // The example's config holds the test registry's login for its default address;
    // the same login is written for the address this environment really uses.
    const example = JSON.parse(
      readFileSync(join(repoRoot, "examples/private-registry/docker-config/config.json"), "utf8"),
    );
    const login = Object.values(example.auths as Record<string, { auth: string }>)[0]!.auth;
    expect(Buffer.from(login, "base64").toString()).toBe(`${username}:${password}`);
    const dockerConfig = tmp("docker-config");
    writeFileSync(
      join(dockerConfig, "config.json"),
      JSON.stringify({ auths: { [address]: { auth: login } } }),
    );
    const r = await runMbake(["--progress=plain"], {
      cwd: join(repoRoot, "examples/private-registry"),
      env: { ...baseEnv, PRIVATE_REGISTRY: address, DOCKER_CONFIG: dockerConfig },
    });
    expect(r.stderr).not.toMatch(/ERROR/);
    expect(r.code).toBe(0);
    const auth = Buffer.from(`${username}:${password}`).toString("base64");
    expect(await manifestExists(address, "private/app", "latest", auth)).toBe(true);
  });
});

describe("failures, fail-over and cancellation", () => {
  it("plain output of a failing build names the target, the step and its log lines", async () => {
    const dir = tmp("fail");
    writeFileSync(
      join(dir, "docker-bake.hcl"),
      `target "broken" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN echo first-line-of-log && echo second-line-of-log && exit 7\\n"\n}\ntarget "fine" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN echo ok-${unique()}\\n"\n}\ngroup "default" { targets = ["broken", "fine"] }\n`,
    );
    const r = await runMbake(["--progress=plain"], { cwd: dir, env: baseEnv });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /ERROR: \[broken @engine-[ab]\] failed on engine-[ab] at step: \[2\/2\] RUN echo first-line-of-log/,
    );
    expect(r.stderr).toContain("> first-line-of-log");
    expect(r.stderr).toContain("> second-line-of-log");
    expect(r.stderr).toMatch(/fine\s+engine-[ab]\s+default\s+\S+\s+\S+\s+(sha256|-|$)/m);
  });

  it("leaves out an endpoint that cannot be reached and builds on the others", async () => {
    const dir = tmp("dead");
    writeFileSync(
      join(dir, "docker-bake.hcl"),
      `target "x" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN echo ${unique()}\\n"\n}\n`,
    );
    const r = await runMbake(["--progress=plain", "x"], {
      cwd: dir,
      env: { ...baseEnv, MBAKE_ENDPOINTS: `gone=unix://${dir}/nothing.sock ${endpoints}` },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("WARNING: endpoint gone (unix://");
  });

  it("moves a build to another endpoint when its daemon goes away mid-build", async () => {
    const dir = tmp("failover");
    const proxy = join(dir, "proxy.sock");
    const socat = spawn(
      "socat",
      [`UNIX-LISTEN:${proxy},fork`, `UNIX-CONNECT:${env.engines[0]!.socketPath}`],
      { detached: true, stdio: "ignore" },
    );
    for (let i = 0; i < 50 && !existsSync(proxy); i++) await new Promise((r) => setTimeout(r, 100));
    writeFileSync(
      join(dir, "docker-bake.hcl"),
      `target "slow" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN echo ${unique()} && sleep 4\\n"\n}\n`,
    );
    let killed = false;
    const r = await runMbake(
      ["--progress=plain", "--metadata-file", join(dir, "meta.json"), "slow"],
      {
        cwd: dir,
        env: {
          ...baseEnv,
          MBAKE_ENDPOINTS: `flaky=unix://${proxy} ${env.engines[1]!.name}=${env.engines[1]!.endpoint}`,
        },
        onStderr: (text) => {
          if (!killed && /#\d+ \[slow @flaky\] \[2\/2\] RUN/.test(text)) {
            killed = true;
            process.kill(-socat.pid!, "SIGKILL");
          }
        },
        timeoutMs: 120_000,
      },
    );
    if (!killed) process.kill(-socat.pid!, "SIGKILL");
    expect(killed).toBe(true);
    expect(r.stderr).toContain("flaky went away");
    expect(r.code).toBe(0);
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8"));
    expect(meta.slow["mbake.endpoint"]).toBe(env.engines[1]!.name);
    expect(meta.slow["mbake.retries"]).toBe(1);
  });

  it("Ctrl-C stops the builds quickly, exits 130 and leaves no partial output", async () => {
    const dir = tmp("cancel");
    mkdirSync(join(dir, "out"));
    writeFileSync(
      join(dir, "docker-bake.hcl"),
      `target "long" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN echo ${unique()} && sleep 60\\n"\n  output = ["type=local,dest=out/long"]\n}\n`,
    );
    let signalledAt = 0;
    const r = await runMbake(["--progress=plain", "long"], {
      cwd: dir,
      env: baseEnv,
      onStderr: (text, child) => {
        if (!signalledAt && /RUN echo .* sleep 60/.test(text)) {
          signalledAt = Date.now();
          child.kill("SIGINT");
        }
      },
    });
    expect(signalledAt).toBeGreaterThan(0);
    expect(r.code).toBe(130);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(readdirSync(join(dir, "out"))).toEqual([]);
  });
});
