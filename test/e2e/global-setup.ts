/**
 * Brings the real test environment up before e2e tests (scripts/test-env up, which is
 * idempotent) and hands its description to the tests. There is no skipping: if the
 * environment cannot start, the run fails, in CI and locally alike.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export default function setup(project: TestProject): () => void {
  const up = spawnSync(join(root, "scripts", "test-env"), ["up"], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (up.status !== 0) {
    throw new Error(
      `scripts/test-env up failed (exit ${up.status ?? up.signal}): the e2e tests need three Docker Engines (two 20.10, one 28.5) and two registries; see the messages above`,
    );
  }
  const env = readFileSync(join(root, ".test-env", "env.json"), "utf8");
  project.provide("mbakeTestEnv", env);
  return () => {
    if (process.env.MBAKE_TEST_ENV_DOWN === "1") {
      spawnSync(join(root, "scripts", "test-env"), ["down"], { stdio: "inherit" });
    }
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    mbakeTestEnv: string;
  }
}
