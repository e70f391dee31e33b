/**
 * Which shared session serves each local folder of the solves running on one endpoint.
 * Pure bookkeeping: the pool (shared-sessions.ts) opens and closes the sessions.
 *
 * The daemon keys a local source by the session that serves it: when concurrent solves
 * name the same session for the same folder (the frontend's `local-sessionid:NAME`), it
 * syncs that folder once and the solves share the result. A slot is one such session; it
 * serves each name (context, dockerfile, a named context) for one folder only, and is
 * shared only between solves whose session shared key (the context folder) is the same.
 */
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import type { SyncDir } from "./filesync.js";

/** What a folder is: its absolute path, or for files made in memory their names and bytes. */
export function dirKey(dir: SyncDir): string {
  if (dir.kind === "fs") return `fs:${resolve(dir.path)}`;
  const hash = createHash("sha256");
  for (const name of Object.keys(dir.files).sort()) {
    const file = dir.files[name]!;
    hash.update(`${name}\0${file.mode ?? ""}\0${file.data.length}\0`).update(file.data);
  }
  return `memory:${hash.digest("hex")}`;
}

/** Where one solve's folders went: the slot of each name, and the slots made for it. */
export interface Placement {
  readonly slots: ReadonlyMap<string, number>;
  readonly opened: readonly number[];
}

interface Slot {
  readonly sharedKey: string;
  /** Name -> the folder's key. */
  readonly dirs: Map<string, string>;
  users: number;
}

export class SharedDirLedger {
  private nextSlot = 1;
  private readonly slots = new Map<number, Slot>();

  /**
   * Places each folder in a slot of the same shared key that serves the same folder under
   * that name, else in one where the name is free, else in a new slot; every slot used
   * counts the solve as one more user.
   */
  acquire(sharedKey: string, dirs: ReadonlyMap<string, string>): Placement {
    const placed = new Map<string, number>();
    const opened: number[] = [];
    for (const [name, key] of dirs) {
      const candidates = [...this.slots].filter(([, s]) => s.sharedKey === sharedKey);
      const same = candidates.find(([, s]) => s.dirs.get(name) === key);
      const free = same ?? candidates.find(([, s]) => !s.dirs.has(name));
      let id = free?.[0];
      if (id === undefined) {
        id = this.nextSlot++;
        this.slots.set(id, { sharedKey, dirs: new Map(), users: 0 });
        opened.push(id);
      }
      this.slots.get(id)!.dirs.set(name, key);
      placed.set(name, id);
    }
    for (const id of new Set(placed.values())) this.slots.get(id)!.users++;
    return { slots: placed, opened };
  }

  /** One solve is done with these slots; returns those nobody uses any more (now forgotten). */
  release(slots: Iterable<number>): number[] {
    const unused: number[] = [];
    for (const id of new Set(slots)) {
      const slot = this.slots.get(id);
      if (!slot) continue;
      slot.users--;
      if (slot.users <= 0) {
        this.slots.delete(id);
        unused.push(id);
      }
    }
    return unused;
  }

  /** The slot's session is gone: later solves get a new one. */
  drop(slot: number): void {
    this.slots.delete(slot);
  }

  /** Slots still in use (for closing everything at the end). */
  get size(): number {
    return this.slots.size;
  }
}
