import { describe, expect, it } from "vitest";
import {
  apiHost,
  ImageReferenceError,
  parseReference,
  pinned,
  platformTag,
  registryHost,
} from "../../src/registry/reference.js";

describe("image references", () => {
  it("puts a one-part name on Docker Hub under library/", () => {
    expect(parseReference("busybox")).toEqual({
      name: "busybox",
      host: "docker.io",
      repository: "library/busybox",
    });
    expect(parseReference("busybox:1.36")).toMatchObject({
      repository: "library/busybox",
      tag: "1.36",
    });
  });

  it("keeps a Docker Hub user's repository as written", () => {
    expect(parseReference("moby/buildkit:v0.12")).toEqual({
      name: "moby/buildkit",
      host: "docker.io",
      repository: "moby/buildkit",
      tag: "v0.12",
    });
  });

  it("reads the first part as a host only when it looks like one", () => {
    expect(parseReference("localhost:5000/app:1")).toEqual({
      name: "localhost:5000/app",
      host: "localhost:5000",
      repository: "app",
      tag: "1",
    });
    expect(parseReference("localhost/team/app").host).toBe("localhost");
    expect(parseReference("ghcr.io/org/team/app").repository).toBe("org/team/app");
    expect(parseReference("Registry/app").host).toBe("Registry");
    expect(parseReference("team/app").host).toBe("docker.io");
  });

  it("treats index.docker.io as docker.io, with library/ for one-part names", () => {
    expect(parseReference("index.docker.io/busybox")).toMatchObject({
      host: "docker.io",
      repository: "library/busybox",
    });
    expect(parseReference("docker.io/library/busybox").repository).toBe("library/busybox");
  });

  it("reads a digest, with or without a tag, and a port is not a tag", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    expect(parseReference(`127.0.0.1:5000/app:1@${digest}`)).toEqual({
      name: "127.0.0.1:5000/app",
      host: "127.0.0.1:5000",
      repository: "app",
      tag: "1",
      digest,
    });
    expect(parseReference(`app@${digest}`)).toMatchObject({ digest, repository: "library/app" });
    expect(parseReference("127.0.0.1:5000/app").tag).toBeUndefined();
  });

  it("refuses what is not a reference, saying how to write one", () => {
    for (const bad of ["", ":1", "app:", "app@"])
      expect(() => parseReference(bad)).toThrow(ImageReferenceError);
    expect(() => parseReference("app:")).toThrow(/NAME\[:TAG\]\[@DIGEST\]/);
  });

  it("names the host as the Docker config does and the API host Docker Hub answers on", () => {
    expect(registryHost("busybox")).toBe("docker.io");
    expect(registryHost("127.0.0.1:5000/app:1")).toBe("127.0.0.1:5000");
    expect(apiHost("docker.io")).toBe("registry-1.docker.io");
    expect(apiHost("127.0.0.1:5000")).toBe("127.0.0.1:5000");
  });

  it("pins a reference to a digest in place of its tag", () => {
    expect(pinned("localhost:5000/app:1", "sha256:ab")).toBe("localhost:5000/app@sha256:ab");
    expect(pinned("app", "sha256:ab")).toBe("app@sha256:ab");
    expect(pinned("localhost:5000/app:1@sha256:old", "sha256:new")).toBe(
      "localhost:5000/app@sha256:new",
    );
  });

  it("builds the per-platform tag of a split image in the same repository", () => {
    expect(platformTag("localhost:5000/app:1", "linux/arm/v7")).toBe(
      "localhost:5000/app:1-mbake-linux-arm-v7",
    );
    expect(platformTag("localhost:5000/app", "linux/amd64")).toBe(
      "localhost:5000/app:latest-mbake-linux-amd64",
    );
    const part = parseReference(platformTag("localhost:5000/app:1", "linux/amd64"));
    expect(part.repository).toBe(parseReference("localhost:5000/app:1").repository);
  });
});
