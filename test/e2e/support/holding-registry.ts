/**
 * A plain-HTTP front for the test registry that holds chosen requests (a manifest PUT,
 * the last step of a push or a join) for a while before passing them on: a test signals
 * mbake while a push is held there, and the request is passed on only if its client
 * still waits when the hold ends. A cancelled push therefore leaves no tag, and one that
 * ignored the cancellation leaves its tag for the test to find. Holding nothing, it is a
 * plain front whose `requests` say what a daemon asked the registry.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface HoldingRegistry {
  /** 127.0.0.1:PORT (the Engines treat loopback registries as plain HTTP). */
  readonly address: string;
  /** Resolves when the first held request arrives. */
  readonly firstHeld: Promise<void>;
  /**
   * Waits until every held request was passed on or dropped (its client went away);
   * says which were passed on ("METHOD path").
   */
  settled(): Promise<{ passedOn: string[]; dropped: number }>;
  /** Every request that arrived so far, held or not ("METHOD path"), oldest first. */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

/** Passes `req` (with `body`) to the registry at `upstream` and its answer back to `res`. */
function passOn(
  upstream: string,
  req: http.IncomingMessage,
  body: Buffer | undefined,
  res: http.ServerResponse,
): void {
  const [host, port] = upstream.split(":");
  const out = http.request(
    { host, port: Number(port), method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  out.on("error", () => res.destroy());
  if (body) out.end(body);
  else req.pipe(out);
}

export async function holdingRegistry(
  upstream: string,
  hold: (method: string, path: string) => boolean,
  holdMs: number,
): Promise<HoldingRegistry> {
  let seen: () => void = () => {};
  const firstHeld = new Promise<void>((r) => {
    seen = r;
  });
  const holds: Promise<string | undefined>[] = [];
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (!hold(req.method ?? "", req.url ?? "")) {
      passOn(upstream, req, undefined, res);
      return;
    }
    seen();
    const chunks: Buffer[] = [];
    let gone = false;
    res.on("close", () => {
      if (!res.writableFinished) gone = true;
    });
    req.on("data", (c: Buffer) => chunks.push(c));
    holds.push(
      new Promise((resolve) => {
        req.on("end", () =>
          setTimeout(() => {
            if (gone) {
              resolve(undefined);
              return;
            }
            passOn(upstream, req, Buffer.concat(chunks), res);
            resolve(`${req.method} ${req.url}`);
          }, holdMs),
        );
        req.on("close", () => {
          if (!req.complete) {
            gone = true;
            resolve(undefined);
          }
        });
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    firstHeld,
    requests,
    async settled() {
      const ends = await Promise.all(holds);
      return {
        passedOn: ends.filter((e): e is string => e !== undefined),
        dropped: ends.filter((e) => e === undefined).length,
      };
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
