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

const targets = ["api", "web", "worker", "cli", "docs", "tools"];

describe("the live view in a 100x30 terminal", () => {
  it("never scrolls while 6 targets x 2 platforms build, and ends with the summary", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-tty-height-"));
    const id = Date.now().toString(36);
    const target = (name: string) =>
      `target "${name}" {\n  platforms = ["linux/amd64", "linux/arm64"]\n  dockerfile-inline = "FROM ${env.baseImage}\\nRUN echo ${name}-${id} && for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo ${name} log line $i; sleep 0.3; done\\n"\n  tags = ["${env.registry}/height/${name}:${id}"]\n  output = ["type=registry"]\n}`;
    writeFileSync(
      join(dir, "docker-bake.hcl"),
      [
        ...targets.map(target),
        `group "default" { targets = [${targets.map((t) => `"${t}"`).join(", ")}] }`,
      ].join("\n"),
    );
    const session = `mbake-height-${id}`;
    const endpoints = env.engines.map((e) => `${e.name}=${e.endpoint}`).join(" ");
    const script = join(dir, "run.sh");
    writeFileSync(
      script,
      `#!/bin/sh\ncd ${dir}\nunset CI\nexport NO_COLOR=1 MBAKE_ENDPOINTS="${endpoints}"\n${process.execPath} ${mbakeBin} --progress=tty\necho "EXIT=$?"\nsleep 60\n`,
    );
    execFileSync("chmod", ["+x", script]);
    tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", script);
    try {
      const deadline = Date.now() + 240_000;
      let mostRunning = 0;
      let live = 0;
      let screen = "";
      for (;;) {
        if (Date.now() > deadline) throw new Error(`the run did not end; last screen:\n${screen}`);
        // History first, then the screen: if the screen still shows the live view, the
        // history was read before the final frame, and any line that scrolled off
        // the 30 rows before then would be in it.
        const history = Number(tmux("display-message", "-p", "-t", session, "#{history_size}"));
        screen = tmux("capture-pane", "-p", "-t", session);
        if (/TARGET\s+ENDPOINT/.test(screen) || screen.includes("EXIT=")) break;
        expect(history, `the view scrolled; screen:\n${screen}`).toBe(0);
        const running = screen.split("\n").filter((l) => /^▶ \S+ linux\/(amd64|arm64) @/.test(l));
        if (running.length > 0) live++;
        mostRunning = Math.max(mostRunning, running.length);
        await new Promise((r) => setTimeout(r, 100));
      }
      // The run was seen live, with running targets on the screen.
      expect(live).toBeGreaterThan(3);
      expect(mostRunning).toBeGreaterThanOrEqual(2);
      const deadlineEnd = Date.now() + 60_000;
      while (!screen.includes("EXIT=") && Date.now() < deadlineEnd) {
        await new Promise((r) => setTimeout(r, 200));
        screen = tmux("capture-pane", "-p", "-t", session);
      }
      expect(screen).toContain("EXIT=0");
      expect(screen).toMatch(/TARGET\s+ENDPOINT\s+PLATFORMS\s+TIME\s+CACHED\s+RESULT/);
      for (const line of screen.split("\n")) expect(line.length).toBeLessThanOrEqual(100);
    } finally {
      try {
        tmux("kill-session", "-t", session);
      } catch {
        // already gone
      }
    }
  });
});
