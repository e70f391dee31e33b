/**
 * A Docker Engine 20.10 of one test file's own, for tests that kill a daemon: its own
 * data and exec folders under a temp dir, its own socket, pidfile and bridge (on a free
 * 172.28.N.0/24), never the shared engines of scripts/test-env. kill() is SIGKILL by its
 * PID; start() starts it again on the same folders; remove() kills what it left running
 * (found by its temp dir in their command line), unmounts, and removes its bridge.
 * Plain JavaScript (types in private-engine.d.mts) so that bench/soak.mjs uses it too.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** @param {string} socketPath @returns {Promise<boolean>} */
function ping(socketPath) {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: "/_ping", timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/** A 172.28.N.1/24 no interface has yet. */
function freeSubnet() {
  const used = execFileSync("ip", ["-o", "-4", "addr"], { encoding: "utf8" });
  for (let n = 100 + (process.pid % 100); n < 400; n++) {
    const third = n % 250;
    if (!used.includes(`172.28.${third}.`)) return `172.28.${third}.1/24`;
  }
  throw new Error("no free 172.28.N.0/24 for a private engine's bridge");
}

/** PIDs of processes (not this one) whose command line names `dir`. */
/** @param {string} dir */
function processesUnder(dir) {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(dir)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** @param {number} pid */
function killPid(pid) {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

let engines = 0;

/**
 * @param {string} name
 * @param {{ modernFs?: string, daemonConfig?: Record<string, unknown> }} [options] modernFs: the
 *   unpacked modern Engine's root (.test-env/modern/fs): its dockerd and containerd run, with
 *   the containerd image store. daemonConfig: more of daemon.json (registry-mirrors, ...).
 */
export async function startPrivateEngine(name, options = {}) {
  const dir = mkdtempSync(join(tmpdir(), "mbake-engine-"));
  const socketPath = join(dir, "docker.sock");
  const bridge = `mbk${process.pid % 100000}-${engines++}`;
  const config = [];
  let path = process.env.PATH ?? "";
  const daemonJson = {
    ...(options.modernFs ? { features: { "containerd-snapshotter": true } } : {}),
    ...options.daemonConfig,
  };
  if (Object.keys(daemonJson).length > 0) {
    writeFileSync(join(dir, "daemon.json"), JSON.stringify(daemonJson));
    config.push("--config-file", join(dir, "daemon.json"));
  }
  if (options.modernFs)
    path = `${join(options.modernFs, "usr/bin")}:${join(options.modernFs, "usr/sbin")}:${path}`;
  execFileSync("ip", ["link", "add", bridge, "type", "bridge"]);
  execFileSync("ip", ["addr", "add", freeSubnet(), "dev", bridge]);
  execFileSync("ip", ["link", "set", bridge, "up"]);
  let output = "";
  const pid = () => {
    try {
      return Number(readFileSync(join(dir, "docker.pid"), "utf8"));
    } catch {
      return undefined;
    }
  };
  const engine = {
    name,
    endpoint: `unix://${socketPath}`,
    socketPath,
    dir,
    log: () => output,
    kill() {
      const p = pid();
      if (p) killPid(p);
    },
    async start() {
      // On a loaded machine dockerd can give up waiting for its containerd ("timeout waiting
      // for containerd to start"): what it left is stopped and it is started again.
      for (let attempt = 1; ; attempt++) {
        try {
          return await engine.startOnce();
        } catch (err) {
          if (attempt >= 3 || !/exited:/.test(String(err))) throw err;
          for (const p of processesUnder(dir)) killPid(p);
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    },
    async startOnce() {
      rmSync(socketPath, { force: true });
      rmSync(join(dir, "docker.pid"), { force: true });
      const child = spawn(
        "dockerd",
        [
          ...config,
          "--data-root",
          join(dir, "data"),
          "--exec-root",
          join(dir, "exec"),
          "-H",
          `unix://${socketPath}`,
          "--pidfile",
          join(dir, "docker.pid"),
          "--iptables=false",
          "--ip-masq=false",
          "--ip-forward=false",
          "-b",
          bridge,
        ],
        { detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PATH: path } },
      );
      child.stdout?.on("data", (d) => {
        output = (output + d.toString()).slice(-20_000);
      });
      child.stderr?.on("data", (d) => {
        output = (output + d.toString()).slice(-20_000);
      });
      child.unref();
      const deadline = Date.now() + 60_000;
      while (!(await ping(socketPath))) {
        if (child.exitCode !== null) throw new Error(`${name} (dockerd) exited:\n${output}`);
        if (Date.now() > deadline) throw new Error(`${name} did not answer:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    remove() {
      engine.kill();
      for (const p of processesUnder(dir)) killPid(p);
      const mounts = readFileSync("/proc/mounts", "utf8")
        .split("\n")
        .map((l) => l.split(" ")[1] ?? "")
        .filter((m) => m.startsWith(dir))
        .sort((a, b) => b.length - a.length);
      for (const m of mounts) {
        try {
          execFileSync("umount", ["-l", m]);
        } catch {
          // already unmounted
        }
      }
      try {
        execFileSync("ip", ["link", "delete", bridge]);
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  process.on("exit", () => engine.kill());
  try {
    await engine.start();
  } catch (err) {
    engine.remove();
    throw err;
  }
  return engine;
}
