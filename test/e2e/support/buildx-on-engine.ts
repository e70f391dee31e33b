/**
 * The reference buildx's `bake` run on a real Engine (its docker driver), quietly, in a
 * project folder, with a clean HOME and an empty Docker config of that folder's own.
 */
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export function buildxOnEngine(
  buildx: string,
  dir: string,
  socketPath: string,
  extraEnv: Record<string, string> = {},
): (args: string[]) => SpawnSyncReturns<string> {
  const dockerConfig = join(dir, "empty-docker-config");
  mkdirSync(dockerConfig, { recursive: true });
  return (args) =>
    spawnSync(buildx, ["bake", "--progress=quiet", ...args], {
      cwd: dir,
      encoding: "utf8",
      timeout: 120_000,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        DOCKER_CONFIG: dockerConfig,
        DOCKER_HOST: `unix://${socketPath}`,
        ...extraEnv,
      },
    });
}
