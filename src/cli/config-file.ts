/** mbake.json, next to the first bake file or in the working folder. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { type MbakeConfig, parseMbakeConfig } from "./endpoint-config.js";

export function loadConfig(cwd: string, firstFile: string | undefined): MbakeConfig | undefined {
  const dirs = [
    firstFile && firstFile !== "-" ? dirname(resolve(cwd, firstFile)) : undefined,
    cwd,
  ].filter((d): d is string => !!d);
  for (const dir of [...new Set(dirs)]) {
    const path = join(dir, "mbake.json");
    if (existsSync(path)) return parseMbakeConfig(readFileSync(path, "utf8"), path);
  }
  return undefined;
}
