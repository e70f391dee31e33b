import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/progress/events.js";
import { createMasker } from "../../src/progress/mask.js";
import {
  createPlainRenderer,
  createQuietRenderer,
  createRawJsonRenderer,
  statusText,
} from "../../src/progress/plain.js";
import { chooseProgressMode } from "../../src/progress/renderer.js";
import type { VertexProgress } from "../../src/progress/status.js";
import { buildWarningLines } from "../../src/progress/summary.js";
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

describe("the builds' own warnings (Dockerfile checks)", () => {
  const warning = {
    vertex: "sha256:def",
    level: 1,
    short:
      "InvalidDefaultArgInFrom: Default value for ARG $BASE_IMAGE results in empty or invalid base image name (line 2)",
    detail: [],
    url: "https://docs.docker.com/go/dockerfile/rule/invalid-default-arg-in-from/",
    file: "Dockerfile",
    range: [{ startLine: 2, endLine: 2 }],
  };
  const events = (targets: string[]): RunEvent[] =>
    targets.flatMap((target, i): RunEvent[] => {
      const job = { target, platforms: [] };
      const status = {
        vertexes: [
          {
            digest: "sha256:def",
            inputs: [],
            name: "[internal] load build definition from Dockerfile",
            cached: false,
            error: "",
            started: new Date(1000),
            completed: new Date(1100),
          },
        ],
        statuses: [],
        logs: [],
        // The frontend says it twice (once per pass): told once.
        warnings: [warning, warning],
      };
      return [
        { type: "job-started", time: i, job, endpoint: "e", attempt: 1 },
        { type: "job-status", time: i, job, endpoint: "e", status },
        { type: "job-done", time: i + 1, job, endpoint: "e", result: { exporterResponse: {} } },
      ];
    });

  it("are printed under their step as buildx does, and listed once at the end with their targets", async () => {
    let out = "";
    const r = createPlainRenderer(
      (t) => {
        out += t;
      },
      { showEndpoint: false },
    );
    for (const e of events(["t0", "t1", "t2", "t3", "t4", "t5", "t6"])) r.onEvent(e);
    await r.finish();
    expect(out).toMatch(
      /^#1 WARN: InvalidDefaultArgInFrom: Default value for ARG \$BASE_IMAGE results in empty or invalid base image name \(line 2\)$/m,
    );
    expect(out).toContain(
      "\n1 warning found:\n - Dockerfile:2: InvalidDefaultArgInFrom: Default value for ARG $BASE_IMAGE results in empty or invalid base image name (t0, t1, t2, t3, t4 and 2 more)\n",
    );
    expect(out.match(/WARN:/g)?.length).toBe(14);
  });

  it("are not printed by quiet progress (as buildx), and not at all when there are none", async () => {
    let quiet = "";
    const q = createQuietRenderer((t) => {
      quiet += t;
    });
    for (const e of events(["t0"])) q.onEvent(e);
    await q.finish();
    expect(quiet).toBe("t0\n");
    const none = buildWarningLines({ jobs: [], endpoints: {}, warnings: [] });
    expect(none).toEqual([]);
  });
});

describe("sub-progress of a step (context transfers, resolves)", () => {
  const at = (s: number) => new Date(1_000_000 + s * 1000);
  const transfer = (current: number, s: number, done = false) => ({
    id: "transferring context:",
    vertex: "sha256:ctx",
    name: "",
    current,
    total: 0,
    started: at(0),
    timestamp: at(s),
    ...(done ? { completed: at(s) } : {}),
  });

  it("reads as buildx's: the amount, the time while it runs or when it was long, done", () => {
    expect(statusText(transfer(39, 0.01, true))).toBe("transferring context: 39B done");
    expect(statusText(transfer(52_433_642, 4.1))).toBe("transferring context: 52.4MB 4.1s");
    expect(statusText(transfer(300_000_000, 2.7, true))).toBe(
      "transferring context: 300MB 2.7s done",
    );
    expect(
      statusText({ ...transfer(0, 0.02, true), id: "resolve docker.io/library/alpine:3" }),
    ).toBe("resolve docker.io/library/alpine:3 0.0s done");
    expect(statusText({ ...transfer(1500, 1), total: 3000 })).toBe(
      "transferring context: 1.50kB / 3.00kB 1.0s",
    );
  });

  it("tells a long transfer every 2 s of the daemon's time (a short one only when it ends), and once when it ends", async () => {
    let out = "";
    const r = createPlainRenderer(
      (t) => {
        out += t;
      },
      { showEndpoint: false },
    );
    const job = { target: "app", platforms: [] };
    const status = (st: ReturnType<typeof transfer>) => ({
      type: "job-status" as const,
      time: 0,
      job,
      endpoint: "e",
      status: { vertexes: [], statuses: [st], logs: [], warnings: [] },
    });
    for (let s = 0; s <= 5; s += 0.25) r.onEvent(status(transfer(Math.round(s * 1e7), s)));
    r.onEvent(status(transfer(60_000_000, 5.5, true)));
    r.onEvent(status(transfer(60_000_000, 5.5, true)));
    expect(out.trim().split("\n")).toEqual([
      "#1 transferring context: 20.0MB 2.0s",
      "#1 transferring context: 40.0MB 4.0s",
      "#1 transferring context: 60.0MB 5.5s done",
    ]);
  });
});

describe("steps told in one status message", () => {
  it("each step's name, then its log, then how it ended, step by step as buildx prints them", async () => {
    let out = "";
    const r = createPlainRenderer(
      (t) => {
        out += t;
      },
      { showEndpoint: false },
    );
    const step = (digest: string, name: string) => ({
      digest,
      inputs: [],
      name,
      cached: false,
      error: "",
      started: new Date(1000),
      completed: new Date(1500),
    });
    r.onEvent({
      type: "job-status",
      time: 0,
      job: { target: "app", platforms: [] },
      endpoint: "e",
      status: {
        vertexes: [step("sha256:a", "[1/2] RUN make"), step("sha256:b", "[2/2] RUN test")],
        statuses: [],
        logs: [
          { vertex: "sha256:b", stream: 1, data: Buffer.from("ok\n"), timestamp: new Date(1200) },
          {
            vertex: "sha256:a",
            stream: 1,
            data: Buffer.from("built\n"),
            timestamp: new Date(1100),
          },
        ],
        warnings: [],
      },
    });
    expect(out.trim().split("\n")).toEqual([
      "#1 [app] [1/2] RUN make",
      "#1 0.100 built",
      "#1 DONE 0.5s",
      "#2 [app] [2/2] RUN test",
      "#2 0.200 ok",
      "#2 DONE 0.5s",
    ]);
  });
});

describe("a step BuildKit starts again after it ended", () => {
  const job = { target: "app", platforms: [] };
  const copy = (startedMs: number, completedMs: number, cached = false) => ({
    digest: "sha256:copy",
    inputs: [],
    name: "[2/2] COPY --from=build /made /",
    cached,
    error: "",
    started: new Date(startedMs),
    completed: new Date(completedMs),
  });
  const message = (vertexes: ReturnType<typeof copy>[], statuses: VertexProgress[] = []) => ({
    type: "job-status" as const,
    time: 0,
    job,
    endpoint: "e",
    status: { vertexes, statuses, logs: [], warnings: [] },
  });

  it("is told again only when it has something to tell (a layer pulled), then how it ended", async () => {
    let out = "";
    const r = createPlainRenderer(
      (t) => {
        out += t;
      },
      { showEndpoint: false },
    );
    r.onEvent(message([copy(1000, 1000, true)]));
    // Started again with nothing to tell: nothing more is said.
    r.onEvent(message([copy(2000, 2000)]));
    // Started again, pulling its cached layer.
    r.onEvent(
      message(
        [copy(3000, 3400)],
        [
          {
            id: "extracting sha256:6bf9",
            vertex: "sha256:copy",
            name: "",
            current: 0,
            total: 0,
            started: new Date(3000),
            completed: new Date(3400),
          },
        ],
      ),
    );
    expect(out.trim().split("\n")).toEqual([
      "#1 [app] [2/2] COPY --from=build /made /",
      "#1 CACHED",
      "#1 [app] [2/2] COPY --from=build /made /",
      "#1 extracting sha256:6bf9 0.4s done",
      "#1 DONE 0.4s",
    ]);
  });
});
