/**
 * Remote build contexts fetched by the daemon itself: a git repository served by
 * `git daemon` and a tarball served over HTTP, both on 127.0.0.1 (the Engine runs on
 * this machine, so it reaches them).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMbake } from "../cli/run-mbake.js";
import { freePort } from "./support/registry-process.js";
import { testEnv } from "./test-env.js";

const env = testEnv();
const endpoint = `${env.engines[0]!.name}=${env.engines[0]!.endpoint}`;
/** The Engine 20.10 and the modern Engine (28.5): each fetches remote contexts itself. */
const both = [
  ["an Engine 20.10", endpoint],
  ["the modern Engine", `${env.modernEngine.name}=${env.modernEngine.endpoint}`],
] as const;
const root = mkdtempSync(join(tmpdir(), "mbake-remote-"));
let gitDaemon: ChildProcess;
let gitPort = 0;
let http: Server;
let httpPort = 0;

function git(cwd: string, ...args: string[]): void {
  execFileSync("git", ["-c", "user.email=t@mbake.test", "-c", "user.name=t", ...args], { cwd });
}

beforeAll(async () => {
  // A repository with a Dockerfile in a sub-folder and a file to copy.
  const work = join(root, "work");
  mkdirSync(join(work, "docker"), { recursive: true });
  writeFileSync(join(work, "docker", "Dockerfile"), `FROM scratch\nCOPY message.txt /\n`);
  writeFileSync(join(work, "message.txt"), "from git\n");
  git(root, "init", "-q", "-b", "main", work);
  git(work, "add", ".");
  git(work, "commit", "-q", "-m", "context");
  mkdirSync(join(root, "served"));
  git(root, "clone", "-q", "--bare", work, join(root, "served", "repo.git"));
  gitPort = await freePort();
  gitDaemon = spawn(
    "git",
    [
      "daemon",
      "--reuseaddr",
      "--export-all",
      `--base-path=${join(root, "served")}`,
      "--listen=127.0.0.1",
      `--port=${gitPort}`,
    ],
    { stdio: "ignore" },
  );
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const c = net.connect(gitPort, "127.0.0.1", () => {
        c.destroy();
        resolve(true);
      });
      c.on("error", () => resolve(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // A gzipped tarball context over HTTP.
  const tarDir = join(root, "tar");
  mkdirSync(tarDir);
  writeFileSync(join(tarDir, "message.txt"), "from a tarball\n");
  execFileSync("tar", ["-czf", join(root, "ctx.tar.gz"), "-C", tarDir, "."]);
  const tarball = readFileSync(join(root, "ctx.tar.gz"));
  http = createServer((req, res) => {
    if (req.url === "/ctx.tar.gz") {
      res.writeHead(200, { "content-type": "application/gzip", "content-length": tarball.length });
      res.end(tarball);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  httpPort = (http.address() as AddressInfo).port;
});

afterAll(async () => {
  gitDaemon?.kill("SIGKILL");
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
});

describe("remote contexts", () => {
  it.each(both)(
    "builds from a git repository, with the Dockerfile path inside it, on %s",
    async (_, on) => {
      const dir = mkdtempSync(join(tmpdir(), "mbake-remote-run-"));
      writeFileSync(
        join(dir, "docker-bake.hcl"),
        `target "fromgit" {\n  context = "git://127.0.0.1:${gitPort}/repo.git#main"\n  dockerfile = "docker/Dockerfile"\n  output = ["type=local,dest=out"]\n}\n`,
      );
      const r = await runMbake(["--progress=plain", "fromgit"], {
        cwd: dir,
        env: { MBAKE_ENDPOINTS: on, CI: "true" },
      });
      expect(r.stderr).not.toMatch(/ERROR/);
      expect(r.code).toBe(0);
      expect(readFileSync(join(dir, "out", "message.txt"), "utf8")).toBe("from git\n");
    },
  );

  it.each(both)(
    "builds from a tarball over HTTP with an inline Dockerfile, on %s",
    async (_, on) => {
      const dir = mkdtempSync(join(tmpdir(), "mbake-remote-run-"));
      writeFileSync(
        join(dir, "docker-bake.hcl"),
        `target "fromtar" {\n  context = "http://127.0.0.1:${httpPort}/ctx.tar.gz"\n  dockerfile-inline = "FROM scratch\\nCOPY message.txt /\\n"\n  output = ["type=local,dest=out"]\n}\n`,
      );
      const r = await runMbake(["--progress=plain", "fromtar"], {
        cwd: dir,
        env: { MBAKE_ENDPOINTS: on, CI: "true" },
      });
      expect(r.stderr).not.toMatch(/ERROR/);
      expect(r.code).toBe(0);
      expect(readFileSync(join(dir, "out", "message.txt"), "utf8")).toBe("from a tarball\n");
    },
  );

  it("names the repository when the daemon cannot fetch it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-remote-run-"));
    writeFileSync(
      join(dir, "docker-bake.hcl"),
      `target "missing" {\n  context = "git://127.0.0.1:${gitPort}/nope.git"\n  output = ["type=cacheonly"]\n}\n`,
    );
    const r = await runMbake(["--progress=plain", "missing"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: endpoint, CI: "true" },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`git://127.0.0.1:${gitPort}/nope.git`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
