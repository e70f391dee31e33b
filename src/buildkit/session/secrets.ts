/** The Secrets session service: `id=..,src=FILE` and `id=..,env=VAR` secrets. */
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { processSecrets } from "../../support/secret-texts.js";
import { secretsDefinition } from "../api/services.js";
import type { SessionService } from "./service.js";

const definition = secretsDefinition;

export interface SecretSpec {
  readonly id: string;
  readonly src?: string;
  readonly env?: string;
  /** For `id=X` alone: the file X, resolved where the user runs mbake (used when $X is not set). */
  readonly idFile?: string;
}

export class SecretError extends Error {
  override name = "SecretError";
}

/** BuildKit's limit on a secret's size (the daemon refuses bigger ones). */
export const MAX_SECRET_BYTES = 500 * 1024;

/**
 * Where a secret's value comes from, by BuildKit's rule: `env=VAR` from the environment,
 * `src=FILE` from a file, and `id=X` alone from the environment variable X when it is
 * set, else from the file X (relative to where mbake runs).
 */
export function secretSource(
  s: SecretSpec,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
):
  | { readonly kind: "env"; readonly name: string }
  | { readonly kind: "file"; readonly path: string } {
  if (s.env !== undefined) return { kind: "env", name: s.env };
  if (s.src !== undefined) return { kind: "file", path: resolve(cwd, s.src) };
  if (env[s.id] !== undefined) return { kind: "env", name: s.id };
  return { kind: "file", path: s.idFile ?? resolve(cwd, s.id) };
}

/**
 * A secret's value: the one rule the session follows. Every value read is added to the
 * process's secret texts, which every output's masker hides.
 */
export function readSecret(
  s: SecretSpec,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): Buffer {
  const value = readSecretValue(s, env, cwd);
  processSecrets.add(value);
  return value;
}

function readSecretValue(
  s: SecretSpec,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): Buffer {
  const source = secretSource(s, env, cwd);
  if (source.kind === "env") {
    const v = env[source.name];
    if (v === undefined)
      throw new SecretError(`secret "${s.id}": the environment variable ${source.name} is not set`);
    return Buffer.from(v);
  }
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(source.path);
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new SecretError(
      s.src === undefined && s.env === undefined
        ? `secret "${s.id}" has neither src= nor env=, no environment variable ${s.id} is set, and there is no file ${source.path} (${why})`
        : `secret "${s.id}": cannot read ${source.path}: ${why}`,
    );
  }
  if (!st.isFile()) throw new SecretError(`secret "${s.id}": ${source.path} is not a regular file`);
  if (st.size > MAX_SECRET_BYTES)
    throw new SecretError(
      `secret "${s.id}": ${source.path} has ${st.size} bytes; BuildKit takes secrets of at most 500 KiB`,
    );
  try {
    return readFileSync(source.path);
  } catch (err) {
    throw new SecretError(
      `secret "${s.id}": cannot read ${source.path}: ${(err as Error).message}`,
    );
  }
}

/** Reads every secret now (so a missing file fails before the build). */
export function loadSecrets(
  specs: readonly SecretSpec[],
  env: Readonly<Record<string, string | undefined>>,
  cwd: string = process.cwd(),
): Map<string, Buffer> {
  const values = new Map<string, Buffer>();
  for (const s of specs) values.set(s.id, readSecret(s, env, cwd));
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
