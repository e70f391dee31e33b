/**
 * Named contexts from OCI layout folders (`oci-layout://PATH[:TAG][@DIGEST]`), as
 * buildx passes them: the folder is served as a content store ("oci:" + a store id)
 * and the frontend gets `oci-layout://STOREID[:TAG]@DIGEST`, the digest resolved
 * from index.json here when only a tag is written.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { findTag, OciIndexError, readIndexManifests } from "./oci-index.js";
import { OciLayoutStore } from "./oci-layout-store.js";

export interface OciLayoutRef {
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

const prefix = "oci-layout://";
const digestPattern = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;

export class OciContextError extends Error {
  override name = "OciContextError";
}

/** Parses an oci-layout:// value; undefined for other values. Without tag or digest, the tag is "latest". */
export function parseOciLayoutRef(value: string): OciLayoutRef | undefined {
  if (!value.startsWith(prefix)) return undefined;
  let path = value.slice(prefix.length);
  let digest: string | undefined;
  let tag: string | undefined;
  const at = path.lastIndexOf("@");
  if (at >= 0 && digestPattern.test(path.slice(at + 1))) {
    digest = path.slice(at + 1);
    path = path.slice(0, at);
  }
  const colon = path.lastIndexOf(":");
  if (
    colon >= 0 &&
    tagPattern.test(path.slice(colon + 1)) &&
    !path.slice(colon + 1).includes("/")
  ) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
  }
  if (!tag && !digest) tag = "latest";
  return { path, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

export function formatOciLayoutRef(ref: OciLayoutRef): string {
  return `${prefix}${ref.path}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** Rewrites oci-layout:// contexts to store ids and returns the stores to serve ("oci:" + id). */
export function prepareOciContexts(
  contexts: Readonly<Record<string, string>>,
  newId: () => string = () => randomUUID().replace(/-/g, ""),
): { namedContexts: Record<string, string>; stores: Map<string, OciLayoutStore> } {
  const namedContexts: Record<string, string> = {};
  const stores = new Map<string, OciLayoutStore>();
  for (const [name, value] of Object.entries(contexts)) {
    const ref = parseOciLayoutRef(value);
    if (!ref) {
      namedContexts[name] = value;
      continue;
    }
    if (!existsSync(join(ref.path, "index.json")))
      throw new OciContextError(
        `context "${name}": ${ref.path} is not an OCI layout (it has no index.json)`,
      );
    let digest = ref.digest;
    if (!digest) {
      try {
        digest = findTag(ref.path, ref.tag ?? "latest")?.digest;
        if (!digest) {
          const all = readIndexManifests(ref.path);
          if (all.length === 1) digest = all[0]!.digest;
        }
      } catch (err) {
        if (err instanceof OciIndexError)
          throw new OciContextError(`context "${name}": ${err.message}`);
        throw err;
      }
      if (!digest)
        throw new OciContextError(
          `context "${name}": ${ref.path} has no image tagged "${ref.tag}" (and more than one image, so none is picked)`,
        );
    }
    const id = newId();
    stores.set(`oci:${id}`, new OciLayoutStore(ref.path));
    namedContexts[name] = formatOciLayoutRef({
      path: id,
      ...(ref.tag ? { tag: ref.tag } : {}),
      digest,
    });
  }
  return { namedContexts, stores };
}
