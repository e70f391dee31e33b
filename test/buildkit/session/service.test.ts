import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { metadataValues } from "../../../src/buildkit/session/service.js";

describe("session request metadata", () => {
  it("splits repeated header fields that HTTP/2 joined with ', '", () => {
    const md = new grpc.Metadata();
    md.add("exclude-patterns", "*.key, *.log, !keep.log");
    md.add("exclude-patterns", "tmp");
    expect(metadataValues(md, "exclude-patterns")).toEqual(["*.key", "*.log", "!keep.log", "tmp"]);
    expect(metadataValues(md, "include-patterns")).toEqual([]);
  });
});
