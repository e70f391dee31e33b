/** Typed calls of BuildKit's Control service over grpc-js. */
import * as grpc from "@grpc/grpc-js";
import type { SolveStatus } from "../../progress/status.js";
import { whenAborted } from "../../support/abort.js";
import { controlDefinition, gatewayDefinition } from "../api/services.js";
import type { SourcePolicyMessage } from "../solve/source-policy.js";
import { decodeStatus } from "./decode.js";

export interface WorkerInfo {
  readonly id: string;
  readonly platforms: string[];
  readonly labels: Record<string, string>;
  readonly buildkitVersion?: string;
}

export interface UsageRecord {
  readonly id: string;
  readonly size: number;
  readonly inUse: boolean;
  readonly shared: boolean;
  readonly mutable: boolean;
  readonly description: string;
  readonly recordType: string;
  readonly lastUsedAt?: Date;
  readonly usageCount: number;
}

export interface SolveRequestMessage {
  Ref: string;
  Exporter?: string;
  ExporterAttrs?: Record<string, string>;
  Exporters?: { Type: string; Attrs: Record<string, string> }[];
  Session: string;
  Frontend: string;
  FrontendAttrs: Record<string, string>;
  Cache?: {
    Exports?: { Type: string; Attrs: Record<string, string> }[];
    Imports?: { Type: string; Attrs: Record<string, string> }[];
    ExportRefDeprecated?: string;
    ImportRefsDeprecated?: string[];
    ExportAttrsDeprecated?: Record<string, string>;
  };
  Entitlements?: string[];
  SourcePolicy?: SourcePolicyMessage;
}

type Unary<Req, Res> = (
  req: Req,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res: Res) => void,
) => grpc.ClientUnaryCall;

interface RawControlClient extends grpc.Client {
  ListWorkers: Unary<
    { filter: string[] },
    {
      record: {
        ID: string;
        Labels: Record<string, string>;
        platforms: { Architecture: string; OS: string; Variant: string }[];
        BuildkitVersion?: { version: string } | null;
      }[];
    }
  >;
  Info: Unary<object, { buildkitVersion?: { version: string; package: string } | null }>;
  DiskUsage: Unary<{ filter: string[] }, { record: RawUsage[] }>;
  Solve: Unary<SolveRequestMessage, { ExporterResponse: Record<string, string> }>;
  Prune(
    req: { filter: string[]; all: boolean; keepDuration: string; keepBytes: string },
    opts?: grpc.CallOptions,
  ): grpc.ClientReadableStream<RawUsage>;
  Status(
    req: { Ref: string },
    opts?: grpc.CallOptions,
  ): grpc.ClientReadableStream<Parameters<typeof decodeStatus>[0]>;
  Session(
    md: grpc.Metadata,
    opts?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<{ data: Buffer }, { data: Buffer }>;
}

interface RawUsage {
  ID: string;
  Size: string;
  InUse: boolean;
  Shared: boolean;
  Mutable: boolean;
  Description: string;
  RecordType: string;
  UsageCount: string;
  LastUsedAt?: { seconds: string; nanos: number } | null;
}

export function platformString(p: { Architecture: string; OS: string; Variant: string }): string {
  return `${p.OS}/${p.Architecture}${p.Variant ? `/${p.Variant}` : ""}`;
}

function toUsage(r: RawUsage): UsageRecord {
  return {
    id: r.ID,
    size: Number(r.Size),
    inUse: r.InUse,
    shared: r.Shared,
    mutable: r.Mutable,
    description: r.Description,
    recordType: r.RecordType,
    usageCount: Number(r.UsageCount),
    ...(r.LastUsedAt ? { lastUsedAt: new Date(Number(r.LastUsedAt.seconds) * 1000) } : {}),
  };
}

const ControlClient = grpc.makeGenericClientConstructor(
  controlDefinition,
  "moby.buildkit.v1.Control",
);

interface RawGatewayClient extends grpc.Client {
  Solve: Unary<
    {
      Frontend: string;
      FrontendOpt: Record<string, string>;
      allowResultReturn: boolean;
      allowResultArrayRef: boolean;
    },
    { result?: { metadata: Record<string, Buffer> } | null }
  >;
  Return: Unary<
    { result?: { metadata: Record<string, Buffer> }; error?: { code: number; message: string } },
    object
  >;
}

const GatewayClient = grpc.makeGenericClientConstructor(
  gatewayDefinition,
  "moby.buildkit.v1.frontend.LLBBridge",
);

/** The gRPC metadata that routes an LLBBridge call to the solve of that ref. */
const buildIdKey = "buildkit-controlapi-buildid";

export class ControlApi {
  readonly raw: RawControlClient;

  constructor(
    target: string,
    credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
    options: grpc.ChannelOptions = {},
  ) {
    this.raw = new ControlClient(target, credentials, {
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
      "grpc.max_send_message_length": 64 * 1024 * 1024,
      ...options,
    }) as unknown as RawControlClient;
  }

  private unary<Req, Res>(
    method: Unary<Req, Res>,
    req: Req,
    deadlineMs?: number,
    signal?: AbortSignal,
    on: { client: grpc.Client; md: grpc.Metadata } = {
      client: this.raw,
      md: new grpc.Metadata(),
    },
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      const call = method.call(
        on.client,
        req,
        on.md,
        deadlineMs ? { deadline: Date.now() + deadlineMs } : {},
        (err, res) => (err ? reject(err) : resolve(res)),
      );
      if (signal) whenAborted(signal, () => call.cancel());
    });
  }

  async listWorkers(deadlineMs = 10_000): Promise<WorkerInfo[]> {
    const res = await this.unary(this.raw.ListWorkers, { filter: [] }, deadlineMs);
    return res.record.map((r) => ({
      id: r.ID,
      platforms: r.platforms.map(platformString),
      labels: r.Labels,
      ...(r.BuildkitVersion?.version ? { buildkitVersion: r.BuildkitVersion.version } : {}),
    }));
  }

  /** Info's answer, or undefined where Info is not implemented (BuildKit before v0.11). */
  async info(deadlineMs = 10_000): Promise<{ version?: string } | undefined> {
    try {
      const res = await this.unary(this.raw.Info, {}, deadlineMs);
      const version = res.buildkitVersion?.version;
      return version ? { version } : {};
    } catch (err) {
      if ((err as grpc.ServiceError).code === grpc.status.UNIMPLEMENTED) return undefined;
      throw err;
    }
  }

  async diskUsage(): Promise<UsageRecord[]> {
    const res = await this.unary(this.raw.DiskUsage, { filter: [] }, 60_000);
    return res.record.map(toUsage);
  }

  prune(
    opts: { all: boolean; keepDurationMs?: number; keepBytes?: number },
    onRecord: (r: UsageRecord) => void,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const stream = this.raw.Prune({
        filter: [],
        all: opts.all,
        keepDuration: String(Math.round((opts.keepDurationMs ?? 0) * 1e6)),
        keepBytes: String(opts.keepBytes ?? 0),
      });
      stream.on("data", (r: RawUsage) => onRecord(toUsage(r)));
      stream.on("error", reject);
      stream.on("end", () => resolve());
    });
  }

  solve(req: SolveRequestMessage, signal: AbortSignal): Promise<Record<string, string>> {
    return this.unary(this.raw.Solve, req, undefined, signal).then((r) => r.ExporterResponse ?? {});
  }

  /** Streams status updates of a solve until it ends; resolves when the stream closes. */
  status(ref: string, onStatus: (s: SolveStatus) => void, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const stream = this.raw.Status({ Ref: ref });
      whenAborted(signal, () => stream.cancel());
      stream.on("data", (raw) => onStatus(decodeStatus(raw)));
      stream.on("error", () => resolve());
      stream.on("end", () => resolve());
    });
  }

  /**
   * Acts as the client-side frontend of the solve `ref` (a Solve sent with no frontend and
   * no definition): asks the daemon's `frontend` with `opts` through LLBBridge, returns the
   * answer's metadata (a subrequest answers there: result.json, result.txt, ...) and ends
   * the solve with Return.
   */
  async frontendRequest(
    ref: string,
    frontend: string,
    opts: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Record<string, string>> {
    const gateway = new GatewayClient("unused", grpc.credentials.createInsecure(), {
      channelOverride: this.raw.getChannel(),
    }) as unknown as RawGatewayClient;
    const md = new grpc.Metadata();
    md.set(buildIdKey, ref);
    const on = { client: gateway, md };
    try {
      const res = await this.unary(
        gateway.Solve,
        {
          Frontend: frontend,
          FrontendOpt: opts,
          allowResultReturn: true,
          allowResultArrayRef: true,
        },
        undefined,
        signal,
        on,
      );
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.result?.metadata ?? {})) metadata[k] = v.toString();
      await this.unary(gateway.Return, { result: { metadata: {} } }, 30_000, signal, on);
      return metadata;
    } catch (err) {
      const message = (err as grpc.ServiceError).details || (err as Error).message;
      // The solve waits for Return: end it with the error (it may be gone already).
      await this.unary(
        gateway.Return,
        { error: { code: grpc.status.UNKNOWN, message } },
        5_000,
        undefined,
        on,
      ).catch(() => {});
      throw err;
    }
  }

  close(): void {
    this.raw.close();
  }
}
