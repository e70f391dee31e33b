/**
 * BuildKit's status update (moby.buildkit.v1.StatusResponse) as plain data.
 * The BuildKit client decodes the gRPC message into this shape; the progress
 * model consumes it. Field meanings follow api/services/control/control.proto.
 */
export interface SolveStatus {
  readonly vertexes: readonly VertexStatus[];
  readonly statuses: readonly VertexProgress[];
  readonly logs: readonly VertexLog[];
  readonly warnings: readonly VertexWarning[];
}

export interface VertexStatus {
  /** The vertex digest ("sha256:..."). */
  readonly digest: string;
  readonly inputs: readonly string[];
  /** e.g. "[build 2/3] RUN make". */
  readonly name: string;
  readonly cached: boolean;
  readonly started?: Date;
  readonly completed?: Date;
  /** Non-empty when the vertex failed. */
  readonly error: string;
  readonly progressGroup?: { readonly id: string; readonly name: string; readonly weak: boolean };
}

/** A sub-progress of a vertex: a layer download, a context transfer, an export step. */
export interface VertexProgress {
  readonly id: string;
  readonly vertex: string;
  readonly name: string;
  readonly current: number;
  readonly total: number;
  readonly timestamp?: Date;
  readonly started?: Date;
  readonly completed?: Date;
}

export interface VertexLog {
  readonly vertex: string;
  readonly timestamp?: Date;
  /** 1 = stdout, 2 = stderr. */
  readonly stream: number;
  readonly data: Uint8Array;
}

export interface VertexWarning {
  readonly vertex: string;
  readonly level: number;
  readonly short: string;
  readonly detail: readonly string[];
  readonly url: string;
  /** The file the warning is about, as the frontend names it ("Dockerfile"). */
  readonly file?: string;
  readonly range?: readonly { readonly startLine: number; readonly endLine: number }[];
}
