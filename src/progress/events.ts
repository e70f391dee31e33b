/**
 * The vocabulary of everything a run reports while it builds: a closed union,
 * emitted by the scheduler (and the CLI), consumed by the progress reducer and
 * the renderers. Times are epoch milliseconds so events serialise as JSON.
 */
import type { SolveStatus } from "./status.js";

/** One build of one target (a multi-platform target split across endpoints gives several). */
export interface JobRef {
  /** The bake target name. */
  readonly target: string;
  /** The platforms this job builds (empty: the daemon's default). */
  readonly platforms: readonly string[];
}

export type RunEvent =
  | {
      readonly type: "run-started";
      readonly time: number;
      readonly targets: readonly string[];
      readonly endpoints: readonly string[];
    }
  | {
      readonly type: "job-queued";
      readonly time: number;
      readonly job: JobRef;
      readonly waitingFor: readonly string[];
    }
  | {
      readonly type: "job-started";
      readonly time: number;
      readonly job: JobRef;
      readonly endpoint: string;
      readonly attempt: number;
    }
  | {
      readonly type: "job-status";
      readonly time: number;
      readonly job: JobRef;
      readonly endpoint: string;
      readonly status: SolveStatus;
    }
  | {
      readonly type: "job-retry";
      readonly time: number;
      readonly job: JobRef;
      readonly fromEndpoint: string;
      readonly reason: string;
      readonly attempt: number;
    }
  | {
      readonly type: "job-done";
      readonly time: number;
      readonly job: JobRef;
      readonly endpoint: string;
      readonly result: JobOutcome;
    }
  | {
      readonly type: "job-failed";
      readonly time: number;
      readonly job: JobRef;
      readonly endpoint?: string;
      readonly error: string;
      readonly failedStep?: string;
    }
  | {
      readonly type: "job-skipped";
      readonly time: number;
      readonly job: JobRef;
      readonly reason: string;
    }
  | { readonly type: "job-cancelled"; readonly time: number; readonly job: JobRef }
  | {
      readonly type: "endpoint-state";
      readonly time: number;
      readonly endpoint: string;
      readonly state: "up" | "down";
      readonly reason?: string;
    }
  | {
      readonly type: "warning";
      readonly time: number;
      readonly message: string;
      readonly target?: string;
    }
  | {
      readonly type: "run-finished";
      readonly time: number;
      readonly outcome: "success" | "failed" | "cancelled";
    };

/** What a finished job produced, for the summary and the metadata file. */
export interface JobOutcome {
  /** e.g. "sha256:..." of the pushed or stored image, when there is one. */
  readonly digest?: string;
  /** Where the output went: a folder, a tarball, image names. */
  readonly output?: string;
  /** The exporter response as BuildKit returned it (containerimage.digest, ...). */
  readonly exporterResponse: Readonly<Record<string, string>>;
}

export type RunEventType = RunEvent["type"];
