/**
 * The Docker Engine's HTTP API over its unix socket: plain requests, and the
 * connection upgrade (POST /grpc, POST /session) that hands the socket to HTTP/2.
 */
import { createReadStream, statSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { CancelledError, whenAborted } from "../../support/abort.js";

export class EngineError extends Error {
  override name = "EngineError";
}

export interface EngineResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * Ends `socket` and rejects with CancelledError as soon as `signal` aborts (at once if it
 * already has); returns the detach, to call once the exchange is over.
 */
function destroyOnAbort(
  socket: Socket,
  signal: AbortSignal | undefined,
  reject: (e: Error) => void,
  timer: NodeJS.Timeout,
): () => void {
  if (!signal) return () => {};
  return whenAborted(signal, () => {
    clearTimeout(timer);
    socket.destroy();
    reject(new CancelledError());
  });
}

/**
 * Sends `POST path` asking to upgrade to h2c and resolves with the socket once the
 * Engine answered 101, with any bytes that came after the headers put back. An abort
 * of `signal` before that closes the socket and rejects with CancelledError.
 */
export function hijack(
  socketPath: string,
  path: string,
  headers: Readonly<Record<string, string | readonly string[]>> = {},
  timeoutMs = 10_000,
  signal?: AbortSignal,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let buffered: Buffer = Buffer.alloc(0);
    let answered = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new EngineError(
          `the Docker Engine at ${socketPath} did not answer POST ${path} within ${timeoutMs / 1000}s`,
        ),
      );
    }, timeoutMs);
    const detach = destroyOnAbort(socket, signal, reject, timer);
    socket.once("error", (err) => {
      clearTimeout(timer);
      detach();
      reject(new EngineError(`cannot reach the Docker Engine at ${socketPath}: ${err.message}`));
    });
    // The daemon died or dropped the connection before it answered: say so now, not at the timeout.
    socket.once("close", () => {
      if (answered) return;
      clearTimeout(timer);
      detach();
      reject(
        new EngineError(
          `the Docker Engine at ${socketPath} closed the connection before it answered POST ${path}`,
        ),
      );
    });
    socket.on("connect", () => {
      const lines = [
        `POST ${path} HTTP/1.1`,
        "Host: docker",
        "Connection: Upgrade",
        "Upgrade: h2c",
        "Content-Length: 0",
      ];
      for (const [k, v] of Object.entries(headers)) {
        for (const value of Array.isArray(v) ? v : [v as string]) lines.push(`${k}: ${value}`);
      }
      socket.write(`${lines.join("\r\n")}\r\n\r\n`);
    });
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.pause();
      socket.off("data", onData);
      clearTimeout(timer);
      detach();
      answered = true;
      const head = buffered.subarray(0, end).toString("latin1");
      const rest = buffered.subarray(end + 4);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      if (status !== 101) {
        socket.destroy();
        reject(
          new EngineError(
            `the Docker Engine at ${socketPath} refused to upgrade POST ${path}: ${head.split("\r\n")[0]} ${rest.toString("utf8").slice(0, 200)}`,
          ),
        );
        return;
      }
      if (rest.length > 0) socket.unshift(rest);
      socket.removeAllListeners("error");
      resolve(socket);
    };
    socket.on("data", onData);
  });
}

/**
 * A plain request to the Engine API; the body is read whole (small answers only). An
 * abort of `signal` closes the connection (the Engine then stops the request's work,
 * a push for one) and rejects with CancelledError.
 */
export function engineRequest(
  socketPath: string,
  method: string,
  path: string,
  options: {
    headers?: Record<string, string>;
    body?: string;
    /** A file streamed as the body (application/x-tar), never read whole. */
    bodyFile?: string;
    timeoutMs?: number;
    onLine?: (line: string) => void;
    signal?: AbortSignal;
  } = {},
): Promise<EngineResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let data: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new EngineError(
          `the Docker Engine at ${socketPath} did not answer ${method} ${path} in time`,
        ),
      );
    }, options.timeoutMs ?? 15_000);
    const detach = destroyOnAbort(socket, options.signal, reject, timer);
    socket.once("error", (err) => {
      clearTimeout(timer);
      detach();
      reject(new EngineError(`cannot reach the Docker Engine at ${socketPath}: ${err.message}`));
    });
    socket.on("connect", () => {
      const body = options.body ?? "";
      const length = options.bodyFile ? statSync(options.bodyFile).size : Buffer.byteLength(body);
      const lines = [
        `${method} ${path} HTTP/1.1`,
        "Host: docker",
        "Connection: close",
        `Content-Length: ${length}`,
      ];
      if (options.bodyFile) lines.push("Content-Type: application/x-tar");
      else if (body) lines.push("Content-Type: application/json");
      for (const [k, v] of Object.entries(options.headers ?? {})) lines.push(`${k}: ${v}`);
      socket.write(`${lines.join("\r\n")}\r\n\r\n${body}`);
      if (options.bodyFile) {
        createReadStream(options.bodyFile)
          .on("error", (err) => socket.destroy(err))
          .pipe(socket, { end: false });
      }
    });
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
    });
    socket.on("end", () => {
      clearTimeout(timer);
      detach();
      if (options.signal?.aborted) return;
      const end = data.indexOf("\r\n\r\n");
      if (end < 0) {
        reject(
          new EngineError(
            `the Docker Engine at ${socketPath} sent a malformed answer to ${method} ${path}`,
          ),
        );
        return;
      }
      const head = data.subarray(0, end).toString("latin1").split("\r\n");
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? "")?.[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const i = line.indexOf(":");
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      let body: Buffer = data.subarray(end + 4);
      let complete = true;
      if (headers["transfer-encoding"]?.includes("chunked")) {
        const chunks = dechunk(body);
        body = chunks.body;
        complete = chunks.complete;
      } else if (headers["content-length"] !== undefined) {
        complete = body.length >= Number(headers["content-length"]);
      }
      // A stream answer (push, load) cut short by a daemon that died is not an answer.
      if (!complete) {
        reject(
          new EngineError(
            `the Docker Engine at ${socketPath} closed the connection in the middle of its answer to ${method} ${path}`,
          ),
        );
        return;
      }
      const text = body.toString("utf8");
      if (options.onLine)
        for (const line of text.split("\n")) if (line.trim()) options.onLine(line);
      resolve({ status, headers, body: text });
    });
  });
}

/** The body of a chunked answer, and whether its last (empty) chunk came. */
function dechunk(buf: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let pos = 0;
  let complete = false;
  while (pos < buf.length) {
    const eol = buf.indexOf("\r\n", pos);
    if (eol < 0) break;
    const size = Number.parseInt(buf.subarray(pos, eol).toString("latin1"), 16);
    if (size === 0) {
      complete = true;
      break;
    }
    if (!size || eol + 2 + size > buf.length) break;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
  return { body: Buffer.concat(parts), complete };
}

/** Whether a unix socket is a Docker Engine (it answers GET /_ping over HTTP/1.1). */
export async function isDockerEngine(socketPath: string): Promise<boolean> {
  try {
    const r = await engineRequest(socketPath, "GET", "/_ping", { timeoutMs: 3000 });
    return r.status === 200 && r.body.trim() === "OK";
  } catch {
    return false;
  }
}

/** Loads an image tar (docker save / buildkitd's docker exporter) into the Engine; returns the loaded names. */
export async function loadImageTar(
  socketPath: string,
  tarPath: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const loaded: string[] = [];
  let error = "";
  const res = await engineRequest(socketPath, "POST", "/images/load?quiet=1", {
    bodyFile: tarPath,
    timeoutMs: 600_000,
    ...(signal ? { signal } : {}),
    onLine: (line) => {
      try {
        const m = JSON.parse(line) as { stream?: string; error?: string };
        if (m.error) error = m.error;
        const name = /^Loaded image(?: ID)?: (.+)$/m.exec(m.stream ?? "")?.[1];
        if (name) loaded.push(name.trim());
      } catch {
        // not a JSON line
      }
    },
  });
  if (res.status !== 200 || error) {
    throw new EngineError(
      `the Docker Engine at ${socketPath} could not load the image: ${error || res.body.slice(0, 300)}`,
    );
  }
  return loaded;
}
