import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { TargetSpecError } from "../../src/build/target-spec.js";
import { OutputDestError } from "../../src/buildkit/session/output-dest.js";
import { AddressError } from "../../src/buildkit/transport/address.js";
import { UsageError } from "../../src/cli/args.js";
import { NoEndpointError } from "../../src/cli/connect.js";
import { ConfigError } from "../../src/cli/endpoint-config.js";
import type { CliIo } from "../../src/cli/io.js";
import { reportError } from "../../src/cli/run.js";
import { DiagnosticError, error } from "../../src/diagnostics/diagnostic.js";
import { InputError, kindOf } from "../../src/diagnostics/error-kind.js";
import { SharedCacheError } from "../../src/plan/shared-cache.js";
import { ImageReferenceError } from "../../src/registry/reference.js";

function io(options: { aborted?: boolean; env?: Record<string, string> } = {}) {
  const stderr = new PassThrough();
  let text = "";
  stderr.on("data", (c) => {
    text += String(c);
  });
  const controller = new AbortController();
  if (options.aborted) controller.abort();
  const world: CliIo = {
    argv: [],
    env: options.env ?? {},
    cwd: "/",
    stdout: new PassThrough(),
    stderr,
    stdin: new PassThrough(),
    signal: controller.signal,
  };
  return { world, stderr: () => text };
}

describe("errors carry their kind, and the kind picks the exit code", () => {
  it("every error in what the user wrote is an input error: exit 2, the message, no stack", () => {
    const inputs = [
      new ConfigError("mbake.json: bad"),
      new AddressError("bad address"),
      new SharedCacheError("bad cache"),
      new TargetSpecError("bad target"),
      new OutputDestError("bad dest"),
      new ImageReferenceError("bad reference"),
    ];
    for (const err of inputs) {
      expect(kindOf(err)).toBe("input");
      const { world, stderr } = io({ env: { MBAKE_DEBUG: "1" } });
      expect(reportError(err, world)).toBe(2);
      expect(stderr()).toBe(`mbake: ${err.message}\n`);
    }
  });

  it("usage errors add the help hint, diagnostics are rendered; both exit 2 even after Ctrl-C", () => {
    const usage = io({ aborted: true });
    expect(reportError(new UsageError("unknown flag --x", "du"), usage.world)).toBe(2);
    expect(usage.stderr()).toBe("mbake: unknown flag --x\nRun 'mbake du --help' for usage.\n");
    const diagnostic = io({ aborted: true });
    expect(reportError(new DiagnosticError(error("bad block")), diagnostic.world)).toBe(2);
    expect(diagnostic.stderr()).toContain("bad block");
  });

  it("no endpoint is an endpoint error: exit 1", () => {
    const err = new NoEndpointError("no BuildKit endpoint found");
    expect(kindOf(err)).toBe("endpoint");
    const { world, stderr } = io();
    expect(reportError(err, world)).toBe(1);
    expect(stderr()).toBe("mbake: no BuildKit endpoint found\n");
  });

  it("an error that says no kind is a failed build: exit 1, its stack only with MBAKE_DEBUG", () => {
    expect(kindOf(new Error("x"))).toBeUndefined();
    const plain = io();
    expect(reportError(new Error("solve failed"), plain.world)).toBe(1);
    expect(plain.stderr()).toBe("mbake: solve failed\n");
    const debug = io({ env: { MBAKE_DEBUG: "1" } });
    expect(reportError(new Error("solve failed"), debug.world)).toBe(1);
    expect(debug.stderr()).toMatch(/^mbake: solve failed\nError: solve failed\n\s+at /);
  });

  it("after Ctrl-C, any error but an input error is a cancellation: exit 130", () => {
    const { world, stderr } = io({ aborted: true });
    expect(reportError(new Error("stream closed"), world)).toBe(130);
    expect(stderr()).toBe("mbake: cancelled\n");
    const input = io({ aborted: true });
    expect(reportError(new InputError("bad"), input.world)).toBe(2);
  });
});
