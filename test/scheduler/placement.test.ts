import { describe, expect, it } from "vitest";
import { type EndpointLoad, pickEndpoint } from "../../src/scheduler/placement.js";

const load = (name: string, queued: number, slots: number, native = false): EndpointLoad => ({
  name,
  native,
  queued,
  slots,
});

describe("placement", () => {
  it("takes the first endpoint in preference order with a free slot", () => {
    expect(pickEndpoint([load("a", 2, 2), load("b", 1, 2), load("c", 0, 2)])).toBe("b");
  });

  it("prefers a native endpoint, even a busy one, over an idle emulating one", () => {
    expect(pickEndpoint([load("emulating", 0, 4), load("native", 3, 1, true)])).toBe("native");
  });

  it("emulates only when no native endpoint is left", () => {
    expect(pickEndpoint([load("a", 1, 1), load("b", 0, 1)])).toBe("b");
  });

  it("queues where the fewest jobs wait per slot when all are busy, the first on ties", () => {
    expect(pickEndpoint([load("a", 4, 2), load("b", 3, 1), load("c", 6, 4)])).toBe("c");
    expect(pickEndpoint([load("a", 2, 1), load("b", 4, 2)])).toBe("a");
  });

  it("has no answer when no endpoint may take the job", () => {
    expect(pickEndpoint([])).toBeUndefined();
  });
});
