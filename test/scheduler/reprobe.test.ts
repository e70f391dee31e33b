import { describe, expect, it } from "vitest";
import {
  probeAnswered,
  probeDue,
  probeFailed,
  probeStarted,
  reprobeDelayMs,
  up,
  wentDown,
} from "../../src/scheduler/reprobe.js";

describe("re-probing a down endpoint", () => {
  it("waits 1 s, then twice as long after each failed probe, never more than 15 s", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40, 5000].map((n) => reprobeDelayMs(n))).toEqual([
      1000, 2000, 4000, 8000, 15_000, 15_000, 15_000, 15_000, 15_000,
    ]);
    expect(reprobeDelayMs(2, { firstDelayMs: 10, maxDelayMs: 25 })).toBe(25);
  });

  it("probes a down endpoint once its wait is over, and counts failed probes", () => {
    const down = wentDown(up, 100);
    expect(probeDue(down, 1099)).toBe(false);
    expect(probeDue(down, 1100)).toBe(true);
    const probing = probeStarted(down);
    expect(probing).toEqual({ state: "probing", failures: 0 });
    // One probe at a time: a probing endpoint is not due again.
    expect(probeDue(probing, 10_000)).toBe(false);
    const failed = probeFailed(probing, 2000);
    expect(failed).toEqual({ state: "down", failures: 1, probeAt: 4000 });
    const again = probeFailed(probeStarted(failed), 4000);
    expect(again).toEqual({ state: "down", failures: 2, probeAt: 8000 });
  });

  it("is up again when a probe answers, and starts its count over when it goes down later", () => {
    const back = probeAnswered(probeStarted(probeFailed(probeStarted(wentDown(up, 0)), 1000)));
    expect(back).toEqual({ state: "up" });
    expect(wentDown(back, 50_000)).toEqual({ state: "down", failures: 0, probeAt: 51_000 });
  });

  it("ignores transitions that do not apply to the endpoint's state", () => {
    const down = wentDown(up, 0);
    expect(wentDown(down, 500)).toBe(down);
    expect(probeFailed(down, 500)).toBe(down);
    expect(probeAnswered(down)).toBe(down);
    expect(probeStarted(up)).toBe(up);
    expect(probeDue(up, 1e9)).toBe(false);
  });
});
