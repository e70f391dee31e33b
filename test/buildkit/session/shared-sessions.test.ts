import { describe, expect, it } from "vitest";
import type { OpenSession } from "../../../src/buildkit/session/connection.js";
import type { SyncDir } from "../../../src/buildkit/session/filesync.js";
import type { SessionService } from "../../../src/buildkit/session/service.js";
import { SharedSessionPool } from "../../../src/buildkit/session/shared-sessions.js";
import { CancelledError } from "../../../src/support/abort.js";

/** Sessions in memory: what was opened, what is closed, and a way to drop one. */
function fakeSessions() {
  const opened: {
    id: string;
    sharedKey: string;
    services: SessionService[];
    closed: boolean;
    drop: () => void;
  }[] = [];
  let gate: Promise<void> = Promise.resolve();
  let fail: Error | undefined;
  const open = async (sharedKey: string, services: SessionService[]): Promise<OpenSession> => {
    await gate;
    if (fail) throw fail;
    const listeners: (() => void)[] = [];
    const s = {
      id: `s${opened.length + 1}`,
      sharedKey,
      services,
      closed: false,
      drop: () => {
        for (const l of listeners.splice(0)) l();
      },
    };
    opened.push(s);
    return {
      id: s.id,
      onDropped: (l) => listeners.push(l),
      close: () => {
        s.closed = true;
      },
    };
  };
  return {
    opened,
    open,
    hold() {
      let release = () => {};
      gate = new Promise((r) => {
        release = r;
      });
      return release;
    },
    failWith(err: Error | undefined) {
      fail = err;
    },
  };
}

const dirs: Record<string, SyncDir> = {
  context: { kind: "fs", path: "/ctx" },
  dockerfile: { kind: "memory", files: { Dockerfile: { data: Buffer.from("FROM a") } } },
};
const live = () => new AbortController().signal;
const ignore = () => {};

describe("the shared sessions of one endpoint", () => {
  it("concurrent solves with the same folders get one session, named for each folder, serving FileSync only", async () => {
    const fake = fakeSessions();
    const pool = new SharedSessionPool(fake.open);
    const [a, b] = await Promise.all([
      pool.acquire("key", dirs, live(), ignore),
      pool.acquire("key", dirs, live(), ignore),
    ]);
    expect(fake.opened).toHaveLength(1);
    expect(fake.opened[0]!.sharedKey).toBe("key");
    expect(fake.opened[0]!.services.map((s) => s.name)).toEqual(["moby.filesync.v1.FileSync"]);
    expect(a.attrs).toEqual({
      "local-sessionid:context": "s1",
      "local-sessionid:dockerfile": "s1",
    });
    expect(b.attrs).toEqual(a.attrs);
  });

  it("closes a session when the last solve using it is done, and opens a new one after", async () => {
    const fake = fakeSessions();
    const pool = new SharedSessionPool(fake.open);
    const a = await pool.acquire("key", dirs, live(), ignore);
    const b = await pool.acquire("key", dirs, live(), ignore);
    a.release();
    a.release();
    await Promise.resolve();
    expect(fake.opened[0]!.closed).toBe(false);
    b.release();
    await Promise.resolve();
    expect(fake.opened[0]!.closed).toBe(true);
    const c = await pool.acquire("key", dirs, live(), ignore);
    expect(c.attrs["local-sessionid:context"]).toBe("s2");
  });

  it("a dropped session tells every solve using it, and later solves get a new one", async () => {
    const fake = fakeSessions();
    const pool = new SharedSessionPool(fake.open);
    const a = await pool.acquire("key", dirs, live(), ignore);
    const b = await pool.acquire("key", dirs, live(), ignore);
    const told: string[] = [];
    a.onDropped(() => told.push("a"));
    b.onDropped(() => told.push("b"));
    fake.opened[0]!.drop();
    expect(told).toEqual(["a", "b"]);
    // A listener attached after the drop hears it at once.
    a.onDropped(() => told.push("a again"));
    expect(told).toContain("a again");
    const c = await pool.acquire("key", dirs, live(), ignore);
    expect(c.attrs["local-sessionid:context"]).toBe("s2");
    a.release();
    b.release();
    await Promise.resolve();
    expect(fake.opened[1]!.closed).toBe(false);
  });

  it("a solve cancelled while the session opens gets CancelledError; the session closes once opened", async () => {
    const fake = fakeSessions();
    const pool = new SharedSessionPool(fake.open);
    const letGo = fake.hold();
    const ac = new AbortController();
    const waiting = pool.acquire("key", dirs, ac.signal, ignore);
    ac.abort();
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    letGo();
    await new Promise((r) => setTimeout(r, 0));
    expect(fake.opened).toHaveLength(1);
    expect(fake.opened[0]!.closed).toBe(true);
  });

  it("a session that cannot open fails every solve waiting for it; the next one tries again", async () => {
    const fake = fakeSessions();
    const pool = new SharedSessionPool(fake.open);
    fake.failWith(new Error("hijack refused"));
    const both = [
      pool.acquire("key", dirs, live(), ignore),
      pool.acquire("key", dirs, live(), ignore),
    ];
    for (const p of both) await expect(p).rejects.toThrow("hijack refused");
    fake.failWith(undefined);
    const c = await pool.acquire("key", dirs, live(), ignore);
    expect(c.attrs["local-sessionid:context"]).toBe("s1");
  });

  it("closeAll closes every session still in use", async () => {
    const fake = fakeSessions();
    const pool = new SharedSessionPool(fake.open);
    await pool.acquire("one", dirs, live(), ignore);
    await pool.acquire("two", dirs, live(), ignore);
    pool.closeAll();
    await Promise.resolve();
    expect(fake.opened.map((s) => s.closed)).toEqual([true, true]);
  });
});
