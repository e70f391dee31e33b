import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import {
  authDefinition,
  contentDefinition,
  controlDefinition,
  fileSendDefinition,
  fileSyncDefinition,
  gatewayDefinition,
  healthDefinition,
  secretsDefinition,
  sshDefinition,
} from "../../../src/buildkit/api/services.js";

const apiDir = fileURLToPath(new URL("../../../src/buildkit/api/", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

const definitions: [string, string, grpc.ServiceDefinition][] = [
  ["control.proto", "moby.buildkit.v1.Control", controlDefinition],
  ["filesync.proto", "moby.filesync.v1.FileSync", fileSyncDefinition],
  ["filesync.proto", "moby.filesync.v1.FileSend", fileSendDefinition],
  ["auth.proto", "moby.filesync.v1.Auth", authDefinition],
  ["secrets.proto", "moby.buildkit.secrets.v1.Secrets", secretsDefinition],
  ["ssh.proto", "moby.sshforward.v1.SSH", sshDefinition],
  ["content.proto", "containerd.services.content.v1.Content", contentDefinition],
  ["health.proto", "grpc.health.v1.Health", healthDefinition],
  ["gateway.proto", "moby.buildkit.v1.frontend.LLBBridge", gatewayDefinition],
];

/** What @grpc/proto-loader made of the same .proto file, with the options mbake used with it. */
function protoLoaderDefinition(file: string, service: string): grpc.ServiceDefinition {
  const pkg = protoLoader.loadSync(file, {
    keepCase: true,
    longs: String,
    enums: Number,
    bytes: Buffer,
    defaults: true,
    oneofs: true,
    includeDirs: [apiDir],
  });
  return pkg[service] as grpc.ServiceDefinition;
}

describe("the gRPC service definitions on the generated protobuf code", () => {
  it("have the methods, paths and streaming of the .proto files", () => {
    for (const [file, service, ours] of definitions) {
      const root = protobuf.loadSync(`${apiDir}${file}`);
      const parsed = root.lookupService(service);
      expect(Object.keys(ours).sort(), service).toEqual(Object.keys(parsed.methods).sort());
      for (const [name, m] of Object.entries(parsed.methods)) {
        const def = ours[name]!;
        expect(def.path).toBe(`/${service}/${name}`);
        expect(def.requestStream, `${service}/${name}`).toBe(m.requestStream === true);
        expect(def.responseStream, `${service}/${name}`).toBe(m.responseStream === true);
      }
    }
  });

  it("encode and decode every method's messages as @grpc/proto-loader did", () => {
    // One message per method, filled from the .proto's own description of it, so every
    // field of every request and response type goes through both codecs.
    for (const [file, service, ours] of definitions) {
      const root = protobuf.loadSync(`${apiDir}${file}`).resolveAll();
      const reference = protoLoaderDefinition(file, service);
      for (const [name, m] of Object.entries(root.lookupService(service).methods)) {
        for (const [side, typeName] of [
          ["request", m.requestType],
          ["response", m.responseType],
        ] as const) {
          const type = root.lookupType(typeName.replace(/^\./, ""));
          const sample = sampleOf(type, 0);
          const ourDef = ours[name]!;
          const refDef = reference[name]!;
          const serialize = side === "request" ? "requestSerialize" : "responseSerialize";
          const deserialize = side === "request" ? "requestDeserialize" : "responseDeserialize";
          const bytes = ourDef[serialize](sample);
          const where = `${service}/${name} ${side} (${type.fullName})`;
          expect(bytes.equals(refDef[serialize](sample)), where).toBe(true);
          expect(ourDef[deserialize](bytes), where).toEqual(refDef[deserialize](bytes));
          // Defaults are filled in as proto-loader filled them.
          const empty = Buffer.alloc(0);
          expect(ourDef[deserialize](empty), where).toEqual(refDef[deserialize](empty));
        }
      }
    }
  });

  it("the committed generated code is what `npm run gen:proto` makes from the .proto files", () => {
    // Exits 1 and names the stale files when they differ.
    execFileSync(process.execPath, ["scripts/gen-proto.mjs", "--check"], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
  }, 180_000);
});

/** A message with every field set to a value of its type (nested messages to depth 2). */
function sampleOf(type: protobuf.Type, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const one = (i: number): unknown => {
      const r = field.resolvedType;
      if (r instanceof protobuf.Enum) return Object.values(r.values).at(-1);
      if (r instanceof protobuf.Type) return depth < 2 ? sampleOf(r, depth + 1) : {};
      switch (field.type) {
        case "string":
          return `${field.name}-${i}`;
        case "bytes":
          return Buffer.from(`${field.name}:${i}`);
        case "bool":
          return true;
        case "int64":
        case "uint64":
        case "sint64":
        case "fixed64":
        case "sfixed64":
          return "9007199254740993";
        case "double":
        case "float":
          return 1.5;
        default:
          return 42 + i;
      }
    };
    if (field.map) out[field.name] = { a: one(0), b: one(1) };
    else if (field.repeated) out[field.name] = [one(0), one(1)];
    else out[field.name] = one(0);
  }
  return out;
}
