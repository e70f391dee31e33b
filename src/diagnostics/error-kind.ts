/**
 * What kind of failure an error is, carried by the error itself: the CLI picks the
 * exit code from the kind (input 2, build and endpoint 1, cancelled 130), so no list
 * of class names has to be kept in step with the code that throws.
 */

export type ErrorKind =
  /** What the user wrote is wrong (flags, bake files, mbake.json, --set): fix it and run again. */
  | "input"
  /** A build failed. */
  | "build"
  /** The run was cancelled (Ctrl-C, SIGTERM). */
  | "cancelled"
  /** No BuildKit endpoint could be used. */
  | "endpoint";

/** An error in what the user wrote; exit code 2, shown without a stack trace. */
export class InputError extends Error {
  readonly kind = "input" satisfies ErrorKind;
}

/** No endpoint to build on (none configured, none reachable). */
export class EndpointError extends Error {
  readonly kind = "endpoint" satisfies ErrorKind;
}

const kinds: ReadonlySet<string> = new Set<ErrorKind>(["input", "build", "cancelled", "endpoint"]);

/** The kind an error carries, or undefined for an error that says none. */
export function kindOf(err: unknown): ErrorKind | undefined {
  if (!(err instanceof Error) || !("kind" in err)) return undefined;
  const kind = err.kind;
  return typeof kind === "string" && kinds.has(kind) ? (kind as ErrorKind) : undefined;
}
