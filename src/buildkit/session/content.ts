/**
 * containerd's Content service, served in the session so that BuildKit can read and
 * write content stores on this machine (local cache import/export). The daemon names
 * the store in the `buildkit-attachable-store-id` header ("local:" + folder).
 */
import * as grpc from "@grpc/grpc-js";
import { contentDefinition } from "../api/services.js";
import {
  type BlobInfo,
  ContentError,
  type IngestStatus,
  type OciLayoutStore,
} from "./oci-layout-store.js";
import { metadataValues, type SessionService } from "./service.js";

const definition = contentDefinition;

export const storeIdHeader = "buildkit-attachable-store-id";

const codes: Record<ContentError["kind"], grpc.status> = {
  "not-found": grpc.status.NOT_FOUND,
  "already-exists": grpc.status.ALREADY_EXISTS,
  "invalid-argument": grpc.status.INVALID_ARGUMENT,
  "failed-precondition": grpc.status.FAILED_PRECONDITION,
  unavailable: grpc.status.UNAVAILABLE,
  "out-of-range": grpc.status.OUT_OF_RANGE,
};

function toStatus(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof ContentError) return { code: codes[err.kind], details: err.message };
  return { code: grpc.status.INTERNAL, details: (err as Error)?.message ?? String(err) };
}

function timestamp(d: Date): { seconds: number; nanos: number } {
  const ms = d.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

function statusMessage(s: IngestStatus) {
  return {
    started_at: timestamp(s.startedAt),
    updated_at: timestamp(s.updatedAt),
    ref: s.ref,
    offset: s.offset,
    total: s.total,
    expected: s.expected,
  };
}

type Call = { metadata: grpc.Metadata };

/** Serves the given stores, keyed by their id ("local:/abs/folder"). */
export function contentService(stores: ReadonlyMap<string, OciLayoutStore>): SessionService {
  const choose = (call: Call): OciLayoutStore => {
    const id = metadataValues(call.metadata, storeIdHeader)[0];
    if (id === undefined)
      throw new ContentError("invalid-argument", `request lacks metadata ${storeIdHeader}`);
    const store = stores.get(id);
    if (!store) throw new ContentError("not-found", `unknown store ${id}`);
    return store;
  };
  const infoMessage = (i: BlobInfo) => {
    return {
      digest: i.digest,
      size: i.size,
      created_at: timestamp(i.createdAt),
      updated_at: timestamp(i.updatedAt),
      labels: i.labels,
    };
  };
  const unary =
    <Req, Res>(fn: (store: OciLayoutStore, req: Req) => Res) =>
    (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>) => {
      try {
        cb(null, fn(choose(call), call.request));
      } catch (err) {
        cb(toStatus(err));
      }
    };

  return {
    name: "containerd.services.content.v1.Content",
    definition,
    implementation: {
      Info: unary((store, req: { digest: string }) => ({
        info: infoMessage(store.info(req.digest)),
      })),
      Update: unary(
        (store, req: { info?: { digest: string; labels?: Record<string, string> } }) => {
          return {
            info: infoMessage(store.update(req.info?.digest ?? "", req.info?.labels ?? {})),
          };
        },
      ),
      Delete: unary((store, req: { digest: string }) => {
        store.delete(req.digest);
        return {};
      }),
      Status: unary((store, req: { ref: string }) => ({
        status: statusMessage(store.status(req.ref)),
      })),
      ListStatuses: unary((store) => ({ statuses: store.statuses().map(statusMessage) })),
      Abort: unary((store, req: { ref: string }) => {
        store.abort(req.ref);
        return {};
      }),
      List(call: grpc.ServerWritableStream<unknown, unknown>) {
        try {
          const store = choose(call);
          const infos = store.list().map(infoMessage);
          for (let i = 0; i < infos.length; i += 100) call.write({ info: infos.slice(i, i + 100) });
          call.end();
        } catch (err) {
          call.emit("error", toStatus(err));
        }
      },
      Read(
        call: grpc.ServerWritableStream<{ digest: string; offset: string; size: string }, unknown>,
      ) {
        void (async () => {
          try {
            const store = choose(call);
            const req = call.request;
            for await (const chunk of store.read(
              req.digest,
              Number(req.offset),
              Number(req.size),
            )) {
              if (call.cancelled) return;
              if (!call.write(chunk)) await new Promise((r) => call.once("drain", r));
            }
            call.end();
          } catch (err) {
            call.emit("error", toStatus(err));
          }
        })();
      },
      Write: writeHandler(choose),
    },
  };
}

interface WriteRequest {
  action: number;
  ref: string;
  total: string;
  expected: string;
  offset: string;
  data: Buffer;
  labels: Record<string, string>;
}

const STAT = 0;
const COMMIT = 2;

/** containerd's Write protocol: the first message names the ref; every message is answered. */
function writeHandler(choose: (call: Call) => OciLayoutStore) {
  return (call: grpc.ServerDuplexStream<WriteRequest, unknown>) => {
    let writer: ReturnType<OciLayoutStore["writer"]> | undefined;
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      writer?.close();
      call.emit("error", toStatus(err));
    };
    call.on("data", (req: WriteRequest) => {
      if (failed) return;
      try {
        const total = Number(req.total);
        if (!writer) {
          if (!req.ref)
            throw new ContentError("invalid-argument", "first message must have a reference");
          writer = choose(call).writer(req.ref, total, req.expected);
        } else if (req.expected && choose(call).has(req.expected)) {
          throw new ContentError("already-exists", `content ${req.expected} already exists`);
        }
        const status = writer.status();
        let response: Record<string, unknown> = { action: req.action, offset: status.offset };
        if (req.action === STAT) {
          response = {
            ...response,
            digest: writer.digest(),
            started_at: timestamp(status.startedAt),
            updated_at: timestamp(status.updatedAt),
            total: total > 0 ? total : status.total,
          };
        } else {
          if (req.data.length > 0 || Number(req.offset) > 0 || status.offset > 0)
            writer.write(req.data, Number(req.offset));
          let digest = writer.digest();
          if (req.action === COMMIT) digest = writer.commit(total, req.expected, req.labels);
          response = { ...response, offset: writer.status().offset, digest };
        }
        call.write(response);
      } catch (err) {
        fail(err);
      }
    });
    call.on("end", () => {
      writer?.close();
      if (!failed) call.end();
    });
    call.on("error", () => writer?.close());
    call.on("cancelled", () => writer?.close());
  };
}
