/**
 * Joining per-platform images into one multi-platform image: the images of a split
 * target were pushed one per platform; the join pushes an index naming each by digest.
 * The index is computed by a pure function; the registry is behind a narrow interface.
 */

export const mediaTypes = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
} as const;

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** An OCI content descriptor, as an index lists its manifests. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: Platform;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A manifest as the registry returned it: its descriptor and its exact bytes as text. */
export interface FetchedManifest {
  readonly descriptor: Descriptor;
  readonly body: string;
}

/** The registry operations a join needs (RegistryClient implements them). */
export interface ManifestStore {
  getManifest(repo: string, reference: string): Promise<FetchedManifest>;
  putManifest(
    repo: string,
    reference: string,
    mediaType: string,
    body: string,
  ): Promise<Descriptor>;
}

/** One platform's image, by tag or digest in the repository of the index. */
export interface PlatformImage {
  readonly reference: string;
  /** "os/arch[/variant]" as bake writes platforms. */
  readonly platform: string;
}

export class JoinError extends Error {
  override name = "JoinError";
}

export function parsePlatform(text: string): Platform {
  const [os = "", architecture = "", variant] = text.split("/");
  if (!os || !architecture)
    throw new JoinError(`"${text}" is not a platform; write it as os/arch[/variant]`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

function samePlatform(a: Platform, b: Platform): boolean {
  // arm64 images usually carry no variant; linux/arm64/v8 names the same thing.
  const variant = (p: Platform) =>
    p.architecture === "arm64" && p.variant === "v8" ? undefined : p.variant;
  return a.os === b.os && a.architecture === b.architecture && variant(a) === variant(b);
}

function isIndex(mediaType: string): boolean {
  return mediaType === mediaTypes.ociIndex || mediaType === mediaTypes.dockerList;
}

/** BuildKit marks attestation manifests in an index with this annotation (the image they describe). */
const attestationOf = "vnd.docker.reference.digest";

/** The descriptors one part contributes: its image manifest, plus attestations that refer to it. */
function descriptorsOf(part: PlatformImage, manifest: FetchedManifest): Descriptor[] {
  const platform = parsePlatform(part.platform);
  if (!isIndex(manifest.descriptor.mediaType)) {
    return [{ ...withoutPlatform(manifest.descriptor), platform }];
  }
  const index = JSON.parse(manifest.body) as { manifests?: Descriptor[] };
  const entries = index.manifests ?? [];
  const images = entries.filter((d) => !d.annotations?.[attestationOf]);
  let chosen = images.filter((d) => d.platform && samePlatform(d.platform, platform));
  if (chosen.length === 0 && images.length === 1) chosen = [{ ...images[0]!, platform }];
  if (chosen.length === 0)
    throw new JoinError(
      `${part.reference} has no image for ${part.platform} (it has ${images.map((d) => (d.platform ? `${d.platform.os}/${d.platform.architecture}` : "unknown")).join(", ") || "none"})`,
    );
  const digests = new Set(chosen.map((d) => d.digest));
  const attestations = entries.filter((d) => digests.has(d.annotations?.[attestationOf] ?? ""));
  return [...chosen, ...attestations];
}

function withoutPlatform(d: Descriptor): Descriptor {
  const { platform: _platform, ...rest } = d;
  return rest;
}

/**
 * The index joining the given per-platform manifests (pure). A Docker manifest list
 * when every entry is a plain Docker manifest, otherwise an OCI index.
 */
export function indexFor(
  parts: readonly { readonly part: PlatformImage; readonly manifest: FetchedManifest }[],
): { mediaType: string; body: string } {
  if (parts.length === 0) throw new JoinError("there are no platform images to join");
  const seen = new Map<string, string>();
  for (const { part } of parts) {
    const p = parsePlatform(part.platform);
    const key = `${p.os}/${p.architecture}/${p.architecture === "arm64" && p.variant === "v8" ? "" : (p.variant ?? "")}`;
    const other = seen.get(key);
    if (other)
      throw new JoinError(
        `${other} and ${part.reference} are both ${part.platform}; join one image per platform`,
      );
    seen.set(key, part.reference);
  }
  const manifests = parts.flatMap(({ part, manifest }) => descriptorsOf(part, manifest));
  const docker = manifests.every(
    (d) => d.mediaType === mediaTypes.dockerManifest && !d.annotations,
  );
  const mediaType = docker ? mediaTypes.dockerList : mediaTypes.ociIndex;
  return { mediaType, body: JSON.stringify({ schemaVersion: 2, mediaType, manifests }) };
}

/**
 * Pushes under `repo:tag` one index that joins the per-platform images (all in `repo`);
 * returns the index's descriptor (its digest is what the metadata file reports).
 */
export async function joinPlatformImages(
  store: ManifestStore,
  repo: string,
  tag: string,
  parts: readonly PlatformImage[],
): Promise<Descriptor> {
  const fetched = await Promise.all(
    parts.map(async (part) => ({ part, manifest: await store.getManifest(repo, part.reference) })),
  );
  const index = indexFor(fetched);
  return store.putManifest(repo, tag, index.mediaType, index.body);
}
