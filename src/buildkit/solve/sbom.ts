/**
 * The sbom attestation runs a scanner image (by default docker/buildkit-syft-scanner from
 * Docker Hub) that the daemon pulls. Where it cannot (no internet, a registry it cannot
 * reach), the daemon's error names only a failed image resolve: say what it was for and
 * what to do. Pure.
 */
import type { Entry } from "./spec.js";

const defaultScanner = /(^|\/)docker\/buildkit-syft-scanner(:|@|$)/;

/** The image a failed step or message was resolving, if it was one. */
function resolvedImage(failedStep: string | undefined, message: string): string | undefined {
  const step = /resolve image config for docker-image:\/\/(\S+)/.exec(failedStep ?? "");
  if (step) return step[1];
  return /failed to resolve source metadata for (\S+?):? /.exec(message)?.[1];
}

/** A clear message when a build with sbom failed getting its scanner image; undefined otherwise. */
export function sbomScannerFailure(
  attest: readonly Entry[] | undefined,
  endpoint: string,
  failedStep: string | undefined,
  message: string,
): string | undefined {
  const sbom = attest?.find((e) => e.type === "sbom" && e.disabled !== "true");
  if (!sbom) return undefined;
  const image = resolvedImage(failedStep, message);
  if (!image) return undefined;
  const generator = sbom.generator?.replace(/^docker-image:\/\//, "");
  const isScanner = generator
    ? image === generator || image.endsWith(`/${generator}`) || image.startsWith(`${generator}@`)
    : defaultScanner.test(image);
  if (!isScanner) return undefined;
  return `the sbom attestation needs its scanner image ${image}, which endpoint ${endpoint} could not get (${message}); copy the scanner to a registry the daemon can pull from and name it with attest = ["type=sbom,generator=REGISTRY/IMAGE:TAG"], or leave the sbom attestation out`;
}
