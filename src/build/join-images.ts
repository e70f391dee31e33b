/**
 * The join step of a split target: its platforms were built on different endpoints and
 * pushed one per platform (see platformTag); this pushes, under each of the target's
 * tags, one index that names them all, and reports it as the target's image.
 */
import type { Target } from "../bake/model.js";
import type { JobOutcome } from "../progress/events.js";
import { RegistryClient } from "../registry/client.js";
import { apiHost, parseReference, platformTag, tagOf } from "../registry/reference.js";
import type { JobResult } from "../scheduler/scheduler.js";
import { throwIfAborted } from "../support/abort.js";
import { credentialsFor, readDockerConfig } from "../support/docker-config.js";

/**
 * Joins the parts under each tag. An abort of `signal` ends the request under way at once
 * and starts no other (CancelledError), so no tag is pushed after a Ctrl-C.
 */
export async function joinSplitImage(
  target: Target,
  parts: readonly JobResult[],
  env: Readonly<Record<string, string | undefined>>,
  signal: AbortSignal,
): Promise<JobOutcome> {
  const docker = readDockerConfig(env);
  const tags = target.tags ?? [];
  let digest = "";
  for (const tag of tags) {
    throwIfAborted(signal);
    const ref = parseReference(tag);
    const creds = credentialsFor(docker, ref.host);
    const client = new RegistryClient(
      apiHost(ref.host),
      creds ? { username: creds.username, secret: creds.secret } : undefined,
      { env, signal },
    );
    const manifests = await Promise.all(
      parts.map(async (p) => {
        const platform = p.job.platforms[0]!;
        const part = parseReference(platformTag(tag, platform));
        return { manifest: await client.manifest(part.repository, tagOf(part)), platform };
      }),
    );
    throwIfAborted(signal);
    digest = await client.putIndex(ref.repository, tagOf(ref), manifests);
  }
  return {
    exporterResponse: { "containerimage.digest": digest, "image.name": tags.join(",") },
    digest,
    output: tags.join(","),
  };
}
