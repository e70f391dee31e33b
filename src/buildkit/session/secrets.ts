/** The Secrets session service: `id=..,src=FILE` and `id=..,env=VAR` secrets. */
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { secretsDefinition } from "../api/services.js";
import type { SessionService } from "./service.js";

const definition = secretsDefinition;

export interface SecretSpec {
  readonly id: string;
  readonly src?: string;
  readonly env?: string;
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
  return { kind: "file", path: resolve(cwd, s.id) };
}

/** A secret's value; the one rule that both the session and the masker follow. */
export function readSecret(
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

/**
 * The texts to hide in every output for these secrets: each value, trimmed and whole, and
 * each of its longer lines (a multi-line secret is printed line by line). Secrets that
 * cannot be read are skipped here; the build reports them.
 */
export function secretTextsToMask(
  specs: readonly SecretSpec[],
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): string[] {
  const texts: string[] = [];
  for (const s of specs) {
    let value: string;
    try {
      value = readSecret(s, env, cwd).toString("utf8");
    } catch {
      continue;
    }
    texts.push(value, value.trim());
    for (const line of value.split(/\r?\n/)) if (line.trim().length >= 6) texts.push(line.trim());
  }
  return texts.filter((t) => t !== "");
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
