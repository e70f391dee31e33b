import { describe, expect, it } from "vitest";
import { createMasker } from "../../src/progress/mask.js";
import {
  createPlainRenderer,
  createQuietRenderer,
  createRawJsonRenderer,
} from "../../src/progress/plain.js";
import { chooseProgressMode } from "../../src/progress/renderer.js";
import { loadRecordedRun } from "./recorded.js";

async function render(
  make: (write: (t: string) => void) => ReturnType<typeof createPlainRenderer>,
): Promise<string> {
  let out = "";
  const r = make((t) => {
    out += t;
  });
  for (const e of loadRecordedRun()) r.onEvent(e);
  await r.finish();
  return out;
}

describe("plain progress", () => {
  it("numbers steps like buildx, prefixes target and endpoint, and ends with DONE/CACHED", async () => {
    const out = await render((w) => createPlainRenderer(w, { showEndpoint: true }));
    expect(out).toMatch(/^#\d+ \[logs @(flaky|engine-b)\] \[2\/2\] RUN for i in 1 2 3/m);
    expect(out).toMatch(/^#\d+ \d+\.\d{3} line-1-/m);
    expect(out).toMatch(/^#\d+ CACHED$/m);
    expect(out).toMatch(/^#\d+ DONE \d+\.\d+s$/m);
  });

  it("names the failing target, its step and its last log lines", async () => {
    const out = await render((w) => createPlainRenderer(w, { showEndpoint: true }));
    expect(out).toMatch(
      /ERROR: \[failing @engine-b\] failed on engine-b at step: \[2\/2\] RUN echo about-to-fail-\S+ && exit 3/,
    );
    expect(out).toMatch(/ {2}> about-to-fail-/);
  });

  it("shows the retry and ends with a summary table", async () => {
    const out = await render((w) => createPlainRenderer(w, { showEndpoint: true }));
    expect(out).toMatch(/flaky went away .*retrying elsewhere \(attempt 2\)/);
    expect(out).toMatch(/^TARGET\s+ENDPOINT\s+PLATFORMS\s+TIME\s+CACHED\s+RESULT$/m);
    expect(out).toMatch(/^moved\s+engine-b \(\d+ retr(y|ies)\)\s+linux\/amd64/m);
  });

  it("masks secret values in logs, errors and the summary", async () => {
    const out = await render((w) =>
      createPlainRenderer(w, { showEndpoint: true, masker: createMasker(["about-to-fail"]) }),
    );
    expect(out).not.toContain("about-to-fail");
    expect(out).toContain("****");
  });

  it("rawjson writes one JSON object per event; quiet only failures and results", async () => {
    const raw = await render((w) => createRawJsonRenderer(w));
    const lines = raw.trim().split("\n");
    expect(lines.length).toBe(loadRecordedRun().length);
    expect(JSON.parse(lines[0]!).type).toBe("run-started");
    const quiet = await render((w) => createQuietRenderer(w));
    expect(quiet).toMatch(/^ERROR: failing: /m);
    expect(quiet).not.toMatch(/#\d+ /);
    // A --call run lists no finished targets: its answers on stdout are the result.
    const called = await render((w) => createQuietRenderer(w, undefined, { listDone: false }));
    const done = quiet.split("\n").filter((l) => l !== "" && !/^(ERROR|WARNING): /.test(l));
    expect(done.length).toBeGreaterThan(0);
    expect(called.split("\n").filter((l) => done.includes(l))).toEqual([]);
    expect(called).toMatch(/^ERROR: failing: /m);
  });

  it("chooses plain output in pipes and CI, the live view on a terminal", () => {
    expect(chooseProgressMode("auto", false, {})).toBe("plain");
    expect(chooseProgressMode("auto", true, { CI: "true" })).toBe("plain");
    expect(chooseProgressMode("auto", true, {})).toBe("tty");
    expect(chooseProgressMode("rawjson", true, {})).toBe("rawjson");
  });
});
