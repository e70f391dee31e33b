/**
 * The index.json of an OCI layout folder: which manifest a tag names. A local cache
 * is imported by the digest its tag ("latest" unless tag= says otherwise) names, and
 * an export records its cache manifest under that tag. Writes are atomic (temporary
 * file, then rename) so a reader never sees half an index.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readBoundedText, readLimits } from "../../support/read-file.js";

export interface OciDescriptor {
  readonly mediaType?: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: unknown;
}

interface OciIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: OciDescriptor[];
  [key: string]: unknown;
}

const refName = "org.opencontainers.image.ref.name";
const imageName = "io.containerd.image.name";

export class OciIndexError extends Error {
  override name = "OciIndexError";
}

function readIndex(dir: string): OciIndex | undefined {
  const path = join(dir, "index.json");
  if (!existsSync(path)) return undefined;
  try {
    const index = JSON.parse(
      readBoundedText(path, readLimits.dockerConfig, "OCI index"),
    ) as OciIndex;
    if (!Array.isArray(index.manifests)) throw new Error("it has no manifests list");
    return index;
  } catch (err) {
    throw new OciIndexError(`${path} is not an OCI index: ${(err as Error).message}`);
  }
}

/** Every descriptor DIR/index.json lists (none when there is no index). */
export function readIndexManifests(dir: string): readonly OciDescriptor[] {
  return readIndex(dir)?.manifests ?? [];
}

/** The descriptor a tag names in DIR/index.json; undefined when there is no index or no such tag. */
export function findTag(dir: string, tag: string): OciDescriptor | undefined {
  const index = readIndex(dir);
  if (!index) return undefined;
  return (
    index.manifests.find((m) => m.annotations?.[imageName] === tag) ??
    index.manifests.find((m) => m.annotations?.[refName] === tag)
  );
}

/** Records `desc` under `tag` in DIR/index.json (replacing what the tag named), and writes oci-layout. */
export function putTag(dir: string, desc: OciDescriptor, tag: string): void {
  mkdirSync(dir, { recursive: true });
  const index: OciIndex = readIndex(dir) ?? { schemaVersion: 2, manifests: [] };
  index.schemaVersion ||= 2;
  index.mediaType ||= "application/vnd.oci.image.index.v1+json";
  index.manifests = [
    ...index.manifests.filter(
      (m) => m.annotations?.[refName] !== tag || m.annotations?.[imageName] !== undefined,
    ),
    { ...desc, annotations: { ...desc.annotations, [refName]: tag } },
  ];
  atomicWrite(join(dir, "oci-layout"), `${JSON.stringify({ imageLayoutVersion: "1.0.0" })}`);
  atomicWrite(join(dir, "index.json"), JSON.stringify(index));
}

function atomicWrite(path: string, text: string): void {
  const tmp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
