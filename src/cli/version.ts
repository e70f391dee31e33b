import { readFileSync } from "node:fs";

/** The version from package.json (one level above dist/ or src/). */
export function mbakeVersion(): string {
  const url = new URL("../../package.json", import.meta.url);
  const pkg = JSON.parse(readFileSync(url, "utf8")) as { version?: string };
  return pkg.version ?? "unknown";
}
