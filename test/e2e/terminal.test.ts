/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: bake file text */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mbakeBin } from "../cli/run-mbake.js";
import { testEnv } from "./test-env.js";

const env = testEnv();

function tmux(...args: string[]): string {
  return execFileSync("tmux", args, { encoding: "utf8" });
}

async function waitForScreen(
  session: string,
  test: (screen: string) => boolean,
  timeoutMs: number,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let screen = "";
  while (Date.now() < deadline) {
    screen = tmux("capture-pane", "-p", "-t", session);
    if (test(screen)) return screen;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`the screen never showed what was expected; last screen:\n${screen}`);
}

describe("the live view in a real terminal", () => {
  it("shows targets, a running step and the final summary at 80 columns without garbling", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-tty-"));
    const id = Date.now().toString(36);
    writeFileSync(
      join(dir, "docker-bake.hcl"),
      [
        `target "slow-target" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN echo start-${id} && sleep 3 && echo end-${id}\\n"\n}`,
        `target "quick-target" {\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN echo quick-${id}\\n"\n}`,
        'group "default" { targets = ["slow-target", "quick-target"] }',
      ].join("\n"),
    );
    const session = `mbake-${id}`;
    const endpoints = env.engines.map((e) => `${e.name}=${e.endpoint}`).join(" ");
    const script = join(dir, "run.sh");
    writeFileSync(
      script,
      `#!/bin/sh\ncd ${dir}\nunset CI\nexport NO_COLOR=1 MBAKE_ENDPOINTS="${endpoints}"\n${process.execPath} ${mbakeBin} --progress=tty\necho "EXIT=$?"\nsleep 30\n`,
    );
    execFileSync("chmod", ["+x", script]);
    tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "30", script);
    try {
      const running = await waitForScreen(
        session,
        (s) => /slow-target/.test(s) && /sleep 3/.test(s) && /running/.test(s),
        60_000,
      );
      expect(running).toMatch(/▶ slow-target @engine-[ab]\s+running/);
      expect(running).toMatch(/RUN echo start-\S+ && sleep 3/);
      expect(running).toMatch(/\d+ done, \d+ running, \d+ queued, 0 failed/);
      const end = await waitForScreen(session, (s) => s.includes("EXIT="), 90_000);
      expect(end).toContain("EXIT=0");
      expect(end).toMatch(/✔ slow-target @engine-[ab]\s+done/);
      expect(end).toMatch(/✔ quick-target @engine-[ab]\s+done/);
      expect(end).toMatch(/TARGET\s+ENDPOINT\s+PLATFORMS\s+TIME\s+CACHED\s+RESULT/);
      for (const line of end.split("\n")) {
        expect(line.length).toBeLessThanOrEqual(80);
        expect(line).not.toMatch(/\u001b|\[\d+[A-Z]/);
      }
    } finally {
      try {
        tmux("kill-session", "-t", session);
      } catch {
        // already gone
      }
    }
  });
});
