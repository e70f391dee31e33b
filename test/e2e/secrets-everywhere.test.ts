/**
 * Every secret source, every output: a step prints each build secret (one split over two
 * log chunks) and then fails with one on stderr, beside a push to the login registry with
 * the Docker config's credentials; in each progress mode, with --metadata-file and
 * MBAKE_TRACE=1, no secret value, credential or part of one is in stdout, stderr, the
 * metadata file or anything mbake wrote in .mbake/.
 */
import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mbakeBin, runMbake } from "../cli/run-mbake.js";
import { testEnv } from "./test-env.js";

const env = testEnv();
const engine = env.engines[0]!;
const { address, username, password } = env.privateRegistry;

/** Each source's value, unique enough that any 8 characters of it found in an output are a leak. */
const secrets = {
  // id=IDENV alone, the variable IDENV set: read from the environment.
  idEnv: 'idenv-q"uo\\te-71c9e3',
  // id=IDFILE alone, no variable IDFILE: read from the file IDFILE where mbake runs.
  idFile: "idfile-value-5d2b8a",
  // id=e,env=MBAKE_E2E_ENV_SECRET; printed in two chunks a second apart.
  env: "envsecret-split-4f0a6e",
  // id=f,src=src-secret.txt, two lines.
  src: "srcline-one-8e1f2c\nsrcline-two-3a9b7d\n",
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The parts of a value that must never show: each line, and every 8 characters of it. */
function leaks(text: string, value: string): string[] {
  const found: string[] = [];
  for (const line of value.split("\n").filter((l) => l !== ""))
    for (let i = 0; i + 8 <= line.length; i++)
      if (text.includes(line.slice(i, i + 8))) found.push(line.slice(i, i + 8));
  return found;
}

describe("no secret in any output", () => {
  const dir = mkdtempSync(join(tmpdir(), "mbake-secrets-all-"));
  const dockerConfig = join(dir, "docker-config");
  const basic = Buffer.from(`${username}:${password}`).toString("base64");
  mkdirSync(dockerConfig);
  writeFileSync(
    join(dockerConfig, "config.json"),
    JSON.stringify({ auths: { [address]: { auth: basic } } }),
  );
  writeFileSync(join(dir, "IDFILE"), secrets.idFile);
  writeFileSync(join(dir, "src-secret.txt"), secrets.src);
  writeFileSync(join(dir, "pushed.txt"), `pushed ${Date.now()}\n`);
  const mounts = ["IDENV", "IDFILE", "e", "f"].map((id) => `--mount=type=secret,id=${id}`);
  writeFileSync(
    join(dir, "Dockerfile"),
    `FROM ${env.baseImage}\nRUN ${mounts.join(" ")} cat /run/secrets/IDENV; echo; cat /run/secrets/IDFILE; echo; cat /run/secrets/f; head -c 12 /run/secrets/e; sleep 1; tail -c +13 /run/secrets/e; echo; echo "failing with $(cat /run/secrets/e)" >&2; exit 1\n`,
  );
  writeFileSync(join(dir, "pushed.Dockerfile"), "FROM scratch\nCOPY pushed.txt /\n");
  writeFileSync(
    join(dir, "docker-bake.hcl"),
    `target "leak" {\n  secret = ["id=IDENV", "id=IDFILE", "id=e,env=MBAKE_E2E_ENV_SECRET", "id=f,src=src-secret.txt"]\n}\n` +
      `target "pushed" {\n  dockerfile = "pushed.Dockerfile"\n  tags = ["${address}/secrets/pushed:latest"]\n  output = ["type=registry"]\n}\n`,
  );
  const forbidden: Record<string, string> = {
    ...secrets,
    password,
    basic,
    // The Engine's X-Registry-Auth (URL-safe base64 of the credentials' JSON).
    engineAuth: Buffer.from(JSON.stringify({ username, password, serveraddress: address }))
      .toString("base64")
      .replace(/\+/g, "-")
      .replace(/\//g, "_"),
  };

  it.each(["plain", "rawjson", "quiet"])(
    "--progress=%s shows the masked marker, never a value, in stdout, stderr, the metadata file and .mbake/",
    async (progress) => {
      const metadata = join(dir, `metadata-${progress}.json`);
      const r = await runMbake(
        [`--progress=${progress}`, "--metadata-file", metadata, "leak", "pushed"],
        {
          cwd: dir,
          env: {
            MBAKE_ENDPOINTS: `${engine.name}=${engine.endpoint}`,
            DOCKER_CONFIG: dockerConfig,
            IDENV: secrets.idEnv,
            MBAKE_E2E_ENV_SECRET: secrets.env,
            MBAKE_TRACE: "1",
            MBAKE_DEBUG: "1",
            CI: "true",
          },
        },
      );
      // The leaking target fails; the push beside it succeeds with the config's credentials.
      expect(r.code, r.stderr).toBe(1);
      const meta = JSON.parse(readFileSync(metadata, "utf8")) as Record<
        string,
        Record<string, unknown>
      >;
      expect(meta.pushed?.["mbake.state"], r.stderr).toBe("done");
      expect(meta.leak?.["mbake.state"]).toBe("failed");
      expect(r.stderr).toMatch(/mbake trace: /);
      const outputs: Record<string, string> = {
        stdout: r.stdout,
        stderr: r.stderr,
        metadata: readFileSync(metadata, "utf8"),
      };
      for (const file of filesUnder(join(dir, ".mbake")))
        outputs[file] = readFileSync(file, "utf8");
      for (const [where, text] of Object.entries(outputs))
        for (const [name, value] of Object.entries(forbidden))
          expect({ where, name, leaks: leaks(text, value) }).toEqual({ where, name, leaks: [] });
      // The step's output was shown, with the marker where each secret was.
      if (progress === "plain") {
        expect(r.stderr).toMatch(/#\d+ [\d.]+ \*\*\*\*$/m);
        expect(r.stderr).toMatch(/failing with \*\*\*\*/);
        expect(r.stderr).toMatch(/ {2}> failing with \*\*\*\*/);
      }
      if (progress === "rawjson") {
        const logs = r.stdout
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as { status?: { logs?: { data: string }[] } })
          .flatMap((e) => e.status?.logs ?? [])
          .map((l) => l.data)
          .join("");
        // IDENV, IDFILE, then f whole (both lines) and e: each value one marker.
        expect(logs).toContain("****\n****\n********\n");
        expect(logs).toContain("failing with ****");
      }
    },
  );

  it("--progress=tty never draws a value, not even the start of one still being printed", async () => {
    const id = `mbake-secrets-${Date.now().toString(36)}`;
    const raw = join(dir, "tty-raw.txt");
    const metadata = join(dir, "metadata-tty.json");
    const script = join(dir, "tty.sh");
    writeFileSync(
      script,
      `#!/bin/sh\ncd ${dir}\nunset CI\nexport NO_COLOR=1 MBAKE_TRACE=1 MBAKE_ENDPOINTS='${engine.name}=${engine.endpoint}' DOCKER_CONFIG='${dockerConfig}' MBAKE_E2E_ENV_SECRET='${secrets.env}' IDENV='${secrets.idEnv}'\n${process.execPath} ${mbakeBin} --progress=tty --metadata-file ${metadata} leak pushed\necho "EXIT=$?"\nsleep 30\n`,
    );
    execFileSync("chmod", ["+x", script]);
    // Everything the terminal was sent, from before the first frame.
    execFileSync("tmux", [
      "new-session",
      "-d",
      "-s",
      id,
      "-x",
      "70",
      "-y",
      "30",
      "sleep 1; exec sh " + script,
    ]);
    try {
      execFileSync("tmux", ["pipe-pane", "-o", "-t", id, `cat >> ${raw}`]);
      let screen = "";
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline && !/EXIT=\d/.test(screen)) {
        await new Promise((r) => setTimeout(r, 200));
        screen = execFileSync("tmux", ["capture-pane", "-p", "-t", id], { encoding: "utf8" });
      }
      expect(screen).toMatch(/EXIT=1/);
      expect(screen).toMatch(/failed/);
      const outputs = {
        screen,
        raw: readFileSync(raw, "utf8"),
        metadata: readFileSync(metadata, "utf8"),
      };
      for (const [where, text] of Object.entries(outputs))
        for (const [name, value] of Object.entries(forbidden))
          expect({ where, name, leaks: leaks(text, value) }).toEqual({ where, name, leaks: [] });
      expect(outputs.raw).toContain("****");
    } finally {
      execFileSync("tmux", ["kill-session", "-t", id]);
    }
  });
});
