/**
 * Image references (NAME[:TAG][@DIGEST]) read the way Docker reads them: the first
 * path component is a registry host only when it looks like one (has a "." or ":",
 * is "localhost", or has capitals); otherwise the image is on Docker Hub, and a
 * one-part name there lives under library/. Pure; the one place mbake parses them.
 */
import { InputError } from "../diagnostics/error-kind.js";

/** Docker Hub's name in references and in the Docker config. */
export const dockerHub = "docker.io";
/** Where Docker Hub's registry API answers. */
const dockerHubApi = "registry-1.docker.io";

export interface ImageReference {
  /** The name as written, without tag and digest ("busybox", "localhost:5000/app"). */
  readonly name: string;
  /** The registry host ("docker.io" when none is written; index.docker.io is docker.io). */
  readonly host: string;
  /** The repository on that registry ("library/busybox" for "busybox"). */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

export class ImageReferenceError extends InputError {
  override name = "ImageReferenceError";
}

function looksLikeHost(component: string): boolean {
  return (
    component.includes(".") ||
    component.includes(":") ||
    component === "localhost" ||
    component !== component.toLowerCase()
  );
}

/** Splits a reference into its parts, with Docker's defaults for host and repository. */
export function parseReference(text: string): ImageReference {
  const at = text.indexOf("@");
  const digest = at >= 0 ? text.slice(at + 1) : undefined;
  let name = at >= 0 ? text.slice(0, at) : text;
  let tag: string | undefined;
  const colon = name.lastIndexOf(":");
  if (colon > name.lastIndexOf("/")) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  if (!name || tag === "" || digest === "")
    throw new ImageReferenceError(
      `"${text}" is not an image reference; write it as NAME[:TAG][@DIGEST]`,
    );
  const slash = name.indexOf("/");
  const first = name.slice(0, slash);
  const hasHost = slash > 0 && looksLikeHost(first);
  const written = hasHost ? first : dockerHub;
  const host = written === "index.docker.io" ? dockerHub : written;
  const path = hasHost ? name.slice(slash + 1) : name;
  const repository = host === dockerHub && !path.includes("/") ? `library/${path}` : path;
  return { name, host, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The registry host of a reference, as the Docker config names it ("docker.io" by default). */
export function registryHost(text: string): string {
  return parseReference(text).host;
}

/** Where the registry's HTTP API answers for this host (Docker Hub's is not docker.io). */
export function apiHost(host: string): string {
  return host === dockerHub ? dockerHubApi : host;
}

/** The tag a reference names, "latest" when it names none. */
export function tagOf(ref: ImageReference): string {
  return ref.tag ?? "latest";
}

/** The reference pinned to a digest: its name (tag dropped) @digest. */
export function pinned(text: string, digest: string): string {
  return `${parseReference(text).name}@${digest}`;
}

/**
 * The tag one platform's image of a split multi-platform target is pushed under, next to
 * the target's own tag: "app:1" and linux/arm/v7 give "app:1-mbake-linux-arm-v7" (and
 * "app" gives "app:latest-mbake-linux-arm-v7", in the same repository).
 */
export function platformTag(reference: string, platform: string): string {
  const ref = parseReference(reference);
  return `${ref.name}:${tagOf(ref)}-mbake-${platform.replace(/\//g, "-")}`;
}
