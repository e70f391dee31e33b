/**
 * NODE_EXTRA_CA_CERTS, deferred until a TLS connection needs it. Node reads and parses the
 * file that variable names before any JavaScript runs; where it names the system's whole CA
 * bundle (a common setting) that is more than half of a short run's CPU time, spent even by
 * runs that open no TLS connection. The `mbake` launcher (dist/bin/mbake) therefore starts
 * Node without it and passes the file's name as MBAKE_EXTRA_CA_CERTS; mbake then adds those
 * certificates itself to the CAs of every TLS connection it opens (registries; tcp endpoints
 * without a ca=), so what is trusted stays what Node would trust.
 */
import { rootCertificates } from "node:tls";
import { readBoundedText, readLimits } from "./read-file.js";

type Env = Readonly<Record<string, string | undefined>>;

const loaded = new Map<string, readonly string[]>();

/** The file Node was started without (the launcher moved it here), or undefined. */
export function deferredCaFile(env: Env): string | undefined {
  const file = env.MBAKE_EXTRA_CA_CERTS;
  return file ? file : undefined;
}

/**
 * The PEM text of the deferred CA file, read once per process; none when nothing was
 * deferred. A file that cannot be read is passed over with a warning, as Node does.
 */
export function deferredCas(
  env: Env,
  warn: (text: string) => void = emitWarning,
): readonly string[] {
  const file = deferredCaFile(env);
  if (!file) return [];
  let cas = loaded.get(file);
  if (!cas) {
    try {
      cas = [readBoundedText(file, readLimits.keyFile, "CA certificates (NODE_EXTRA_CA_CERTS)")];
    } catch (err) {
      warn(`Ignoring extra certs from \`${file}\`, load failed: ${(err as Error).message}`);
      cas = [];
    }
    loaded.set(file, cas);
  }
  return cas;
}

function emitWarning(text: string): void {
  process.emitWarning(text);
}

/**
 * The root certificates for a gRPC TLS connection given no CA of its own: null (grpc-js's
 * defaults: GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, else Node's store) unless NODE_EXTRA_CA_CERTS
 * was deferred, when Node's store lacks them: then Node's bundled roots and those.
 */
export function defaultRootsWithDeferred(env: Env): Buffer | null {
  if (env.GRPC_DEFAULT_SSL_ROOTS_FILE_PATH) return null;
  const deferred = deferredCas(env);
  if (deferred.length === 0) return null;
  return Buffer.from([...rootCertificates, ...deferred].join("\n"));
}
