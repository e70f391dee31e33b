/** A session service that mbake serves to the daemon (FileSync, FileSend, Auth, Secrets). */
import type * as grpc from "@grpc/grpc-js";

export interface SessionService {
  /** The full service name, e.g. "moby.filesync.v1.FileSync". */
  readonly name: string;
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
}

/** The method paths the daemon may call ("/moby.filesync.v1.FileSync/DiffCopy"). */
export function methodPaths(services: readonly SessionService[]): string[] {
  return services.flatMap((s) => Object.values(s.definition).map((m) => m.path));
}

/**
 * The values of a metadata key the daemon sent. It sends each value as its own header
 * field; Node's HTTP/2 layer joins repeated fields with ", ", so they are split again.
 */
export function metadataValues(md: grpc.Metadata, key: string): string[] {
  return md
    .get(key)
    .flatMap((v) => v.toString().split(", "))
    .filter((v) => v !== "");
}
