/**
 * `output type=oci,dest=DIR,tar=false`: the daemon writes the image's blobs into DIR
 * through the session's content service (the store it calls "export"), and mbake then
 * names the exported manifest in DIR/index.json, under the tag of each image name
 * ("latest" without one), so the folder is an OCI layout that oci-layout://DIR:TAG reads.
 */
import { resolve } from "node:path";
import { type OciDescriptor, putTag } from "./oci-index.js";
import { OciLayoutStore } from "./oci-layout-store.js";

/** The id BuildKit's oci exporter gives the session store it exports into. */
export const exportStoreId = "export";

export function ociExportStore(dest: string): OciLayoutStore {
  return new OciLayoutStore(resolve(dest));
}

/** The tag part of each image name (registry/repo:tag), "latest" where there is none. */
export function tagsOf(imageNames: string | undefined): string[] {
  const names = (imageNames ?? "").split(",").filter((n) => n !== "");
  if (names.length === 0) return ["latest"];
  return names.map((n) => {
    const bare = n.split("@")[0]!;
    const colon = bare.lastIndexOf(":");
    return colon > bare.lastIndexOf("/") ? bare.slice(colon + 1) : "latest";
  });
}

/** Records the exported manifest (the daemon's containerimage.descriptor, base64 JSON) in DIR/index.json. */
export function recordOciExport(
  store: OciLayoutStore,
  exporterResponse: Readonly<Record<string, string>>,
): void {
  const raw = exporterResponse["containerimage.descriptor"];
  if (!raw) throw new Error("the daemon did not say which manifest it exported");
  const desc = JSON.parse(Buffer.from(raw, "base64").toString("utf8")) as OciDescriptor;
  for (const tag of new Set(tagsOf(exporterResponse["image.name"]))) putTag(store.root, desc, tag);
}
