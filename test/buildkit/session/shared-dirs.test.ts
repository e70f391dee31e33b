import { describe, expect, it } from "vitest";
import { dirKey, SharedDirLedger } from "../../../src/buildkit/session/shared-dirs.js";

const names = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe("the key of a folder", () => {
  it("is its absolute path, whatever way it is written", () => {
    expect(dirKey({ kind: "fs", path: "/a/b/../c" })).toBe(dirKey({ kind: "fs", path: "/a/c" }));
    expect(dirKey({ kind: "fs", path: "/a/c" })).not.toBe(dirKey({ kind: "fs", path: "/a/d" }));
  });

  it("of files made in memory is their names and bytes", () => {
    const file = (name: string, text: string) =>
      dirKey({ kind: "memory", files: { [name]: { data: Buffer.from(text) } } });
    expect(file("Dockerfile", "FROM a")).toBe(file("Dockerfile", "FROM a"));
    expect(file("Dockerfile", "FROM a")).not.toBe(file("Dockerfile", "FROM b"));
    expect(file("Dockerfile", "FROM a")).not.toBe(file("other.Dockerfile", "FROM a"));
  });
});

describe("placing the folders of concurrent solves in shared sessions", () => {
  it("solves with the same folders share one session, opened once", () => {
    const ledger = new SharedDirLedger();
    const a = ledger.acquire("ctx", names({ context: "fs:/p", dockerfile: "memory:1" }));
    const b = ledger.acquire("ctx", names({ context: "fs:/p", dockerfile: "memory:1" }));
    expect(a.opened).toHaveLength(1);
    expect(b.opened).toEqual([]);
    expect(new Set([...a.slots.values(), ...b.slots.values()]).size).toBe(1);
  });

  it("a name already serving another folder goes to another session; the shared one stays shared", () => {
    const ledger = new SharedDirLedger();
    const a = ledger.acquire("ctx", names({ context: "fs:/p", dockerfile: "memory:1" }));
    const b = ledger.acquire("ctx", names({ context: "fs:/p", dockerfile: "memory:2" }));
    expect(b.slots.get("context")).toBe(a.slots.get("context"));
    expect(b.slots.get("dockerfile")).not.toBe(a.slots.get("dockerfile"));
    expect(b.opened).toEqual([b.slots.get("dockerfile")]);
    // A third solve with the second Dockerfile finds it where the second solve put it.
    const c = ledger.acquire("ctx", names({ dockerfile: "memory:2" }));
    expect(c.slots.get("dockerfile")).toBe(b.slots.get("dockerfile"));
    expect(c.opened).toEqual([]);
  });

  it("solves of other context folders (shared keys) never share a session", () => {
    const ledger = new SharedDirLedger();
    const a = ledger.acquire("one", names({ dockerfile: "memory:1" }));
    const b = ledger.acquire("two", names({ dockerfile: "memory:1" }));
    expect(b.opened).toHaveLength(1);
    expect(b.slots.get("dockerfile")).not.toBe(a.slots.get("dockerfile"));
  });

  it("a session is unused (to close) when the last solve using it is done, and then forgotten", () => {
    const ledger = new SharedDirLedger();
    const a = ledger.acquire("ctx", names({ context: "fs:/p" }));
    const b = ledger.acquire("ctx", names({ context: "fs:/p" }));
    const slot = a.slots.get("context")!;
    expect(ledger.release(a.slots.values())).toEqual([]);
    expect(ledger.release(b.slots.values())).toEqual([slot]);
    expect(ledger.size).toBe(0);
    const c = ledger.acquire("ctx", names({ context: "fs:/p" }));
    expect(c.opened).toHaveLength(1);
    expect(c.slots.get("context")).not.toBe(slot);
  });

  it("a solve using one session for two names counts once", () => {
    const ledger = new SharedDirLedger();
    const a = ledger.acquire("ctx", names({ context: "fs:/p", dockerfile: "memory:1" }));
    expect(ledger.release(a.slots.values())).toEqual([a.slots.get("context")]);
  });

  it("a dropped session is not handed out again, and its users' release does not close a new one", () => {
    const ledger = new SharedDirLedger();
    const a = ledger.acquire("ctx", names({ context: "fs:/p" }));
    ledger.drop(a.slots.get("context")!);
    const b = ledger.acquire("ctx", names({ context: "fs:/p" }));
    expect(b.opened).toHaveLength(1);
    expect(ledger.release(a.slots.values())).toEqual([]);
    expect(ledger.release(b.slots.values())).toEqual([b.slots.get("context")]);
  });
});
