import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  capabilityCachePath,
  daemonMark,
  readCapabilityCache,
} from "../../src/cli/capability-store.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "mbake-caps-"));
  dirs.push(d);
  return d;
}

/** A daemon listening on `path` (what a BuildKit or an Engine does when it starts). */
function listen(path: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(path, () => resolve(s));
  });
}
const close = (s: Server) => new Promise<void>((resolve) => s.close(() => resolve()));

describe("a daemon's start mark", () => {
  it("stays the same while the daemon runs and changes when it starts again", async () => {
    const path = join(tempDir(), "buildkitd.sock");
    const first = await listen(path);
    const mark = daemonMark(`unix://${path}`, {});
    expect(mark).toBeDefined();
    expect(daemonMark(`unix://${path}`, {})).toBe(mark);
    await close(first);
    // Gone: no mark, so nothing cached can be used.
    expect(daemonMark(`unix://${path}`, {})).toBeUndefined();
    const second = await listen(path);
    try {
      const again = daemonMark(`unix://${path}`, {});
      expect(again).toBeDefined();
      expect(again).not.toBe(mark);
    } finally {
      await close(second);
    }
  });

  it("is not taken from a plain file or from an endpoint without a local socket", () => {
    const path = join(tempDir(), "not-a-socket");
    writeFileSync(path, "");
    expect(daemonMark(`unix://${path}`, {})).toBeUndefined();
    expect(daemonMark("tcp://127.0.0.1:1234", {})).toBeUndefined();
  });

  it("a cache file that is too large or not a cache reads as empty", () => {
    const cwd = tempDir();
    expect(readCapabilityCache(cwd).entries).toEqual([]);
    const path = capabilityCachePath(cwd);
    mkdirSync(join(cwd, ".mbake"));
    writeFileSync(path, " ".repeat(2 * 1024 * 1024));
    expect(readCapabilityCache(cwd).entries).toEqual([]);
  });
});
