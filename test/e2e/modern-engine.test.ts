/**
 * The modern Docker Engine of the test environment (28.5 with the containerd image store,
 * embedded BuildKit of about v0.25): what the Engines 20.10 cannot do, mbake does here in
 * one solve, and the results are read back from the registry and from the files written.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMbake } from "../cli/run-mbake.js";
import { buildxOnEngine } from "./support/buildx-on-engine.js";
import { stepEndings } from "./support/plain-steps.js";
import { startTokenRegistry, type TokenRegistry } from "./support/token-registry.js";
import { testEnv } from "./test-env.js";

const env = testEnv();
const modern = env.modernEngine;
const old = env.engines[0]!;
const onModern = { MBAKE_ENDPOINTS: `${modern.name}=${modern.endpoint}`, CI: "true" };

const manifestTypes = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly platform?: { readonly architecture: string; readonly os: string };
  readonly annotations?: Record<string, string>;
}

async function registryJson<T>(repo: string, path: string): Promise<T> {
  const res = await fetch(`http://${env.registry}/v2/${repo}/${path}`, {
    headers: { accept: manifestTypes },
  });
  if (res.status !== 200) throw new Error(`GET ${repo}/${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** GET on the modern Engine's API socket: status and body. */
function engineGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: modern.socketPath, path, method: "GET" }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-modern-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Unpacks a tar with the system's tar (the test reads what mbake wrote, not through mbake). */
function untar(file: string, into: string, gzip = false): void {
  mkdirSync(into, { recursive: true });
  const r = spawnSync("tar", [gzip ? "-xzf" : "-xf", file, "-C", into], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tar ${file}: ${r.stderr}`);
}

describe("the modern Engine (containerd image store)", () => {
  it("shows in endpoints inspect what the daemon said it can do", async () => {
    const r = await runMbake(["endpoints", "inspect", modern.name, "--json"], { env: onModern });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const shown = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({
      kind: "docker-engine",
      imageStore: "containerd",
      multiPlatformImages: true,
      attestations: true,
      subrequests: true,
      namedContexts: true,
      exporters: expect.arrayContaining(["oci", "docker", "moby"]),
      cacheExporters: ["inline", "registry", "local"],
    });
    expect(String(shown.version)).toMatch(/^Docker Engine 28\.5\.\S+ \(API 1\.\d+, containerd/);
    expect((shown.found as string[]).join("\n")).toMatch(
      /BuildKit Info answered[\s\S]*driver-type io\.containerd\.snapshotter\.v1/,
    );
    // An Engine 20.10 beside it is found as the old daemon it is.
    const o = await runMbake(["endpoints", "inspect", old.name, "--json"], {
      env: { MBAKE_ENDPOINTS: `${old.name}=${old.endpoint}`, CI: "true" },
    });
    expect(JSON.parse(o.stdout)).toMatchObject({
      imageStore: "graphdriver",
      multiPlatformImages: false,
      attestations: false,
      subrequests: false,
      cacheExporters: ["inline"],
    });
  });

  it("pushes a linux/amd64 + linux/arm64 index with provenance in one solve, and registry cache (mode=max) it reuses after a prune", async () => {
    const run = randomUUID().slice(0, 8);
    const repo = "e2e/modern-multi";
    const cacheRepo = "e2e/modern-multi-cache";
    const build = `FROM ${env.baseImage} AS build\\nRUN uname -m > /arch && echo ${run}-$(cat /proc/sys/kernel/random/uuid) > /made\\n`;
    const dir = project({
      "docker-bake.hcl":
        `target "img" {\n  dockerfile-inline = "${build}FROM scratch\\nCOPY --from=build /arch /made /\\n"\n  platforms = ["linux/amd64", "linux/arm64"]\n  tags = ["${env.registry}/${repo}:${run}"]\n  cache-to = ["type=registry,ref=${env.registry}/${cacheRepo}:${run},mode=max"]\n  attest = ["type=provenance,mode=min"]\n  output = ["type=registry"]\n}\n` +
        // Only the first stage: its RUN is in the cache only if mode=max exported it.
        `target "again" {\n  dockerfile-inline = "${build}FROM scratch\\nCOPY --from=build /made /\\n"\n  cache-from = ["type=registry,ref=${env.registry}/${cacheRepo}:${run}"]\n  output = ["type=local,dest=again"]\n}\n`,
    });
    const r = await runMbake(["--progress=plain", "--metadata-file", "meta.json", "img"], {
      cwd: dir,
      env: onModern,
    });
    expect(r.stderr).not.toMatch(/ERROR|cannot/);
    expect(r.code).toBe(0);
    // One job on the modern Engine: no per-platform parts, no join.
    expect(r.stderr).toMatch(/\[img linux\/amd64,linux\/arm64\] building on engine-modern/);
    expect(r.stderr).not.toMatch(/img@linux|joining/i);
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")).img;
    expect(meta["containerimage.descriptor"].mediaType).toBe(
      "application/vnd.oci.image.index.v1+json",
    );

    const index = await registryJson<{ mediaType: string; manifests: Descriptor[] }>(
      repo,
      `manifests/${run}`,
    );
    expect(index.mediaType).toBe("application/vnd.oci.image.index.v1+json");
    const images = index.manifests.filter((m) => m.platform?.architecture !== "unknown");
    expect(images.map((m) => `${m.platform!.os}/${m.platform!.architecture}`).sort()).toEqual([
      "linux/amd64",
      "linux/arm64",
    ]);
    // The digest mbake reports is the index the registry serves under the tag.
    const head = await fetch(`http://${env.registry}/v2/${repo}/manifests/${run}`, {
      method: "HEAD",
      headers: { accept: manifestTypes },
    });
    expect(head.headers.get("docker-content-digest")).toBe(meta["containerimage.digest"]);
    // Each image has its attestation manifest, whose layer is an in-toto SLSA provenance.
    const attestations = index.manifests.filter(
      (m) => m.annotations?.["vnd.docker.reference.type"] === "attestation-manifest",
    );
    expect(attestations.map((a) => a.annotations!["vnd.docker.reference.digest"]).sort()).toEqual(
      images.map((m) => m.digest).sort(),
    );
    const attestation = await registryJson<{ layers: Descriptor[] }>(
      repo,
      `manifests/${attestations[0]!.digest}`,
    );
    const statement = await registryJson<{ predicateType: string; _type: string }>(
      repo,
      `blobs/${attestation.layers[0]!.digest}`,
    );
    expect(statement._type).toBe("https://in-toto.io/Statement/v0.1");
    expect(statement.predicateType).toMatch(/^https:\/\/slsa\.dev\/provenance\//);
    // The arm64 image ran its RUN under emulation.
    const arm = await registryJson<{ layers: Descriptor[] }>(
      repo,
      `manifests/${images.find((m) => m.platform!.architecture === "arm64")!.digest}`,
    );
    const layer = join(dir, "arm-layer.tar.gz");
    const blob = await fetch(`http://${env.registry}/v2/${repo}/blobs/${arm.layers[0]!.digest}`);
    writeFileSync(layer, Buffer.from(await blob.arrayBuffer()));
    untar(layer, join(dir, "arm"), true);
    expect(readFileSync(join(dir, "arm", "arch"), "utf8")).toBe("aarch64\n");

    // The first stage's RUN is in the registry cache (mode=max): after a prune the Engine
    // imports it and does not run that RUN again.
    const prune = await runMbake(["prune", "--all", "--force"], { cwd: dir, env: onModern });
    expect(prune.code).toBe(0);
    const again = await runMbake(["--progress=plain", "again"], { cwd: dir, env: onModern });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(
      /importing cache manifest from 127\.0\.0\.1:\d+\/e2e\/modern-multi-cache/,
    );
    expect(stepEndings(again.stderr, /RUN uname -m /), again.stderr).toContain("CACHED");
    expect(readFileSync(join(dir, "again", "made"), "utf8")).toMatch(new RegExp(`^${run}-`));
  });

  it("exports cache to a local folder and imports it after a prune: the RUN is CACHED with the same result", async () => {
    const run = randomUUID().slice(0, 8);
    const dockerfile = `FROM ${env.baseImage}\\nRUN echo ${run}-$(cat /proc/sys/kernel/random/uuid) > /result\\nFROM scratch\\nCOPY --from=0 /result /\\n`;
    const dir = project({
      "docker-bake.hcl":
        `target "seed" {\n  dockerfile-inline = "${dockerfile}"\n  cache-to = ["type=local,dest=cache,mode=max"]\n  output = ["type=local,dest=first"]\n}\n` +
        `target "reuse" {\n  dockerfile-inline = "${dockerfile}"\n  cache-from = ["type=local,src=cache"]\n  output = ["type=local,dest=second"]\n}\n`,
    });
    const seed = await runMbake(["--progress=plain", "seed"], { cwd: dir, env: onModern });
    expect(seed.stderr).not.toMatch(/ERROR|cannot/);
    expect(seed.code).toBe(0);
    // An OCI layout whose "latest" is the cache manifest.
    const index = JSON.parse(readFileSync(join(dir, "cache", "index.json"), "utf8")) as {
      manifests: Descriptor[];
    };
    expect(index.manifests[0]!.annotations?.["org.opencontainers.image.ref.name"]).toBe("latest");
    expect(readdirSync(join(dir, "cache", "blobs", "sha256")).length).toBeGreaterThan(2);

    const prune = await runMbake(["prune", "--all", "--force"], { cwd: dir, env: onModern });
    expect(prune.code).toBe(0);
    const reuse = await runMbake(["--progress=plain", "reuse"], { cwd: dir, env: onModern });
    expect(reuse.code).toBe(0);
    expect(reuse.stderr).toMatch(/importing cache manifest from local:/);
    expect(stepEndings(reuse.stderr, /RUN echo [^\n]* > \/result$/), reuse.stderr).toContain(
      "CACHED",
    );
    expect(readFileSync(join(dir, "second", "result"), "utf8")).toBe(
      readFileSync(join(dir, "first", "result"), "utf8"),
    );
  });

  it("writes an OCI layout tar of an image whose RUN is a here-document", async () => {
    const run = randomUUID().slice(0, 8);
    const dir = project({
      Dockerfile: `FROM ${env.baseImage}\nRUN <<EOS\necho first ${run} > /greeting\necho "second line" >> /greeting\nEOS\n`,
      "docker-bake.hcl": `target "oci" {\n  output = ["type=oci,dest=img.tar"]\n}\n`,
    });
    const r = await runMbake(["--progress=plain", "oci"], { cwd: dir, env: onModern });
    expect(r.stderr).not.toMatch(/ERROR|cannot/);
    expect(r.code).toBe(0);
    const layout = join(dir, "layout");
    untar(join(dir, "img.tar"), layout);
    expect(JSON.parse(readFileSync(join(layout, "oci-layout"), "utf8"))).toEqual({
      imageLayoutVersion: "1.0.0",
    });
    const blob = (d: string) => join(layout, "blobs", "sha256", d.slice("sha256:".length));
    const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as {
      manifests: Descriptor[];
    };
    let manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), "utf8")) as {
      manifests?: Descriptor[];
      layers?: Descriptor[];
    };
    if (manifest.manifests) {
      const image = manifest.manifests.find((m) => m.platform?.architecture === "amd64")!;
      manifest = JSON.parse(readFileSync(blob(image.digest), "utf8"));
    }
    // The last layer is the RUN's: the here-document ran as one script.
    const top = manifest.layers!.at(-1)!;
    untar(blob(top.digest), join(dir, "top"), top.mediaType.endsWith("gzip"));
    expect(readFileSync(join(dir, "top", "greeting"), "utf8")).toBe(`first ${run}\nsecond line\n`);
  });
});

describe("RUN options on the modern Engine", () => {
  it("applies shm-size (sent in bytes), ulimits and network = none to RUN", async () => {
    const dir = project({
      "docker-bake.hcl": `target "limits" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN (df -k /dev/shm | tail -1; ulimit -n; ls /sys/class/net; echo ${randomUUID()}) > /facts\\nFROM scratch\\nCOPY --from=0 /facts /\\n"\n  shm-size = "96m"\n  ulimits = ["nofile=1234:1234"]\n  network = "none"\n  output = ["type=local,dest=out"]\n}\n`,
    });
    const r = await runMbake(["--progress=plain", "limits"], { cwd: dir, env: onModern });
    expect(r.stderr).not.toMatch(/ERROR/);
    expect(r.code).toBe(0);
    const [shm, nofile, ...rest] = readFileSync(join(dir, "out", "facts"), "utf8").split("\n");
    expect(shm!.split(/\s+/)[1]).toBe(String(96 * 1024));
    expect(nofile).toBe("1234");
    // Only the loopback interface: no network.
    expect(rest[0]).toBe("lo");
    // An Engine 20.10 would ignore shm-size and ulimits: it says so instead of building.
    const onOld = await runMbake(["--progress=plain", "limits"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: `${old.name}=${old.endpoint}`, CI: "true" },
    });
    expect(onOld.code).not.toBe(0);
    expect(onOld.stderr).toMatch(
      /failed on engine-a\n\s+endpoint \S+ \(Docker Engine 20\.10[^\n]*\) would ignore shm-size and ulimits: its BuildKit predates them/,
    );
  });
});

describe("image tars and an oci-layout context on the modern Engine", () => {
  it("writes type=docker and type=tar files, and builds FROM an oci-layout:// context made of the docker tar", async () => {
    const run = randomUUID().slice(0, 8);
    const dir = project({
      Dockerfile: `FROM ${env.baseImage}\nRUN echo tarred-${run} > /t.txt\n`,
      "docker-bake.hcl":
        `target "dock" {\n  tags = ["mbake-e2e/dock:${run}"]\n  output = ["type=docker,dest=dock.tar"]\n}\n` +
        `target "fs" {\n  output = ["type=tar,dest=fs.tar"]\n}\n` +
        `target "ctx" {\n  contexts = { base = "oci-layout://layout:${run}" }\n  dockerfile-inline = "FROM base\\nRUN cat /t.txt > /u.txt\\nFROM scratch\\nCOPY --from=0 /u.txt /\\n"\n  output = ["type=local,dest=ctxout"]\n}\n`,
    });
    const r = await runMbake(["--progress=plain", "dock", "fs"], { cwd: dir, env: onModern });
    expect(r.stderr).not.toMatch(/ERROR|cannot/);
    expect(r.code).toBe(0);
    // The docker tar: docker save's manifest.json and an OCI layout naming the tag.
    const layout = join(dir, "layout");
    untar(join(dir, "dock.tar"), layout);
    const saved = JSON.parse(readFileSync(join(layout, "manifest.json"), "utf8")) as {
      RepoTags: string[];
    }[];
    expect(saved[0]!.RepoTags).toEqual([`mbake-e2e/dock:${run}`]);
    const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as {
      manifests: Descriptor[];
    };
    expect(index.manifests[0]!.annotations?.["org.opencontainers.image.ref.name"]).toBe(run);
    // The filesystem tar holds the file the RUN wrote.
    untar(join(dir, "fs.tar"), join(dir, "fs"));
    expect(readFileSync(join(dir, "fs", "t.txt"), "utf8")).toBe(`tarred-${run}\n`);

    // That layout as a named context: the daemon reads it through the session's content store.
    const ctx = await runMbake(["--progress=plain", "ctx"], { cwd: dir, env: onModern });
    expect(ctx.stderr).not.toMatch(/ERROR/);
    expect(ctx.code).toBe(0);
    expect(ctx.stderr).toMatch(/\[context base\] OCI load from client/);
    expect(readFileSync(join(dir, "ctxout", "u.txt"), "utf8")).toBe(`tarred-${run}\n`);
  });
  it("exports type=oci,tar=false into a layout folder through the session, named by the tag, and builds from it", async () => {
    const run = randomUUID().slice(0, 8);
    const dir = project({
      Dockerfile: `FROM ${env.baseImage}\nRUN echo layout-${run} > /t.txt\n`,
      "docker-bake.hcl":
        `target "layout" {\n  tags = ["mbake-e2e/layout:${run}"]\n  output = ["type=oci,dest=layout,tar=false"]\n}\n` +
        `target "ctx" {\n  contexts = { base = "oci-layout://layout:${run}" }\n  dockerfile-inline = "FROM base\\nRUN cat /t.txt > /u.txt\\nFROM scratch\\nCOPY --from=0 /u.txt /\\n"\n  output = ["type=local,dest=out"]\n}\n`,
    });
    const r = await runMbake(["--progress=plain", "layout"], { cwd: dir, env: onModern });
    expect(r.stderr).not.toMatch(/ERROR|cannot/);
    expect(r.code).toBe(0);
    // Again into the folder that is now there: the tag names the new export, nothing doubles.
    const again = await runMbake(["--progress=plain", "layout"], { cwd: dir, env: onModern });
    expect(again.stderr).not.toMatch(/ERROR|cannot/);
    expect(again.code).toBe(0);
    const index = JSON.parse(readFileSync(join(dir, "layout", "index.json"), "utf8")) as {
      manifests: Descriptor[];
    };
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]!.annotations?.["org.opencontainers.image.ref.name"]).toBe(run);
    const manifest = JSON.parse(
      readFileSync(
        join(dir, "layout", "blobs", "sha256", index.manifests[0]!.digest.slice(7)),
        "utf8",
      ),
    ) as { layers: Descriptor[] };
    for (const l of manifest.layers)
      expect(readdirSync(join(dir, "layout", "blobs", "sha256"))).toContain(l.digest.slice(7));
    const ctx = await runMbake(["--progress=plain", "ctx"], { cwd: dir, env: onModern });
    expect(ctx.code).toBe(0);
    expect(readFileSync(join(dir, "out", "u.txt"), "utf8")).toBe(`layout-${run}\n`);
  });
});

describe("the Engine's image store, inline cache and session mounts on the modern Engine", () => {
  it("hands a target: dependency over through the containerd store (moby exporter), pushes inline cache, serves a secret and an ssh key", async () => {
    const run = randomUUID().slice(0, 8);
    const image = `${env.registry}/e2e/modern-app:${run}`;
    const dir = project({
      "docker-bake.hcl":
        `target "base" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN echo base-${run} > /base.txt\\n"\n}\n` +
        `target "app" {\n  contexts = { base = "target:base" }\n  secret = ["id=tok,env=MBAKE_E2E_TOK"]\n  ssh = ["deploy=key"]\n` +
        `  dockerfile-inline = "FROM base\\nRUN --mount=type=secret,id=tok --mount=type=ssh,id=deploy test -S \\"$SSH_AUTH_SOCK\\" && cat /base.txt /run/secrets/tok > /app.txt\\n"\n` +
        `  tags = ["${image}"]\n  cache-to = ["type=inline"]\n  output = ["type=registry"]\n}\n`,
    });
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "key")]);
    const r = await runMbake(["--progress=plain", "app"], {
      cwd: dir,
      env: { ...onModern, MBAKE_E2E_TOK: `t0k-${run}` },
    });
    expect(r.stderr).not.toMatch(/ERROR/);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain(`t0k-${run}`);
    // The dependency went into the Engine's own (containerd) store, named for the run, and
    // the dependent read it from there.
    const handed = /\[base\] done on engine-modern \S+ -> (mbake-local\/base:\S+)/.exec(
      r.stderr,
    )?.[1];
    expect(handed).toBeDefined();
    expect(r.stderr).toContain(`[app] [context base] load metadata for ${handed}`);
    expect((await engineGet(`/images/${handed}/json`)).status).toBe(200);
    // The pushed image: its config carries the inline cache, its layer what the RUN wrote.
    const manifest = await registryJson<{
      config: Descriptor;
      layers: Descriptor[];
      manifests?: Descriptor[];
    }>("e2e/modern-app", `manifests/${run}`);
    const single = manifest.manifests
      ? await registryJson<{ config: Descriptor; layers: Descriptor[] }>(
          "e2e/modern-app",
          `manifests/${manifest.manifests.find((m) => m.platform?.architecture === "amd64")!.digest}`,
        )
      : manifest;
    const config = await registryJson<Record<string, unknown>>(
      "e2e/modern-app",
      `blobs/${single.config.digest}`,
    );
    expect(config).toHaveProperty(["moby.buildkit.cache.v0"]);
    const layer = join(dir, "top.tar.gz");
    const blob = await fetch(
      `http://${env.registry}/v2/e2e/modern-app/blobs/${single.layers.at(-1)!.digest}`,
    );
    writeFileSync(layer, Buffer.from(await blob.arrayBuffer()));
    untar(layer, join(dir, "top"), true);
    expect(readFileSync(join(dir, "top", "app.txt"), "utf8")).toBe(`base-${run}\nt0k-${run}`);
  });
});

describe("an Engine 20.10 and the modern Engine together", () => {
  it("builds a pushed multi-platform image whole on the modern Engine and the rest where there is room", async () => {
    const run = randomUUID().slice(0, 8);
    const repo = "e2e/modern-mixed";
    const dir = project({
      "docker-bake.hcl":
        `group "default" {\n  targets = ["img", "one", "two"]\n}\n` +
        `target "img" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN uname -m > /arch\\n"\n  platforms = ["linux/amd64", "linux/arm64"]\n  tags = ["${env.registry}/${repo}:${run}"]\n  output = ["type=registry"]\n}\n` +
        ["one", "two"]
          .map(
            (n) =>
              `target "${n}" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN echo ${n}-${run} > /${n}\\nFROM scratch\\nCOPY --from=0 /${n} /\\n"\n  output = ["type=local,dest=out/${n}"]\n}\n`,
          )
          .join("") +
        `target "chk" {\n  call = "check"\n}\n`,
    });
    const both = {
      MBAKE_ENDPOINTS: `${old.name}=${old.endpoint} ${modern.name}=${modern.endpoint}`,
      CI: "true",
    };
    // The plan, before anything runs: the whole image and the check go to the modern Engine.
    const plan = await runMbake(["--dry-run", "img", "chk"], { cwd: dir, env: both });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("  chk -> engine-modern\n");
    expect(plan.stdout).toContain("  img [linux/amd64, linux/arm64] -> engine-modern\n");
    const r = await runMbake(["--progress=plain", "--metadata-file", "meta.json"], {
      cwd: dir,
      env: {
        MBAKE_ENDPOINTS: `${old.name}=${old.endpoint} ${modern.name}=${modern.endpoint}`,
        CI: "true",
      },
    });
    expect(r.stderr).not.toMatch(/ERROR/);
    expect(r.code).toBe(0);
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8"));
    expect(meta.img["mbake.endpoint"]).toBe(modern.name);
    expect(meta.img["mbake.platforms"]).toEqual(["linux/amd64", "linux/arm64"]);
    expect(r.stderr).not.toMatch(/img@linux/);
    const index = await registryJson<{ mediaType: string; manifests: Descriptor[] }>(
      repo,
      `manifests/${run}`,
    );
    expect(index.manifests.map((m) => m.platform?.architecture)).toEqual(
      expect.arrayContaining(["amd64", "arm64"]),
    );
    for (const n of ["one", "two"])
      expect(readFileSync(join(dir, "out", n, n), "utf8")).toBe(`${n}-${run}\n`);
  });
});

/** The step whose progress line contains `text`, and whether it was CACHED. */
function stepCached(stderr: string, text: string): boolean {
  const line = stderr.split("\n").find((l) => /^#\d+ /.test(l) && l.includes(text));
  if (!line) throw new Error(`no step "${text}" in:\n${stderr}`);
  const n = line.slice(1, line.indexOf(" "));
  return stderr.split("\n").includes(`#${n} CACHED`);
}

describe("the shared cache between an Engine 20.10 and the modern Engine", () => {
  it("reads on each what the other wrote: inline cache from the old, a registry cache index (mode=max) from the modern", async () => {
    const run = randomUUID().slice(0, 8);
    const cacheRepo = `e2e/shared-mixed-${run}`;
    const dir = project({
      "a.txt": `content ${run}\n`,
      Dockerfile: `FROM ${env.baseImage} AS build\nWORKDIR /w\nCOPY a.txt .\nRUN cat a.txt > b.txt\nFROM scratch\nCOPY --from=build /w/b.txt /\nCOPY a.txt /c.txt\n`,
      "docker-bake.hcl": `target "x" {\n  tags = ["${env.registry}/e2e/shared-mixed:${run}"]\n  output = ["type=registry"]\n}\n`,
    });
    const bake = async (endpoint: { name: string; endpoint: string }, meta: string) => {
      const r = await runMbake(
        [
          "--progress=plain",
          "--cache",
          `registry://${env.registry}/${cacheRepo}`,
          "--metadata-file",
          meta,
          "x",
        ],
        { cwd: dir, env: { MBAKE_ENDPOINTS: `${endpoint.name}=${endpoint.endpoint}`, CI: "true" } },
      );
      expect(r.code).toBe(0);
      const m = JSON.parse(readFileSync(join(dir, meta), "utf8")).x;
      expect(m["mbake.endpoint"]).toBe(endpoint.name);
      return { stderr: r.stderr, cached: m["mbake.cached_steps"] as number };
    };
    // The content is new to every daemon: a CACHED COPY of it comes from the shared cache.
    const first = await bake(env.engines[1]!, "first.json");
    expect(stepCached(first.stderr, "COPY a.txt /c.txt")).toBe(false);
    // Old -> modern: the Engine 20.10 pushed its image with inline cache under the cache ref.
    const modernRun = await bake(modern, "modern.json");
    expect(modernRun.stderr).toMatch(
      /importing cache manifest from 127\.0\.0\.1:\d+\/e2e\/shared-mixed-/,
    );
    expect(stepCached(modernRun.stderr, "COPY --from=build /w/b.txt /")).toBe(true);
    expect(stepCached(modernRun.stderr, "COPY a.txt /c.txt")).toBe(true);
    expect(modernRun.cached).toBeGreaterThanOrEqual(2);
    // The modern Engine replaced it with registry cache as an index every BuildKit reads.
    const written = await registryJson<{ mediaType: string; manifests: Descriptor[] }>(
      cacheRepo,
      "manifests/x",
    );
    expect(written.mediaType).toBe("application/vnd.oci.image.index.v1+json");
    expect(written.manifests.map((m) => m.mediaType)).toContain(
      "application/vnd.buildkit.cacheconfig.v0",
    );
    // Modern -> old: the other Engine 20.10 reads it, including the first stage's COPY,
    // which only mode=max exported.
    const last = await bake(old, "last.json");
    expect(last.stderr).not.toMatch(/ERROR/);
    expect(stepCached(last.stderr, "[build 3/4] COPY a.txt .")).toBe(true);
    expect(stepCached(last.stderr, "COPY --from=build /w/b.txt /")).toBe(true);
    expect(stepCached(last.stderr, "COPY a.txt /c.txt")).toBe(true);
    expect(last.cached).toBeGreaterThanOrEqual(3);
    // RUN steps never match across these two: the modern Dockerfile frontend's RUN carries
    // an option (removeMountStubsRecursive) in the key that dockerfile 1.2 does not.
  });
});

describe("an sbom attestation whose scanner image cannot be pulled", () => {
  it("fails the target at once, naming the scanner image, the target and the endpoint, and pushes nothing", async () => {
    const run = randomUUID().slice(0, 8);
    const scanner = `${env.registry}/e2e/no-such-scanner:${run}`;
    const dir = project({
      "docker-bake.hcl": `target "scanned" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN echo ${run} > /x\\n"\n  tags = ["${env.registry}/e2e/scanned:${run}"]\n  attest = ["type=sbom,generator=${scanner}"]\n  output = ["type=registry"]\n}\n`,
    });
    const started = Date.now();
    const r = await runMbake(["--progress=plain", "scanned"], { cwd: dir, env: onModern });
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `[scanned] failed on engine-modern at step: resolve image config for docker-image://${scanner}`,
    );
    expect(r.stderr).toContain(
      `the sbom attestation needs its scanner image ${scanner}, which endpoint ${modern.endpoint} could not get`,
    );
    const res = await fetch(`http://${env.registry}/v2/e2e/scanned/manifests/${run}`, {
      method: "HEAD",
      headers: { accept: manifestTypes },
    });
    expect(res.status).toBe(404);
  });
});

describe("--call check, outline and targets on the modern Engine", () => {
  it("shows the build's own warnings (Dockerfile checks) under their step and at the end, as buildx does", async () => {
    const run = randomUUID().slice(0, 8);
    const dir = project({
      Dockerfile: `FROM ${env.baseImage} as base\nRUN echo ${run}\n`,
      "docker-bake.hcl": `target "app" {\n  output = ["type=cacheonly"]\n}\n`,
    });
    const ours = await runMbake(["--progress=plain", "app"], { cwd: dir, env: onModern });
    expect(ours.code).toBe(0);
    const theirs = buildxOnEngine(env.buildx, dir, modern.socketPath)(["--progress=plain", "app"]);
    expect(theirs.status).toBe(0);
    const warn = /^#\d+ (WARN: FromAsCasing: .* \(line 1\))$/m;
    expect(theirs.stderr).toMatch(warn);
    // The same step line as buildx's, and the list at the end naming the file, line and target.
    expect(warn.exec(ours.stderr)?.[1]).toBe(warn.exec(theirs.stderr)?.[1]);
    expect(ours.stderr).toMatch(
      /\n1 warning found:\n - Dockerfile:1: FromAsCasing: 'as' and 'FROM' keywords' casing do not match \(app\)\n/,
    );
  });

  it("print what the reference buildx prints on the same Engine, with its exit status; an Engine 20.10 says it cannot", async () => {
    const run = randomUUID().slice(0, 8);
    const dir = project({
      Dockerfile: `FROM ${env.baseImage} as base\nRUN echo ${run}\nFROM base AS final\nENV a=1\n`,
      "ok.Dockerfile": `FROM ${env.baseImage}\nRUN true\n`,
      "docker-bake.hcl":
        `target "app" {\n}\n` +
        `target "ok" {\n  dockerfile = "ok.Dockerfile"\n}\n` +
        `target "sub" {\n  context = "sub"\n  description = "the sub project"\n  args = { VERSION = "2" }\n}\n`,
    });
    mkdirSync(join(dir, "sub"));
    writeFileSync(
      join(dir, "sub", "Dockerfile"),
      `# The build stage\nFROM ${env.baseImage} AS build\n# VERSION of the thing\nARG VERSION=1\nRUN --mount=type=secret,id=tok --mount=type=ssh echo $VERSION\nfrom build as final\nENV x y\nMAINTAINER me\nCOPY . /src\n`,
    );
    const buildx = buildxOnEngine(env.buildx, dir, modern.socketPath);
    for (const args of [
      ["--check", "app", "sub", "ok"],
      ["--call", "outline", "app", "sub"],
      ["--call", "targets", "app", "sub"],
      ["--call", "check", "ok"],
    ]) {
      const ours = await runMbake(["--progress=quiet", ...args], { cwd: dir, env: onModern });
      const theirs = buildx(args);
      expect(theirs.error).toBeUndefined();
      expect(ours.stdout, args.join(" ")).toBe(theirs.stdout);
      expect(ours.code, args.join(" ")).toBe(theirs.status);
    }
    // What the answers hold: warnings by file:line, the outline's arguments, the stages.
    const check = await runMbake(["--progress=quiet", "--check", "sub"], {
      cwd: dir,
      env: onModern,
    });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("Check complete, 3 warnings have been found!");
    expect(check.stdout).toMatch(
      /WARNING: MaintainerDeprecated - \S+\n[^\n]+\nsub\/Dockerfile:8\n/,
    );
    const outline = await runMbake(["--progress=quiet", "--call", "outline", "sub"], {
      cwd: dir,
      env: onModern,
    });
    expect(outline.stdout).toMatch(/^sub\nthe sub project\n\nTARGET: final\n/);
    expect(outline.stdout).toMatch(/VERSION +2 +of the thing/);
    // The Engine 20.10's frontend takes no subrequests: the endpoint says so, nothing is built.
    const onOld = await runMbake(["--progress=plain", "--check", "app"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: `${old.name}=${old.endpoint}`, CI: "true" },
    });
    expect(onOld.code).toBe(1);
    expect(onOld.stdout).toBe("");
    expect(onOld.stderr).toMatch(
      /failed on engine-a\n\s+endpoint \S+ \(Docker Engine 20\.10[^\n]*\) cannot answer --call check: its Dockerfile frontend takes no subrequests/,
    );
  });
});

describe("a token-auth registry with the modern Engine", () => {
  let registry: TokenRegistry;
  beforeAll(async () => {
    registry = await startTokenRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it("pushes and pulls with tokens that mbake fetches for the daemon (Auth.FetchToken)", async () => {
    const run = randomUUID().slice(0, 8);
    const image = `${registry.address}/team/modern:${run}`;
    const dir = project({
      "docker-bake.hcl":
        `target "base" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN echo modern-${run} > /base.txt\\n"\n  tags = ["${image}"]\n  cache-to = ["type=registry,ref=${registry.address}/team/modern-cache:${run},mode=max"]\n  output = ["type=registry"]\n}\n` +
        `target "user" {\n  pull = true\n  dockerfile-inline = "FROM ${image} AS b\\nFROM scratch\\nCOPY --from=b /base.txt /\\n"\n  output = ["type=local,dest=out"]\n}\n`,
    });
    const config = join(dir, "docker-config");
    mkdirSync(config);
    const auth = Buffer.from(`${registry.username}:${registry.password}`).toString("base64");
    writeFileSync(
      join(config, "config.json"),
      JSON.stringify({ auths: { [registry.address]: { auth } } }),
    );
    const withConfig = { ...onModern, DOCKER_CONFIG: config };
    const push = await runMbake(["--progress=plain", "base"], { cwd: dir, env: withConfig });
    expect(push.stderr).not.toMatch(/ERROR/);
    expect(push.code).toBe(0);
    const pull = await runMbake(["--progress=plain", "--no-cache", "user"], {
      cwd: dir,
      env: withConfig,
    });
    expect(pull.stderr).not.toMatch(/ERROR/);
    expect(pull.code).toBe(0);
    expect(readFileSync(join(dir, "out", "base.txt"), "utf8")).toBe(`modern-${run}\n`);
    // The daemon asked the session for tokens and mbake fetched them (its user agent),
    // for push and for pull: the credentials never went to the daemon.
    expect(registry.tokens.requests.filter((t) => !/^mbake\//.test(t.userAgent))).toEqual([]);
    const byMbake = registry.tokens.requests.filter((t) => /^mbake\//.test(t.userAgent));
    expect(byMbake).toContainEqual(
      expect.objectContaining({
        granted: true,
        scopes: expect.arrayContaining([expect.stringMatching(/^repository:team\/modern:.*push/)]),
      }),
    );
    expect(byMbake).toContainEqual(
      expect.objectContaining({
        granted: true,
        scopes: expect.arrayContaining([expect.stringMatching(/^repository:team\/modern:pull/)]),
      }),
    );
  });
});
