/**
 * Cancellation inside each phase of a build, on an Engine 20.10 and on the Engine 28.5:
 * while a large context uploads, while a RUN step runs, while a large local output is
 * exported, while a push is under way, and (Engine 20.10: split per platform) while the
 * per-platform images are joined. A SIGINT there ends mbake with exit 130 within 2 s,
 * leaves no output, pushes no tag, and leaves nothing running on the daemon.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mbakeBin } from "../cli/run-mbake.js";
import { untilIdle } from "./support/daemon-activity.js";
import { type HoldingRegistry, holdingRegistry } from "./support/holding-registry.js";
import { type TestEngine, testEnv } from "./test-env.js";

const env = testEnv();
const old = env.engines[0]!;
const modern = env.modernEngine;
/** How long the registry front holds a manifest PUT before passing it on. */
const holdMs = 2000;

interface Stopped {
  readonly code: number | null;
  readonly afterSignalMs: number;
  readonly signalled: boolean;
  readonly output: string;
}

/**
 * Runs mbake on `target` in `dir` and sends SIGINT once `when` resolves (it is given the
 * output so far and the folder); the run is killed if it lasts past 120 s.
 */
function runUntil(
  dir: string,
  engine: TestEngine,
  args: readonly string[],
  when: (output: () => string) => Promise<void>,
): Promise<Stopped> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mbakeBin, "--progress=plain", ...args], {
      cwd: dir,
      env: { ...process.env, MBAKE_ENDPOINTS: `${engine.name}=${engine.endpoint}`, CI: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    let sentAt = 0;
    let ended = false;
    void when(() => output).then(() => {
      if (ended) return;
      sentAt = Date.now();
      child.kill("SIGINT");
    });
    const guard = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      ended = true;
      clearTimeout(guard);
      resolve({
        code,
        signalled: sentAt > 0,
        afterSignalMs: sentAt ? Date.now() - sentAt : -1,
        output,
      });
    });
  });
}

/** Resolves once `test` holds, checked every 20 ms. */
async function until(test: () => boolean): Promise<void> {
  while (!test()) await new Promise((r) => setTimeout(r, 20));
}

/** A folder with a bake file whose target "t" carries `tag` (in a RUN line and a build arg). */
function project(tag: string, body: string, dockerfile: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-cancel-phase-"));
  const lines = [`FROM ${env.baseImage}`, "ARG CANCEL_TAG", ...dockerfile];
  writeFileSync(
    join(dir, "docker-bake.hcl"),
    `target "t" {\n  dockerfile-inline = ${JSON.stringify(`${lines.join("\n")}\n`)}\n  args = { CANCEL_TAG = "${tag}" }\n${body}}\n`,
  );
  return dir;
}

/** Exit 130 within 2 s of the signal, nothing left in the project folder but what was there. */
function expectCancelled(r: Stopped, dir: string, before: readonly string[]): void {
  expect(r.signalled, r.output).toBe(true);
  expect(r.code, r.output).toBe(130);
  expect(r.afterSignalMs, r.output).toBeLessThan(2000);
  expect(r.output.match(/mbake: cancelled/g)).toHaveLength(1);
  // .mbake/ keeps what mbake learnt about endpoints (state, as buildx keeps its own).
  expect(
    readdirSync(dir)
      .filter((f) => f !== ".mbake")
      .sort(),
  ).toEqual([...before].sort());
}

/** The tags of `repo` in the test registry (none when the repository does not exist). */
async function tagsOf(repo: string): Promise<string[]> {
  const res = await fetch(`http://${env.registry}/v2/${repo}/tags/list`);
  if (res.status === 404) return [];
  return ((await res.json()) as { tags?: string[] | null }).tags ?? [];
}

async function manifestStatus(repo: string, tag: string): Promise<number> {
  const res = await fetch(`http://${env.registry}/v2/${repo}/manifests/${tag}`, {
    method: "HEAD",
    headers: {
      accept:
        "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json",
    },
  });
  return res.status;
}

function unique(): string {
  return `cancel${randomBytes(5).toString("hex")}`;
}

/**
 * Runs `check` on the Engine 20.10 and the Engine 28.5 at once (each its own project,
 * tag and registry front, so they cannot meet); `history` says whether the daemon keeps
 * a build history to ask.
 */
async function onBoth(check: (engine: TestEngine, history: boolean) => Promise<void>) {
  await Promise.all([check(old, false), check(modern, true)]);
}

describe("a SIGINT inside each phase cancels cleanly", () => {
  it("while a 96 MiB context uploads (Engine 20.10 and 28.5)", () =>
    onBoth(async (engine, history) => {
      const tag = unique();
      const dir = project(tag, `  context = "ctx"\n  output = ["type=local,dest=out"]\n`, [
        "COPY . /ctx",
        `RUN echo ${tag} && sleep 30 && echo done`,
      ]);
      mkdirSync(join(dir, "ctx"));
      for (let i = 0; i < 6; i++)
        writeFileSync(join(dir, "ctx", `blob${i}`), randomBytes(16 << 20));
      const r = await runUntil(dir, engine, ["t"], (out) =>
        until(() => /load build context|transferring context/.test(out())),
      );
      expectCancelled(r, dir, ["ctx", "docker-bake.hcl"]);
      // The signal came before the RUN step: the upload (or the solve's start) was cut.
      expect(r.output).not.toMatch(new RegExp(`#\\d+ [\\d.]+ ${tag}`));
      expect(await untilIdle(engine.endpoint, tag, { history })).toEqual([]);
    }));

  it("while a RUN step runs (Engine 20.10 and 28.5)", () =>
    onBoth(async (engine, history) => {
      const tag = unique();
      const dir = project(tag, `  output = ["type=local,dest=out"]\n`, [
        `RUN echo ${tag} && sleep 30 && echo done`,
      ]);
      // With a metadata file asked for: a cancelled run writes none.
      const r = await runUntil(dir, engine, ["--metadata-file", "meta.json", "t"], (out) =>
        until(() => new RegExp(`#\\d+ [\\d.]+ ${tag}`).test(out())),
      );
      expectCancelled(r, dir, ["docker-bake.hcl"]);
      expect(await untilIdle(engine.endpoint, tag, { history })).toEqual([]);
    }));

  it("while a 192 MiB local output is exported (Engine 20.10 and 28.5)", () =>
    onBoth(async (engine, history) => {
      const tag = unique();
      const dir = mkdtempSync(join(tmpdir(), "mbake-cancel-phase-"));
      const lines = [
        `FROM ${env.baseImage} AS gen`,
        "ARG CANCEL_TAG",
        `RUN mkdir /o && for i in 1 2 3 4; do dd if=/dev/zero of=/o/f$i bs=1048576 count=48 2>/dev/null; done && echo ${tag}`,
        "FROM scratch",
        "COPY --from=gen /o /",
      ];
      writeFileSync(
        join(dir, "docker-bake.hcl"),
        `target "t" {\n  dockerfile-inline = ${JSON.stringify(`${lines.join("\n")}\n`)}\n  args = { CANCEL_TAG = "${tag}" }\n  output = ["type=local,dest=out"]\n}\n`,
      );
      // The signal goes once the first exported bytes land in the staging folder.
      const receiving = () => {
        const out = join(dir, "out");
        if (!existsSync(out)) return false;
        return readdirSync(out, { recursive: true, withFileTypes: true }).some(
          (e) => e.isFile() && e.name.startsWith("f"),
        );
      };
      const r = await runUntil(dir, engine, ["t"], () => until(receiving));
      expectCancelled(r, dir, ["docker-bake.hcl"]);
      expect(await untilIdle(engine.endpoint, tag, { history })).toEqual([]);
    }));

  it("while a push is under way (Engine 20.10 and 28.5)", () =>
    onBoth(async (engine, history) => {
      const tag = unique();
      const repo = `cancel/push-${tag}`;
      // Blob uploads end with a PUT: the first is held and the signal goes then, while the
      // layers are being pushed. (The Engine 20.10 cannot stop a push once it sends the final
      // manifest: its registry client does not cancel that request; the layers it can.)
      const front: HoldingRegistry = await holdingRegistry(
        env.registry,
        (method, path) =>
          method === "PUT" && (path.includes("/blobs/uploads/") || path.includes("/manifests/")),
        holdMs,
      );
      try {
        const dir = project(
          tag,
          `  tags = ["${front.address}/${repo}:v1"]\n  output = ["type=registry"]\n`,
          [`RUN echo ${tag}`],
        );
        const r = await runUntil(dir, engine, ["t"], () => front.firstHeld);
        expectCancelled(r, dir, ["docker-bake.hcl"]);
        // The daemon gets the time to go on with the push if it would: it must not.
        await new Promise((res) => setTimeout(res, holdMs + 1000));
        const { passedOn } = await front.settled();
        expect(passedOn.filter((p) => p.includes("/manifests/"))).toEqual([]);
        expect(await tagsOf(repo)).toEqual([]);
        expect(await manifestStatus(repo, "v1")).toBe(404);
        expect(await untilIdle(engine.endpoint, tag, { history })).toEqual([]);
      } finally {
        await front.close();
      }
    }));

  it("on the Engine 20.10: while the per-platform images are joined", async () => {
    const tag = unique();
    const repo = `cancel/join-${tag}`;
    // Only the joined index's PUT (tag v1) is held; the per-platform pushes go through.
    const front = await holdingRegistry(
      env.registry,
      (method, path) => method === "PUT" && path.endsWith(`/${repo}/manifests/v1`),
      holdMs,
    );
    try {
      const dir = project(
        tag,
        `  platforms = ["linux/amd64", "linux/arm64"]\n  tags = ["${front.address}/${repo}:v1"]\n  output = ["type=registry"]\n`,
        ["LABEL cancel.tag=$CANCEL_TAG"],
      );
      const r = await runUntil(dir, old, ["t"], () => front.firstHeld);
      expectCancelled(r, dir, ["docker-bake.hcl"]);
      expect(await front.settled()).toEqual({ passedOn: [], dropped: 1 });
      expect(await tagsOf(repo)).not.toContain("v1");
      expect(await manifestStatus(repo, "v1")).toBe(404);
      expect(await untilIdle(old.endpoint, tag, { history: false })).toEqual([]);
    } finally {
      await front.close();
    }
  });
});
