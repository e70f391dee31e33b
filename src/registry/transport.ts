/**
 * HTTP(S) for the registry client, with the registry's own CA certificates found where
 * Docker looks for them: /etc/docker/certs.d/HOST:PORT/*.crt, and the same under the
 * Docker config directory (DOCKER_CONFIG, by default ~/.docker). Node's fetch cannot be
 * given a CA without undici's Agent (an npm dependency), so requests go through
 * node:https and come back as a standard Response.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { homedir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import { CancelledError, whenAborted } from "../support/abort.js";
import { deferredCaFile, deferredCas } from "../support/deferred-ca.js";
import { dockerConfigDir } from "../support/docker-config.js";
import { readBoundedText, readLimits } from "../support/read-file.js";

export type Env = Readonly<Record<string, string | undefined>>;

/** The system-wide directory of per-registry certificates (Docker's daemon reads it). */
export const systemCertsDir = "/etc/docker/certs.d";

/** The certs.d directories for `host` (host[:port], as written in image references), in Docker's order. */
export function registryCertsDirs(host: string, env: Env, home: string = homedir()): string[] {
  return [join(systemCertsDir, host), join(dockerConfigDir(env, home), "certs.d", host)];
}

/**
 * The CA certificate files for `host`: each *.crt file (Docker's name for a CA; *.cert
 * and *.key are a client certificate) in its certs.d directories, sorted by name within
 * each. `list` names a directory's files, or nothing when it does not exist.
 */
export function registryCaFiles(
  host: string,
  env: Env,
  list: (dir: string) => readonly string[],
  home: string = homedir(),
): string[] {
  return registryCertsDirs(host, env, home).flatMap((dir) =>
    [...list(dir)]
      .filter((name) => name.endsWith(".crt"))
      .sort()
      .map((name) => join(dir, name)),
  );
}

/** The files of a directory (none when it is missing or unreadable). */
export function listFiles(dir: string): string[] {
  try {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() || e.isSymbolicLink())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * The CAs to trust for `host`: Node's bundled roots (and NODE_EXTRA_CA_CERTS) plus the
 * certs.d files, as Docker adds them to the system pool; undefined when there are no
 * certs.d files and no deferred NODE_EXTRA_CA_CERTS, so Node's defaults apply unchanged.
 */
export function trustedCas(host: string, env: Env): { ca: string[]; files: string[] } | undefined {
  const files = registryCaFiles(host, env, listFiles);
  // NODE_EXTRA_CA_CERTS that the launcher kept from Node's start-up (deferred-ca.ts).
  const deferred = deferredCas(env);
  if (files.length === 0)
    return deferred.length > 0 ? { ca: [...tls.rootCertificates, ...deferred], files } : undefined;
  const extra = env.NODE_EXTRA_CA_CERTS;
  const ca = [...tls.rootCertificates, ...deferred];
  if (extra && extra !== deferredCaFile(env) && existsSync(extra))
    ca.push(readBoundedText(extra, readLimits.keyFile, "CA certificate (NODE_EXTRA_CA_CERTS)"));
  for (const file of files) {
    try {
      ca.push(readBoundedText(file, readLimits.keyFile, "CA certificate"));
    } catch (err) {
      throw new Error(`cannot read the CA certificate ${file}: ${(err as Error).message}`);
    }
  }
  return { ca, files };
}

export interface SendInit {
  readonly method: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Uint8Array;
  /** CA certificates (PEM) that replace Node's defaults for https. */
  readonly ca?: readonly string[];
  readonly timeoutMs?: number;
  /** Aborting it ends the request at once (the connection is closed): CancelledError. */
  readonly signal?: AbortSignal;
}

const noBody = new Set([204, 205, 304]);

/** One request without following redirects; the answer as a standard Response. */
function once(url: URL, init: SendInit): Promise<Response> {
  return new Promise((outerResolve, outerReject) => {
    if (init.signal?.aborted) {
      outerReject(new CancelledError());
      return;
    }
    let detach = () => {};
    const resolve = (r: Response) => {
      detach();
      outerResolve(r);
    };
    const reject = (e: unknown) => {
      detach();
      outerReject(e);
    };
    const headers: Record<string, string> = { ...init.headers };
    if (init.body !== undefined) headers["content-length"] = String(Buffer.byteLength(init.body));
    const options: https.RequestOptions = {
      method: init.method,
      headers,
      timeout: init.timeoutMs ?? 300_000,
      ...(url.protocol === "https:" && init.ca ? { ca: [...init.ca] } : {}),
    };
    const req = (url.protocol === "https:" ? https : http).request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const answerHeaders = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
          answerHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        const status = res.statusCode ?? 0;
        const body = init.method === "HEAD" || noBody.has(status) ? null : Buffer.concat(chunks);
        resolve(
          new Response(body, {
            status,
            statusText: res.statusMessage ?? "",
            headers: answerHeaders,
          }),
        );
      });
    });
    req.on("timeout", () =>
      req.destroy(new Error(`${init.method} ${url.href} got no answer in time`)),
    );
    req.on("error", reject);
    if (init.signal)
      detach = whenAborted(init.signal, () => {
        reject(new CancelledError());
        req.destroy();
      });
    req.end(init.body === undefined ? undefined : Buffer.from(init.body));
  });
}

/**
 * One request, following up to 5 redirects (a registry may send blobs elsewhere); the
 * authorization header is dropped when a redirect leaves the origin. `caFor` gives the
 * CAs for each host:port.
 */
export async function send(
  url: string,
  init: Omit<SendInit, "ca">,
  caFor: (host: string) => readonly string[] | undefined,
): Promise<Response> {
  let target = new URL(url);
  let current: SendInit = init;
  for (let hop = 0; ; hop++) {
    const ca = caFor(target.host);
    const res = await once(target, ca ? { ...current, ca } : current);
    const location = res.headers.get("location");
    if (![301, 302, 303, 307, 308].includes(res.status) || !location || hop >= 5) return res;
    // Only 3xx answers are redirects: an upload's 202 has a location too.
    const next = new URL(location, target);
    const headers = { ...current.headers };
    if (next.origin !== target.origin) delete headers.authorization;
    const keepsBody = res.status === 307 || res.status === 308;
    const method =
      keepsBody || current.method === "HEAD" || current.method === "GET" ? current.method : "GET";
    current = {
      method,
      headers,
      ...(keepsBody && current.body !== undefined ? { body: current.body } : {}),
      ...(current.timeoutMs !== undefined ? { timeoutMs: current.timeoutMs } : {}),
      ...(current.signal ? { signal: current.signal } : {}),
    };
    target = next;
  }
}

/** Errors meaning the other side does not speak TLS (a plain-HTTP server answered the handshake). */
export function isNotTls(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code ?? "";
  return code === "EPROTO" || code === "ECONNRESET" || code.startsWith("ERR_SSL_");
}

/** Errors where the server's certificate was not trusted (or not for this name). */
export function isUntrustedCertificate(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? "";
  return (
    /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/.test(code) &&
    !code.startsWith("ERR_SSL_") &&
    code !== "EPROTO"
  );
}
