/** Which bake files to read when none is given: build.hcl first, then buildx's default names. */
import { join } from "node:path";

/** buildx's default files in order (later ones override earlier), after mbake's own build.hcl. */
export function defaultBakeFileNames(): string[] {
  return [
    "build.hcl",
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
    "docker-bake.json",
    "docker-bake.hcl",
    "docker-bake.override.json",
    "docker-bake.override.hcl",
  ];
}

/** The default files that exist in `cwd`, in reading order. */
export function findDefaultBakeFiles(cwd: string, exists: (path: string) => boolean): string[] {
  return defaultBakeFileNames().filter((name) => exists(join(cwd, name)));
}

/** Files named by BUILDX_BAKE_FILE (separated by BUILDX_BAKE_PATH_SEPARATOR, default ":"). */
export function bakeFilesFromEnv(env: Readonly<Record<string, string | undefined>>): string[] {
  const value = env.BUILDX_BAKE_FILE;
  if (!value) return [];
  return value.split(env.BUILDX_BAKE_PATH_SEPARATOR || ":").filter(Boolean);
}
