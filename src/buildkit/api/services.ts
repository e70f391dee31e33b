/**
 * grpc-js service definitions for BuildKit's Control service and the session services
 * mbake serves, on top of the static protobuf code in generated/ (`npm run gen:proto`).
 * Nothing here parses a .proto file or loads grpc-js: a definition is a plain object
 * that grpc-js turns into a client (makeGenericClientConstructor) or serves (addService).
 *
 * Messages go in and come out as plain objects shaped as @grpc/proto-loader shaped them
 * with these options: field names as written in the .proto, 64-bit integers as decimal
 * strings, enums as numbers, bytes as Buffer, every field present with its default, and
 * the name of the set field of each oneof.
 */
import type * as grpc from "@grpc/grpc-js";
import type { IConversionOptions, Writer } from "protobufjs";
import { containerd, fsutil, google, grpc as grpcHealth, moby } from "./generated/buildkit.js";

/** What the generated code offers for each message type. */
interface MessageType<M> {
  readonly name: string;
  fromObject(object: { [k: string]: unknown }): M;
  encode(message: M): Writer;
  decode(bytes: Uint8Array): M;
  toObject(message: M, options: IConversionOptions): { [k: string]: unknown };
}

const asObject: IConversionOptions = {
  longs: String,
  enums: Number,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
};

/** A message given as a Buffer is taken as already encoded (fsutil's packets are encoded by hand). */
function serializer<M>(type: MessageType<M>): (value: object) => Buffer {
  return (value) => {
    if (Buffer.isBuffer(value)) return value;
    const bytes = type.encode(type.fromObject(value as { [k: string]: unknown })).finish();
    return Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  };
}

function deserializer<M>(type: MessageType<M>): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), asObject);
}

/** One method: its request and response types, and which side streams. */
interface MethodSpec {
  readonly request: AnyMessageType;
  readonly response: AnyMessageType;
  readonly requestStream?: boolean;
  readonly responseStream?: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: the generated classes differ in their message types
type AnyMessageType = MessageType<any>;

function method(
  request: AnyMessageType,
  response: AnyMessageType,
  streams: { requestStream?: boolean; responseStream?: boolean } = {},
): MethodSpec {
  return { request, response, ...streams };
}

/** The grpc-js definition of the service `fullName` ("moby.buildkit.v1.Control"). */
function serviceDefinition(
  fullName: string,
  methods: Record<string, MethodSpec>,
): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const [name, m] of Object.entries(methods)) {
    definition[name] = {
      path: `/${fullName}/${name}`,
      requestStream: m.requestStream === true,
      responseStream: m.responseStream === true,
      requestSerialize: serializer(m.request),
      requestDeserialize: deserializer(m.request),
      responseSerialize: serializer(m.response),
      responseDeserialize: deserializer(m.response),
    };
  }
  return definition;
}

const both = { requestStream: true, responseStream: true };
const control = moby.buildkit.v1;
const filesync = moby.filesync.v1;
const content = containerd.services.content.v1;
const Empty = google.protobuf.Empty;

export const controlDefinition = serviceDefinition("moby.buildkit.v1.Control", {
  DiskUsage: method(control.DiskUsageRequest, control.DiskUsageResponse),
  Prune: method(control.PruneRequest, control.UsageRecord, { responseStream: true }),
  Solve: method(control.SolveRequest, control.SolveResponse),
  Status: method(control.StatusRequest, control.StatusResponse, { responseStream: true }),
  Session: method(control.BytesMessage, control.BytesMessage, both),
  ListWorkers: method(control.ListWorkersRequest, control.ListWorkersResponse),
  Info: method(control.InfoRequest, control.InfoResponse),
});

const gateway = moby.buildkit.v1.frontend;

/** The daemon's LLBBridge, for a client that acts as the frontend of a solve (a subrequest). */
export const gatewayDefinition = serviceDefinition("moby.buildkit.v1.frontend.LLBBridge", {
  Solve: method(gateway.SolveRequest, gateway.SolveResponse),
  Return: method(gateway.ReturnRequest, gateway.ReturnResponse),
});

export const fileSyncDefinition = serviceDefinition("moby.filesync.v1.FileSync", {
  DiffCopy: method(fsutil.types.Packet, fsutil.types.Packet, both),
  TarStream: method(fsutil.types.Packet, fsutil.types.Packet, both),
});

export const fileSendDefinition = serviceDefinition("moby.filesync.v1.FileSend", {
  DiffCopy: method(filesync.BytesMessage, filesync.BytesMessage, both),
});

export const authDefinition = serviceDefinition("moby.filesync.v1.Auth", {
  Credentials: method(filesync.CredentialsRequest, filesync.CredentialsResponse),
  FetchToken: method(filesync.FetchTokenRequest, filesync.FetchTokenResponse),
  GetTokenAuthority: method(filesync.GetTokenAuthorityRequest, filesync.GetTokenAuthorityResponse),
  VerifyTokenAuthority: method(
    filesync.VerifyTokenAuthorityRequest,
    filesync.VerifyTokenAuthorityResponse,
  ),
});

export const secretsDefinition = serviceDefinition("moby.buildkit.secrets.v1.Secrets", {
  GetSecret: method(
    moby.buildkit.secrets.v1.GetSecretRequest,
    moby.buildkit.secrets.v1.GetSecretResponse,
  ),
});

export const sshDefinition = serviceDefinition("moby.sshforward.v1.SSH", {
  CheckAgent: method(moby.sshforward.v1.CheckAgentRequest, moby.sshforward.v1.CheckAgentResponse),
  ForwardAgent: method(moby.sshforward.v1.BytesMessage, moby.sshforward.v1.BytesMessage, both),
});

export const contentDefinition = serviceDefinition("containerd.services.content.v1.Content", {
  Info: method(content.InfoRequest, content.InfoResponse),
  Update: method(content.UpdateRequest, content.UpdateResponse),
  List: method(content.ListContentRequest, content.ListContentResponse, { responseStream: true }),
  Delete: method(content.DeleteContentRequest, Empty),
  Read: method(content.ReadContentRequest, content.ReadContentResponse, { responseStream: true }),
  Status: method(content.StatusRequest, content.StatusResponse),
  ListStatuses: method(content.ListStatusesRequest, content.ListStatusesResponse),
  Write: method(content.WriteContentRequest, content.WriteContentResponse, both),
  Abort: method(content.AbortRequest, Empty),
});

export const healthDefinition = serviceDefinition("grpc.health.v1.Health", {
  Check: method(grpcHealth.health.v1.HealthCheckRequest, grpcHealth.health.v1.HealthCheckResponse),
});

/** The message types of fsutil's packet stream, for code that encodes packets itself. */
export const Packet = fsutil.types.Packet;
export const FileSendBytes = filesync.BytesMessage;
export { asObject };
