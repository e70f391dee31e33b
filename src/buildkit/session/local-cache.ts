/**
 * Local cache (`cache-from type=local,src=DIR`, `cache-to type=local,dest=DIR`): the
 * folders are OCI layouts that the daemon reads and writes through the session's
 * content service. Imports are resolved to the digest their tag names (as buildctl
 * does); exports record the daemon's cache manifest under their tag after the build.
 */
import { isAbsolute, resolve } from "node:path";
import type { Entry } from "../solve/spec.js";
import { findTag, type OciDescriptor, putTag } from "./oci-index.js";
import { OciLayoutStore } from "./oci-layout-store.js";

export class LocalCacheError extends Error {
  override name = "LocalCacheError";
}

export interface LocalCachePlan {
  /** cache-from with local entries resolved (digest=) or left out (with a warning). */
  readonly cacheFrom: Entry[];
  readonly cacheTo: Entry[];
  /** Content stores to serve, by the id the daemon asks for ("local:" + folder). */
  readonly stores: Map<string, OciLayoutStore>;
  /** Where the exported cache manifest is recorded after the build. */
  readonly exports: readonly { readonly dir: string; readonly tag: string }[];
  readonly warnings: readonly string[];
}

export function prepareLocalCache(
  cacheFrom: readonly Entry[],
  cacheTo: readonly Entry[],
  cwd: string = process.cwd(),
): LocalCachePlan {
  const stores = new Map<string, OciLayoutStore>();
  const storeFor = (dir: string) => {
    const id = `local:${dir}`;
    let s = stores.get(id);
    if (!s) {
      s = new OciLayoutStore(dir);
      stores.set(id, s);
    }
    return s;
  };
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  const warnings: string[] = [];
  const exports: { dir: string; tag: string }[] = [];
  const to: Entry[] = [];
  for (const e of cacheTo) {
    if (e.type !== "local") {
      to.push(e);
      continue;
    }
    if (!e.dest) throw new LocalCacheError("cache-to type=local needs dest= (a folder)");
    const dir = abs(e.dest);
    storeFor(dir);
    exports.push({ dir, tag: e.tag ?? "latest" });
    to.push({ ...e, dest: dir });
  }
  const from: Entry[] = [];
  for (const e of cacheFrom) {
    if (e.type !== "local") {
      from.push(e);
      continue;
    }
    if (!e.src) throw new LocalCacheError("cache-from type=local needs src= (a folder)");
    const dir = abs(e.src);
    let digest = e.digest;
    if (!digest) {
      const tag = e.tag ?? "latest";
      let desc: OciDescriptor | undefined;
      try {
        desc = findTag(dir, tag);
      } catch (err) {
        warnings.push(`local cache ${dir} skipped: ${(err as Error).message}`);
        continue;
      }
      if (!desc) {
        // The usual first run: cache-from and cache-to name the same, still empty, folder.
        warnings.push(`local cache ${dir} has no "${tag}" yet; building without it`);
        continue;
      }
      digest = desc.digest;
    }
    const store = storeFor(dir);
    let present = false;
    try {
      present = store.has(digest);
    } catch (err) {
      throw new LocalCacheError(`cache-from type=local,src=${e.src}: ${(err as Error).message}`);
    }
    if (!present) {
      warnings.push(`local cache ${dir} skipped: it lacks ${digest}`);
      continue;
    }
    from.push({ ...e, src: dir, digest });
  }
  return { cacheFrom: from, cacheTo: to, stores, exports, warnings };
}

/** Records the exported cache manifest (the daemon's `cache.manifest` response) in each export folder. */
export function recordLocalCacheExports(
  plan: LocalCachePlan,
  exporterResponse: Readonly<Record<string, string>>,
): void {
  if (plan.exports.length === 0) return;
  const raw = exporterResponse["cache.manifest"];
  if (!raw) return;
  const desc = JSON.parse(raw) as OciDescriptor;
  for (const { dir, tag } of plan.exports) putTag(dir, desc, tag);
}

/** Drops unfinished ingests of every store (after the build, whatever its outcome). */
export function closeLocalCache(plan: LocalCachePlan): void {
  for (const s of plan.stores.values()) {
    try {
      s.dropIngests();
    } catch {
      // the folder may be gone; nothing to clean
    }
  }
}
