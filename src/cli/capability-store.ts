/**
 * The capability cache on disk (.mbake/capabilities.json in the working folder) and the
 * mark of a daemon's start it is keyed on: the identity (device, inode, change time) of
 * the daemon's unix socket, which a daemon that restarts creates anew. Endpoints reached
 * another way (tcp, ssh, a container) have no such mark and are asked on every run.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { writeAtomically } from "../build/files.js";
import {
  type CapabilityCache,
  emptyCapabilityCache,
  parseCapabilityCache,
  serializeCapabilityCache,
} from "../buildkit/capability-cache.js";
import { parseAddress } from "../buildkit/transport/address.js";
import { readBoundedText } from "../support/read-file.js";

/** The file is small: a few endpoints' answers. A larger one is not ours and is ignored. */
const cacheFileLimit = 1024 * 1024;

export function capabilityCachePath(cwd: string): string {
  return join(cwd, ".mbake", "capabilities.json");
}

/** The mark of the daemon at `address` now, or undefined when it has none (or is not there). */
export function daemonMark(
  address: string,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  let socket: string;
  try {
    const a = parseAddress(address, env);
    if (a.kind === "unix") socket = a.path;
    else if (a.kind === "docker") socket = a.socketPath;
    else return undefined;
    const s = statSync(socket, { bigint: true });
    if (!s.isSocket()) return undefined;
    return `socket ${s.dev}:${s.ino}:${s.ctimeNs}`;
  } catch {
    return undefined;
  }
}

export function readCapabilityCache(cwd: string): CapabilityCache {
  try {
    return parseCapabilityCache(
      readBoundedText(capabilityCachePath(cwd), cacheFileLimit, "capability cache"),
    );
  } catch {
    return emptyCapabilityCache;
  }
}

/** Saves the cache; a folder that cannot be written costs the next run a probe, nothing more. */
export function writeCapabilityCache(cwd: string, cache: CapabilityCache): void {
  try {
    writeAtomically(capabilityCachePath(cwd), serializeCapabilityCache(cache));
  } catch {
    // read-only folder, full disk
  }
}
