/**
 * The bake model: targets and groups after evaluation, with the attribute names
 * buildx uses. `undefined` means "not set" and stays distinct from empty.
 */

/** A key=value entry (output, cache-from/to, attest, secret): its type and attributes. */
export type Entry = Readonly<Record<string, string>>;

/** An ssh entry: an id and optional socket or key paths. */
export interface SshEntry {
  readonly id: string;
  readonly paths?: readonly string[];
}

export interface Target {
  readonly name: string;
  description?: string;
  inherits?: string[];
  annotations?: string[];
  attest?: Entry[];
  context?: string;
  contexts?: Record<string, string>;
  dockerfile?: string;
  dockerfileInline?: string;
  args?: Record<string, string | null>;
  labels?: Record<string, string | null>;
  tags?: string[];
  cacheFrom?: Entry[];
  cacheTo?: Entry[];
  target?: string;
  secret?: Entry[];
  ssh?: SshEntry[];
  platforms?: string[];
  output?: Entry[];
  pull?: boolean;
  noCache?: boolean;
  network?: string;
  noCacheFilter?: string[];
  shmSize?: string;
  ulimits?: string[];
  call?: string;
  entitlements?: string[];
  /** host name -> IP address, as add-hosts for RUN steps. */
  extraHosts?: Record<string, string | null>;
}

export interface Group {
  readonly name: string;
  targets: string[];
  /** The group's `targets` was null (buildx's nil slice, printed as null). */
  nullTargets?: boolean;
  description?: string;
}
