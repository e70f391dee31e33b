/** mbake.json, next to the first bake file or in the working folder. */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { readBoundedText, readLimits } from "../support/read-file.js";
import { type MbakeConfig, parseMbakeConfig } from "./endpoint-config.js";

export function loadConfig(cwd: string, firstFile: string | undefined): MbakeConfig | undefined {
  const dirs = [
    firstFile && firstFile !== "-" ? dirname(resolve(cwd, firstFile)) : undefined,
    cwd,
  ].filter((d): d is string => !!d);
  for (const dir of [...new Set(dirs)]) {
    const path = join(dir, "mbake.json");
    if (existsSync(path))
      return parseMbakeConfig(readBoundedText(path, readLimits.bakeFile, "config file"), path);
  }
  return undefined;
}
