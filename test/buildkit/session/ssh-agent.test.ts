/**
 * mbake's agent for key files, checked with OpenSSH's own tools: `ssh-add -l` lists
 * its keys, `ssh-keygen -Y sign` signs through it, `ssh-keygen -Y verify` accepts.
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { prepareSshAgents } from "../../../src/buildkit/session/ssh.js";
import { type KeyAgent, startKeyAgent } from "../../../src/buildkit/session/ssh-agent.js";
import { readSshKey, SshKeyError } from "../../../src/buildkit/session/ssh-keys.js";

// The agent runs in this process: tools that talk to it must not block the event loop.
const run = promisify(execFile);

const dir = mkdtempSync(join(tmpdir(), "mbake-sshkeys-"));
const agents: KeyAgent[] = [];
afterAll(async () => {
  for (const a of agents) await a.close();
});

function keygen(name: string, args: string[]): string {
  const file = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-N", "", "-C", `${name}@mbake-test`, "-f", file, ...args]);
  return file;
}

const fingerprint = (pub: string) =>
  execFileSync("ssh-keygen", ["-l", "-f", pub], { encoding: "utf8" }).split(" ")[1];

const kinds: [string, string[]][] = [
  ["ed25519", ["-t", "ed25519"]],
  ["rsa", ["-t", "rsa", "-b", "2048"]],
  ["ecdsa", ["-t", "ecdsa", "-b", "256"]],
  ["ecdsa384", ["-t", "ecdsa", "-b", "384"]],
  ["rsa-pem", ["-t", "rsa", "-b", "2048", "-m", "PEM"]],
];

describe("the SSH agent for key files", () => {
  it.each(kinds)("lists and signs with a %s key as OpenSSH expects", async (name, args) => {
    const key = keygen(name, args);
    const agent = await startKeyAgent([readSshKey(key)]);
    agents.push(agent);
    const env = { ...process.env, SSH_AUTH_SOCK: agent.socketPath };
    const listed = (await run("ssh-add", ["-l"], { env })).stdout;
    expect(listed).toContain(fingerprint(`${key}.pub`));
    const message = join(dir, `${name}.msg`);
    writeFileSync(message, `signed by ${name}\n`);
    // With only the public key given, ssh-keygen asks the agent to sign.
    const signed = await run(
      "ssh-keygen",
      ["-Y", "sign", "-f", `${key}.pub`, "-n", "file", message],
      {
        env,
      },
    );
    expect(signed.stderr).not.toMatch(/error|failed/i);
    const pub = readFileSync(`${key}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
    writeFileSync(join(dir, "allowed"), `signer@test ${pub}\n`);
    const verified = spawnSync(
      "ssh-keygen",
      [
        "-Y",
        "verify",
        "-f",
        join(dir, "allowed"),
        "-I",
        "signer@test",
        "-n",
        "file",
        "-s",
        `${message}.sig`,
      ],
      { input: readFileSync(message), encoding: "utf8" },
    );
    expect(verified.stdout + verified.stderr).toMatch(/Good "file" signature for signer@test/);
  });

  it("refuses passphrase-protected keys with a way forward", () => {
    const file = join(dir, "locked");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "secret-pass", "-f", file]);
    expect(() => readSshKey(file)).toThrowError(SshKeyError);
    expect(() => readSshKey(file)).toThrowError(/passphrase; load it into ssh-agent \(ssh-add\)/);
  });

  it("starts an agent per id for key files, and names the id when a path is wrong", async () => {
    const key = keygen("deploy", ["-t", "ed25519"]);
    const prepared = await prepareSshAgents([{ id: "deploy", paths: [key] }], {});
    try {
      const sock = prepared.sockets.get("deploy")!;
      const listed = (
        await run("ssh-add", ["-L"], { env: { ...process.env, SSH_AUTH_SOCK: sock } })
      ).stdout;
      expect(listed).toContain("deploy@mbake-test");
    } finally {
      await prepared.close();
    }
    await expect(
      prepareSshAgents([{ id: "x", paths: [join(dir, "nope")] }], {}),
    ).rejects.toThrowError(/ssh "x": .*nope does not exist/);
    await expect(prepareSshAgents([{ id: "default" }], {})).rejects.toThrowError(/SSH_AUTH_SOCK/);
  });
});
