import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/progress/events.js";
import { createMasker, MASKED } from "../../src/progress/mask.js";
import { initialState, reduce } from "../../src/progress/model.js";
import { createRawJsonRenderer } from "../../src/progress/plain.js";
import { createSecretTexts } from "../../src/support/secret-texts.js";
import { layoutRows } from "../../src/ui/layout.js";

const job = { target: "app", platforms: [] };
const at = new Date(1_000);

function logEvent(vertex: string, text: string, completed = false): RunEvent {
  return {
    type: "job-status",
    time: 1,
    job,
    endpoint: "engine-a",
    status: {
      vertexes: [
        {
          digest: vertex,
          inputs: [],
          name: "[2/2] RUN cat /run/secrets/tok",
          cached: false,
          started: at,
          ...(completed ? { completed: at } : {}),
          error: "",
        },
      ],
      statuses: [],
      logs: text ? [{ vertex, stream: 1, data: Buffer.from(text), timestamp: at }] : [],
      warnings: [],
    },
  };
}

describe("the masker", () => {
  it("hides a value wherever it occurs, and the longer of two values that contain each other", () => {
    const m = createMasker(["abc123", "abc123-long-tail"]);
    expect(m.mask("x abc123 y abc123-long-tail z")).toBe(`x ${MASKED} y ${MASKED} z`);
    expect(m.mask("abc123-long-tail")).not.toContain("-long-tail");
  });

  it("hides the trimmed value and each long line of a multi-line value, not its short lines", () => {
    const m = createMasker(["first-line-secret\nsecond-line-secret\nab\n"]);
    expect(m.mask("> first-line-secret")).toBe(`> ${MASKED}`);
    expect(m.mask("> second-line-secret")).toBe(`> ${MASKED}`);
    expect(m.mask("ab cd")).toBe("ab cd");
  });

  it("never hides texts shorter than 3 characters, which would garble every line", () => {
    const m = createMasker(["x", "42", "abc"]);
    expect(m.mask("x=42 abc")).toBe(`x=42 ${MASKED}`);
  });

  it("treats a value's special characters literally", () => {
    const m = createMasker(['p@ss"w\\o.rd$(x)*']);
    expect(m.mask('a p@ss"w\\o.rd$(x)* b')).toBe(`a ${MASKED} b`);
    expect(m.mask("p@ss_w_o_rd")).toBe("p@ss_w_o_rd");
  });

  it("hides values added after it was made (a token fetched mid-run)", () => {
    const set = createSecretTexts();
    const m = createMasker(set);
    expect(m.mask("Bearer tok-9f8e7d")).toBe("Bearer tok-9f8e7d");
    set.add("tok-9f8e7d");
    expect(m.mask("Bearer tok-9f8e7d")).toBe(`Bearer ${MASKED}`);
  });

  it("holds back a secret split across chunks until it can hide it", () => {
    const s = createMasker(["s3cr3t-value", "s3cr3t"]).stream();
    let out = "";
    for (const chunk of ["token: s3c", "r3t-va", "lue and s3cr", "3t end s3"]) out += s.push(chunk);
    expect(out).not.toContain("s3c");
    out += s.flush();
    expect(out).toBe(`token: ${MASKED} and ${MASKED} end s3`);
  });

  it("cuts an unfinished line where a secret might begin", () => {
    const m = createMasker(["s3cr3t-value"]);
    expect(m.maskPartial("token is s3cr3t-va")).toBe("token is ");
    expect(m.maskPartial("token is s3cr3t-value and")).toBe(`token is ${MASKED} and`);
  });
});

describe("masking in every output", () => {
  it("rawjson hides a secret split over two log chunks and one with JSON-escaped characters", async () => {
    const secret = 'tok"en\\-5e6f7a8b';
    let out = "";
    const r = createRawJsonRenderer(
      (t) => {
        out += t;
      },
      createMasker(["split-secret-0123", secret]),
    );
    r.onEvent(logEvent("sha256:v", "value: split-sec"));
    r.onEvent(logEvent("sha256:v", `ret-0123 and ${secret}\n`));
    r.onEvent(logEvent("sha256:v", "", true));
    await r.finish();
    const text = out
      .trim()
      .split("\n")
      .flatMap(
        (l) => (JSON.parse(l) as { status: { logs: { data: string }[] } }).status?.logs ?? [],
      )
      .map((l) => l.data)
      .join("");
    expect(out).not.toContain("split-sec");
    expect(out).not.toContain("5e6f7a8b");
    expect(text).toBe(`value: ${MASKED} and ${MASKED}\n`);
  });

  it("the live view masks before it clips, so no start of a secret shows at the edge", () => {
    let state = initialState();
    const secret = "edge-secret-7a7a7a7a";
    state = reduce(state, {
      type: "job-started",
      time: 1,
      job,
      endpoint: "engine-a",
      attempt: 1,
    });
    state = reduce(state, logEvent("sha256:v", `${"x".repeat(30)}${secret}\n`));
    state = reduce(state, logEvent("sha256:v", `unfinished ${secret.slice(0, 8)}`));
    const m = createMasker([secret]);
    const rows = layoutRows(state, {
      width: 44,
      now: 2_000,
      color: false,
      mask: (t, partial) => (partial ? m.maskPartial(t) : m.mask(t)),
    });
    const all = rows.map((r) => r.text).join("\n");
    expect(all).toContain("xxxx");
    expect(all).toContain("unfinished");
    expect(all).not.toContain("edge-");
    expect(all).not.toContain(secret.slice(0, 8));
  });
});
