import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { describe, expect, it } from "vitest";
import { trustedCas } from "../../src/registry/transport.js";
import { defaultRootsWithDeferred, deferredCas } from "../../src/support/deferred-ca.js";

const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

function caFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-deferred-ca-"));
  const file = join(dir, "extra.pem");
  writeFileSync(file, pem);
  return file;
}

describe("NODE_EXTRA_CA_CERTS deferred by the mbake command", () => {
  it("adds nothing when Node loaded the file itself (no MBAKE_EXTRA_CA_CERTS)", () => {
    const env = { NODE_EXTRA_CA_CERTS: caFile(), DOCKER_CONFIG: mkdtempSync(join(tmpdir(), "d-")) };
    expect(deferredCas(env)).toEqual([]);
    expect(trustedCas("registry.example:5000", env)).toBeUndefined();
    expect(defaultRootsWithDeferred(env)).toBeNull();
  });

  it("trusts Node's roots and the deferred file for registries and gRPC endpoints", () => {
    const file = caFile();
    const env = { MBAKE_EXTRA_CA_CERTS: file, DOCKER_CONFIG: mkdtempSync(join(tmpdir(), "d-")) };
    expect(deferredCas(env)).toEqual([pem]);
    expect(trustedCas("registry.example:5000", env)).toEqual({
      ca: [...rootCertificates, pem],
      files: [],
    });
    const roots = defaultRootsWithDeferred(env)?.toString() ?? "";
    expect(roots.endsWith(pem)).toBe(true);
    expect(roots).toContain(rootCertificates[0]);
    // grpc-js's own default roots file wins, as it would over Node's store.
    expect(defaultRootsWithDeferred({ ...env, GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: file })).toBeNull();
  });

  it("passes over a file that cannot be read with a warning, as Node does", () => {
    const warnings: string[] = [];
    const missing = join(tmpdir(), "mbake-no-such-ca.pem");
    expect(deferredCas({ MBAKE_EXTRA_CA_CERTS: missing }, (w) => warnings.push(w))).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`Ignoring extra certs from \`${missing}\``);
  });
});
