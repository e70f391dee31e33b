/** Runs the built mbake as a process (npm test builds first). */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const mbakeBin = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
/**
 * mbake as plain ES modules, without the bundle main.js runs (dist/bin/mbake.cjs): for
 * tests that look at which modules a command loads.
 */
/** The `mbake` command as installed (package.json "bin"): a shell launcher that starts Node. */
export const mbakeCommand = fileURLToPath(new URL("../../dist/bin/mbake", import.meta.url));
export const mbakeModules = fileURLToPath(new URL("../../dist/cli/entry.js", import.meta.url));

export interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runMbake(
  args: readonly string[],
  opts: {
    cwd?: string;
    env?: Record<string, string | undefined>;
    input?: string;
    timeoutMs?: number;
    /** The script to run under Node (mbakeBin unless given), or a command (mbakeCommand). */
    bin?: string;
    onStderr?: (text: string, child: ReturnType<typeof spawn>) => void;
  } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", ...opts.env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const bin = opts.bin ?? mbakeBin;
    const [command, argv] = bin.endsWith(".js") ? [process.execPath, [bin, ...args]] : [bin, args];
    const child = spawn(command, argv, {
      cwd: opts.cwd ?? repoRoot,
      env: env as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(stderr, child);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? "");
  });
}
