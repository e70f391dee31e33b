import { describe, expect, it } from "vitest";
import { sbomScannerFailure } from "../../src/buildkit/solve/sbom.js";

const dnsError =
  'failed to resolve source metadata for docker.io/docker/buildkit-syft-scanner:stable-1: failed to do request: Head "https://registry-1.docker.io/v2/docker/buildkit-syft-scanner/manifests/stable-1": dial tcp: lookup registry-1.docker.io: no such host';

describe("an sbom scanner image the daemon cannot get", () => {
  it("says which scanner image, which endpoint and what to do", () => {
    const text = sbomScannerFailure(
      [{ type: "sbom" }],
      "engine-modern",
      "resolve image config for docker-image://docker.io/docker/buildkit-syft-scanner:stable-1",
      dnsError,
    );
    expect(text).toMatch(
      /^the sbom attestation needs its scanner image docker\.io\/docker\/buildkit-syft-scanner:stable-1, which endpoint engine-modern could not get \(failed to resolve[^)]*no such host\); copy the scanner to a registry/,
    );
    // From the message alone when the step is not known.
    expect(sbomScannerFailure([{ type: "sbom" }], "e", undefined, dnsError)).toContain(
      "scanner image docker.io/docker/buildkit-syft-scanner:stable-1",
    );
  });

  it("knows a generator the target names, and leaves other failures alone", () => {
    const step = "resolve image config for docker-image://127.0.0.1:5000/tools/scanner:1";
    expect(
      sbomScannerFailure(
        [{ type: "sbom", generator: "127.0.0.1:5000/tools/scanner:1" }],
        "e",
        step,
        "not found",
      ),
    ).toContain("scanner image 127.0.0.1:5000/tools/scanner:1");
    // The base image failing is not the scanner's fault.
    const base = "resolve image config for docker-image://127.0.0.1:5000/busybox:latest";
    expect(sbomScannerFailure([{ type: "sbom" }], "e", base, "not found")).toBeUndefined();
    expect(sbomScannerFailure([{ type: "provenance" }], "e", step, "not found")).toBeUndefined();
    expect(
      sbomScannerFailure([{ type: "sbom", disabled: "true" }], "e", step, dnsError),
    ).toBeUndefined();
  });
});
