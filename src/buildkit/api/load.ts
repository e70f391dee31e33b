/**
 * Loads our own BuildKit .proto files (in this folder; copied next to the compiled
 * JavaScript by scripts/copy-assets.mjs) into grpc-js service definitions.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const protoDir = fileURLToPath(new URL(".", import.meta.url));

/** Options shared by every proto: keep field names as written, bytes as Buffer, 64-bit ints as strings. */
const loaderOptions: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: Number,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
  includeDirs: [protoDir],
};

const cache = new Map<string, grpc.GrpcObject>();

/** The grpc-js object tree for one .proto file of this folder (e.g. "control.proto"). */
export function loadProto(fileName: string): grpc.GrpcObject {
  let loaded = cache.get(fileName);
  if (!loaded) {
    const definition = protoLoader.loadSync(fileName, loaderOptions);
    loaded = grpc.loadPackageDefinition(definition);
    cache.set(fileName, loaded);
  }
  return loaded;
}

/** Walks a dotted name ("moby.buildkit.v1.Control") in a loaded proto tree. */
export function lookupProto(root: grpc.GrpcObject, dottedName: string): unknown {
  let node: unknown = root;
  for (const part of dottedName.split(".")) {
    node = (node as Record<string, unknown> | undefined)?.[part];
    if (node === undefined) throw new Error(`proto name ${dottedName} not found`);
  }
  return node;
}
