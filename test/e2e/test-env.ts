/** What the e2e tests build on: the engines and registries that scripts/test-env started. */
import { inject } from "vitest";

export interface TestEngine {
  readonly name: string;
  /** e.g. unix:///.../.test-env/engine-a/docker.sock */
  readonly endpoint: string;
  readonly socketPath: string;
}

export interface TestEnv {
  /** The two Docker Engines 20.10 (embedded BuildKit of about v0.8): the "old daemons". */
  readonly engines: readonly TestEngine[];
  /** Docker Engine 28.5 with the containerd image store (embedded BuildKit of about v0.25). */
  readonly modernEngine: TestEngine;
  /** Absolute path of the reference docker-buildx binary (0.29.1). */
  readonly buildx: string;
  /** host:port of the plain registry on 127.0.0.1 */
  readonly registry: string;
  readonly privateRegistry: {
    readonly address: string;
    readonly username: string;
    readonly password: string;
  };
  /** A multi-arch (linux/amd64, linux/arm64) busybox image in the registry. */
  readonly baseImage: string;
}

export function testEnv(): TestEnv {
  const raw = inject("mbakeTestEnv");
  if (!raw) throw new Error("the e2e global setup did not provide the test environment");
  return JSON.parse(raw) as TestEnv;
}

/** The repository root. */
export const repoRoot = new URL("../../", import.meta.url).pathname;
