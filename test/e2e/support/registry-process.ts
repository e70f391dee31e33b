/**
 * A `docker-registry serve` for one test file, on a free port of 127.0.0.1 with a config
 * the caller writes: started, waited for until it answers, and killed by its PID on
 * stop(), when it fails to start, and when the test process exits.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface RegistryProcess {
  /** host:port */
  readonly address: string;
  readonly port: number;
  /** A folder of this registry's own (config, data, auth files). */
  readonly dir: string;
  /** The registry's output, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

function kill(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/**
 * Starts a registry. `config` gives the lines after storage and http.addr (tls, auth);
 * `ready` says from the answer to GET /v2/ whether it is up ("wrong" stops the start).
 */
export async function startRegistryProcess(opts: {
  readonly name: string;
  readonly config: (dir: string, address: string) => readonly string[];
  readonly probe: (address: string) => Promise<"up" | "wrong" | "down">;
}): Promise<RegistryProcess> {
  const dir = mkdtempSync(join(tmpdir(), `mbake-${opts.name}-`));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  writeFileSync(
    join(dir, "config.yml"),
    [
      "version: 0.1",
      "log: { level: warn }",
      `storage: { filesystem: { rootdirectory: ${join(dir, "data")} }, delete: { enabled: true } }`,
      ...opts.config(dir, address),
      "",
    ].join("\n"),
  );
  const child = spawn("docker-registry", ["serve", join(dir, "config.yml")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const onExit = () => kill(child);
  process.on("exit", onExit);
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    kill(child);
    await exited;
    process.off("exit", onExit);
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`${opts.name} (docker-registry) exited at start:\n${output}`);
      const state = await opts.probe(address).catch(() => "down" as const);
      if (state === "up") break;
      if (state === "wrong")
        throw new Error(`${opts.name} on ${address} answered GET /v2/ unexpectedly:\n${output}`);
      if (Date.now() > deadline)
        throw new Error(`${opts.name} did not answer on ${address}:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, port, dir, log: () => output, stop };
}
