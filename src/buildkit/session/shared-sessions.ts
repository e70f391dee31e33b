/**
 * The sessions that serve local folders to all the solves of one endpoint at once, as
 * buildx shares them between the targets of a bake: a folder that several concurrent
 * solves read is synced once. These sessions serve FileSync only; what belongs to one
 * target (secrets, ssh, outputs, registry auth) stays in that target's own session.
 * A session closes when the last solve using it is done, or when the pool closes.
 */
import { untilAborted } from "../../support/abort.js";
import type { OpenSession } from "./connection.js";
import { fileSyncService, type SyncDir } from "./filesync.js";
import type { SessionService } from "./service.js";
import { dirKey, SharedDirLedger } from "./shared-dirs.js";

/** Opens a session serving these services under this shared key. */
export type SessionOpener = (sharedKey: string, services: SessionService[]) => Promise<OpenSession>;

/** One solve's use of the shared sessions. */
export interface SharedLease {
  /** The frontend attributes that name the sessions: `local-sessionid:NAME`. */
  readonly attrs: Readonly<Record<string, string>>;
  /** Calls `listener` once if a session this solve uses drops before release(). */
  onDropped(listener: () => void): void;
  release(): void;
}

interface Users {
  readonly onError: (err: Error) => void;
  readonly onDropped: (() => void)[];
}

interface PooledSession {
  /** What the session serves; a later solve may add a name. */
  readonly dirs: Record<string, SyncDir>;
  readonly opening: Promise<OpenSession>;
  readonly users: Set<Users>;
  gone: boolean;
}

export class SharedSessionPool {
  private readonly ledger = new SharedDirLedger();
  private readonly sessions = new Map<number, PooledSession>();

  constructor(private readonly open: SessionOpener) {}

  /**
   * The sessions for these folders, opened or shared. An abort while they open releases
   * them and rejects (CancelledError); a session that cannot open rejects with its error.
   */
  async acquire(
    sharedKey: string,
    dirs: Readonly<Record<string, SyncDir>>,
    signal: AbortSignal,
    onError: (err: Error) => void,
  ): Promise<SharedLease> {
    const keys = new Map(Object.entries(dirs).map(([name, dir]) => [name, dirKey(dir)]));
    const placement = this.ledger.acquire(sharedKey, keys);
    for (const id of placement.opened) this.start(id, sharedKey);
    const users: Users = { onError, onDropped: [] };
    const used = [...new Set(placement.slots.values())];
    for (const [name, id] of placement.slots) this.sessions.get(id)!.dirs[name] = dirs[name]!;
    for (const id of used) this.sessions.get(id)!.users.add(users);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const id of used) this.sessions.get(id)?.users.delete(users);
      for (const id of this.ledger.release(used)) this.close(id);
    };
    try {
      const open = await untilAborted(
        Promise.all(used.map((id) => this.sessions.get(id)!.opening)),
        signal,
      );
      const ids = new Map(used.map((id, i) => [id, open[i]!.id]));
      const attrs = Object.fromEntries(
        [...placement.slots].map(([name, id]) => [`local-sessionid:${name}`, ids.get(id)!]),
      );
      return {
        attrs,
        onDropped: (listener) => {
          if (used.some((id) => this.sessions.get(id)?.gone !== false)) listener();
          else users.onDropped.push(listener);
        },
        release,
      };
    } catch (err) {
      release();
      throw err;
    }
  }

  /** Closes every session (the client is closing). */
  closeAll(): void {
    for (const id of [...this.sessions.keys()]) {
      this.ledger.drop(id);
      this.close(id);
    }
  }

  private start(id: number, sharedKey: string): void {
    const dirs: Record<string, SyncDir> = {};
    const users = new Set<Users>();
    const onError = (err: Error) => {
      for (const u of users) u.onError(err);
    };
    const opening = this.open(sharedKey, [fileSyncService(dirs, onError)]);
    const pooled: PooledSession = { dirs, opening, users, gone: false };
    this.sessions.set(id, pooled);
    opening.then(
      (session) =>
        session.onDropped(() => {
          pooled.gone = true;
          this.ledger.drop(id);
          if (this.sessions.get(id) === pooled) this.sessions.delete(id);
          for (const u of users) for (const l of u.onDropped.splice(0)) l();
        }),
      () => {
        // Every solve waiting for it sees the error; later ones open a new session.
        pooled.gone = true;
        this.ledger.drop(id);
        if (this.sessions.get(id) === pooled) this.sessions.delete(id);
      },
    );
  }

  private close(id: number): void {
    const pooled = this.sessions.get(id);
    if (!pooled) return;
    this.sessions.delete(id);
    pooled.gone = true;
    pooled.opening.then(
      (s) => s.close(),
      () => {},
    );
  }
}
