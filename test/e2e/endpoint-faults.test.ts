/**
 * An endpoint that accepts connections but never answers costs bounded time: it is left out
 * with a warning that names it, and the build runs on the endpoint that answers.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMbake } from "../cli/run-mbake.js";
import { testEnv } from "./test-env.js";

const env = testEnv();
const engine = env.engines[0]!;

describe("an endpoint that never answers", () => {
  it("is left out after a bounded wait and the job builds on the other endpoint", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-blackhole-"));
    const sock = join(dir, "blackhole.sock");
    const held: Socket[] = [];
    const hole = createServer((c) => {
      held.push(c); // accept, read nothing, answer nothing
    });
    await new Promise<void>((resolve) => hole.listen(sock, resolve));
    try {
      writeFileSync(
        join(dir, "docker-bake.hcl"),
        `target "t" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN echo ${Date.now()} > /x\\n"\n  output = ["type=local,dest=out"]\n}\n`,
      );
      const r = await runMbake(["--progress=plain", "--metadata-file", "meta.json", "t"], {
        cwd: dir,
        env: {
          MBAKE_ENDPOINTS: `hole=unix://${sock} ${engine.name}=${engine.endpoint}`,
          CI: "true",
        },
        timeoutMs: 90_000,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /WARNING: endpoint hole \(unix:\/\/.*blackhole\.sock\) is not reachable and is left out/,
      );
      const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as Record<
        string,
        Record<string, string>
      >;
      expect(meta.t?.["mbake.endpoint"]).toBe(engine.name);
      expect(readFileSync(join(dir, "out", "x"), "utf8")).toMatch(/^\d+\n$/);
    } finally {
      for (const c of held) c.destroy();
      hole.close();
    }
  });
});
