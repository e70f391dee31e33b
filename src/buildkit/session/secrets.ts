/** The Secrets session service: `id=..,src=FILE` and `id=..,env=VAR` secrets. */
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { loadProto, lookupProto } from "../api/load.js";
import type { SessionService } from "./service.js";

const definition = (
  lookupProto(
    loadProto("secrets.proto"),
    "moby.buildkit.secrets.v1.Secrets",
  ) as grpc.ServiceClientConstructor
).service;

export interface SecretSpec {
  readonly id: string;
  readonly src?: string;
  readonly env?: string;
}

export class SecretError extends Error {
  override name = "SecretError";
}

/** Reads every secret now (so a missing file fails before the build), keeping the values for masking. */
export function loadSecrets(
  specs: readonly SecretSpec[],
  env: Readonly<Record<string, string | undefined>>,
): Map<string, Buffer> {
  const values = new Map<string, Buffer>();
  for (const s of specs) {
    if (s.env !== undefined) {
      const v = env[s.env];
      if (v === undefined)
        throw new SecretError(`secret "${s.id}": the environment variable ${s.env} is not set`);
      values.set(s.id, Buffer.from(v));
    } else if (s.src !== undefined) {
      try {
        values.set(s.id, readFileSync(s.src));
      } catch (err) {
        throw new SecretError(`secret "${s.id}": cannot read ${s.src}: ${(err as Error).message}`);
      }
    } else {
      const v = env[s.id];
      if (v === undefined)
        throw new SecretError(
          `secret "${s.id}" has neither src= nor env=, and no environment variable ${s.id} is set`,
        );
      values.set(s.id, Buffer.from(v));
    }
  }
  return values;
}

export function secretsService(values: ReadonlyMap<string, Buffer>): SessionService {
  return {
    name: "moby.buildkit.secrets.v1.Secrets",
    definition,
    implementation: {
      GetSecret(
        call: grpc.ServerUnaryCall<{ ID: string }, unknown>,
        cb: grpc.sendUnaryData<{ data: Buffer }>,
      ) {
        const v = values.get(call.request.ID);
        if (!v) cb({ code: grpc.status.NOT_FOUND, details: `secret ${call.request.ID} not found` });
        else cb(null, { data: v });
      },
    },
  };
}
