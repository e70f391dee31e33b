/**
 * The reference buildx's `bake` run on a real Engine (its docker driver), quietly, in a
 * project folder, with a clean HOME and an empty Docker config of that folder's own.
 */
import { execFile, type SpawnSyncReturns, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

function buildxEnv(
  dir: string,
  socketPath: string,
  extraEnv: Record<string, string>,
): NodeJS.ProcessEnv {
  const dockerConfig = join(dir, "empty-docker-config");
  mkdirSync(dockerConfig, { recursive: true });
  return {
    PATH: process.env.PATH,
    HOME: dir,
    DOCKER_CONFIG: dockerConfig,
    DOCKER_HOST: `unix://${socketPath}`,
    ...extraEnv,
  };
}

export function buildxOnEngine(
  buildx: string,
  dir: string,
  socketPath: string,
  extraEnv: Record<string, string> = {},
): (args: string[]) => SpawnSyncReturns<string> {
  const env = buildxEnv(dir, socketPath, extraEnv);
  return (args) =>
    spawnSync(buildx, ["bake", "--progress=quiet", ...args], {
      cwd: dir,
      encoding: "utf8",
      timeout: 120_000,
      env,
    });
}

/**
 * The same, leaving this process free meanwhile (for a test that serves something buildx's
 * daemon uses, such as a registry front): the exit code and output.
 */
export function buildxOnEngineAsync(
  buildx: string,
  dir: string,
  socketPath: string,
  extraEnv: Record<string, string> = {},
): (args: string[]) => Promise<{ code: number; stderr: string }> {
  const env = buildxEnv(dir, socketPath, extraEnv);
  return (args) =>
    new Promise((resolve) => {
      execFile(
        buildx,
        ["bake", "--progress=quiet", ...args],
        { cwd: dir, encoding: "utf8", timeout: 120_000, env },
        (err, _stdout, stderr) => {
          const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
          resolve({ code, stderr });
        },
      );
    });
}
