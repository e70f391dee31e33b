import { describe, expect, it } from "vitest";
import { settledWithin } from "../../src/support/abort.js";

describe("settledWithin", () => {
  it("settles like the work when it settles in time", async () => {
    await expect(settledWithin(Promise.resolve("done"), 1000)).resolves.toBe("done");
    await expect(settledWithin(Promise.reject(new Error("broke")), 1000)).rejects.toThrow("broke");
  });

  it("gives up waiting after the time, with undefined", async () => {
    const never = new Promise<string>(() => {});
    await expect(settledWithin(never, 20)).resolves.toBeUndefined();
  });
});
