/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMbake } from "../cli/run-mbake.js";
import { testEnv } from "./test-env.js";

const env = testEnv();
const endpoint = `${env.engines[0]!.name}=${env.engines[0]!.endpoint}`;

describe("secrets and ssh agents reach RUN --mount steps", () => {
  it("mounts a secret from the environment and from a file, and masks its value in the output", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-secret-"));
    writeFileSync(join(dir, "file-secret.txt"), "from-a-file-s3cr3t");
    writeFileSync(
      join(dir, "docker-bake.hcl"),
      `target "s" {\n  secret = ["id=token,env=MBAKE_TEST_TOKEN", "id=file,src=file-secret.txt"]\n  dockerfile-inline = ${JSON.stringify(
        `FROM ${env.baseImage} AS b\nRUN --mount=type=secret,id=token --mount=type=secret,id=file cat /run/secrets/token /run/secrets/file > /out.txt && cat /run/secrets/token && echo ${Date.now()}\nFROM scratch\nCOPY --from=b /out.txt /\n`,
      )}\n  output = ["type=local,dest=out"]\n}\n`,
    );
    const r = await runMbake(["--progress=plain", "s"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: endpoint, MBAKE_TEST_TOKEN: "env-t0ken-value", CI: "true" },
    });
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "out/out.txt"), "utf8")).toBe(
      "env-t0ken-valuefrom-a-file-s3cr3t",
    );
    expect(r.stderr).not.toContain("env-t0ken-value");
    expect(r.stderr).toContain("****");
  });

  it.each(["plain", "rawjson", "quiet"])(
    "masks a secret given by id alone (from the environment, or a file named by the id) in --progress=%s",
    async (progress) => {
      const dir = mkdtempSync(join(tmpdir(), "mbake-secret-id-"));
      writeFileSync(join(dir, "FILETOK"), "file-by-id-s3cr3t\n");
      writeFileSync(
        join(dir, "docker-bake.hcl"),
        `target "s" {\n  secret = ["id=TOK", "id=FILETOK"]\n  dockerfile-inline = ${JSON.stringify(
          `FROM ${env.baseImage}\nRUN --mount=type=secret,id=TOK --mount=type=secret,id=FILETOK cat /run/secrets/TOK /run/secrets/FILETOK && echo ${Date.now()}-${progress}\n`,
        )}\n}\n`,
      );
      const r = await runMbake([`--progress=${progress}`, "s"], {
        cwd: dir,
        env: { MBAKE_ENDPOINTS: endpoint, TOK: "id-only-t0ken-value", CI: "true" },
      });
      expect(r.code, r.stderr).toBe(0);
      const all = r.stdout + r.stderr;
      expect(all).not.toContain("id-only-t0ken-value");
      expect(all).not.toContain("file-by-id-s3cr3t");
      if (progress === "plain") expect(all).toContain("****");
    },
  );

  it("fails clearly when a secret's environment variable is missing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-secret-"));
    writeFileSync(
      join(dir, "docker-bake.hcl"),
      `target "s" {\n  secret = ["id=token,env=MBAKE_TEST_NOT_SET"]\n  dockerfile-inline = "FROM ${env.baseImage}\\n"\n}\n`,
    );
    const r = await runMbake(["--progress=plain", "s"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: endpoint, CI: "true" },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'secret "token": the environment variable MBAKE_TEST_NOT_SET is not set',
    );
  });

  it("forwards an SSH agent socket to RUN --mount=type=ssh", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-ssh-"));
    const sock = join(dir, "agent.sock");
    const agent = createServer((c) => c.end());
    await new Promise<void>((resolve) => agent.listen(sock, () => resolve()));
    try {
      writeFileSync(
        join(dir, "docker-bake.hcl"),
        `target "s" {\n  ssh = ["default"]\n  dockerfile-inline = ${JSON.stringify(`FROM ${env.baseImage}\nRUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo agent-ok-${Date.now()}\n`)}\n}\n`,
      );
      const r = await runMbake(["--progress=plain", "s"], {
        cwd: dir,
        env: { MBAKE_ENDPOINTS: endpoint, SSH_AUTH_SOCK: sock, CI: "true" },
      });
      expect(r.stderr).toMatch(/agent-ok-\d+/);
      expect(r.code).toBe(0);
      const missing = await runMbake(["--progress=plain", "s"], {
        cwd: dir,
        env: { MBAKE_ENDPOINTS: endpoint, SSH_AUTH_SOCK: undefined, CI: "true" },
      });
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toMatch(/SSH_AUTH_SOCK/);
    } finally {
      agent.close();
    }
  });

  it("serves a key file as an agent to RUN --mount=type=ssh,id=deploy", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-sshkey-"));
    const key = join(dir, "deploy_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    writeFileSync(
      join(dir, "docker-bake.hcl"),
      `target "k" {\n  ssh = ["deploy=${key}"]\n  dockerfile-inline = ${JSON.stringify(`FROM ${env.baseImage}\nRUN --mount=type=ssh,id=deploy test -S "$SSH_AUTH_SOCK" && echo key-agent-ok-${Date.now()}\n`)}\n}\n`,
    );
    const r = await runMbake(["--progress=plain", "k"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: endpoint, SSH_AUTH_SOCK: undefined, CI: "true" },
    });
    expect(r.stderr).toMatch(/key-agent-ok-\d+/);
    expect(r.code).toBe(0);
    writeFileSync(key, "not a key\n");
    const bad = await runMbake(["--progress=plain", "k"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: endpoint, CI: "true" },
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(`ssh "deploy": ${key} is not a private key mbake can read`);
  });

  it("adds extra-hosts to the build's /etc/hosts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-hosts-"));
    writeFileSync(
      join(dir, "docker-bake.hcl"),
      `target "h" {\n  extra-hosts = { "db.internal" = "10.9.8.7" }\n  dockerfile-inline = ${JSON.stringify(`FROM ${env.baseImage} AS b\nRUN grep db.internal /etc/hosts > /hosts.txt\nFROM scratch\nCOPY --from=b /hosts.txt /\n`)}\n  output = ["type=local,dest=out"]\n}\n`,
    );
    const r = await runMbake(["--progress=plain", "h"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: endpoint, CI: "true" },
    });
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "out", "hosts.txt"), "utf8")).toMatch(
      /^10\.9\.8\.7\s+db\.internal$/m,
    );
  });
});
