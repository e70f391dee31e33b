/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text uses ${} */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuildkitClient } from "../../src/buildkit/client.js";
import type { SolveStatus } from "../../src/progress/status.js";
import { runMbake } from "../cli/run-mbake.js";
import { buildSpec } from "./support/build-spec.js";
import {
  makeCertificates,
  startTlsFront,
  type TestCertificates,
  type TlsFront,
} from "./support/tls-front.js";
import { testEnv } from "./test-env.js";

const env = testEnv();
let certs: TestCertificates;
let front: TlsFront;

beforeAll(async () => {
  certs = makeCertificates({ dns: ["buildkitd.test"], ips: ["127.0.0.1"] });
  front = await startTlsFront(certs, env.engines[0]!.socketPath);
});
afterAll(async () => {
  await front?.close();
});

function clientTls() {
  return { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey };
}

describe("tcp:// endpoints with TLS (buildctl's --tlscacert, --tlscert, --tlskey, --tlsservername)", () => {
  it("lists workers over mutual TLS", async () => {
    const client = await BuildkitClient.connect(`tcp://127.0.0.1:${front.port}`, clientTls());
    try {
      const platforms = (await client.listWorkers()).flatMap((w) => w.platforms);
      expect(platforms).toContain("linux/amd64");
      expect((await client.capabilities()).kind).toBe("buildkitd");
    } finally {
      await client.close();
    }
  });

  it("checks the server certificate against the name given with serverName", async () => {
    const client = await BuildkitClient.connect(`tcp://127.0.0.1:${front.port}`, {
      ...clientTls(),
      serverName: "buildkitd.test",
    });
    try {
      expect((await client.listWorkers()).length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
    const wrong = await BuildkitClient.connect(`tcp://127.0.0.1:${front.port}`, {
      ...clientTls(),
      serverName: "elsewhere.test",
    });
    try {
      await expect(wrong.listWorkers()).rejects.toThrowError(
        new RegExp(
          `tcp://127\\.0\\.0\\.1:${front.port}: .*(elsewhere\\.test|certificate|altnames)`,
          "i",
        ),
      );
    } finally {
      await wrong.close();
    }
  });

  it("fails clearly, in bounded time, when the daemon refuses the client (no certificate)", async () => {
    const client = await BuildkitClient.connect(`tcp://127.0.0.1:${front.port}`, { ca: certs.ca });
    const started = Date.now();
    try {
      await expect(client.listWorkers()).rejects.toThrowError(
        new RegExp(`tcp://127\\.0\\.0\\.1:${front.port}: ListWorkers failed`),
      );
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      await client.close();
    }
  });

  it("fails clearly when the server's certificate is not signed by the given CA", async () => {
    const other = makeCertificates({ dns: [], ips: ["127.0.0.1"] });
    const client = await BuildkitClient.connect(`tcp://127.0.0.1:${front.port}`, {
      ca: other.ca,
      cert: certs.clientCert,
      key: certs.clientKey,
    });
    try {
      await expect(client.listWorkers()).rejects.toThrowError(/certificate|self.signed|verify/i);
    } finally {
      await client.close();
    }
  });

  it("builds through the Control.Session stream: context upload, local output, streamed status", async () => {
    const ctx = mkdtempSync(join(tmpdir(), "mbake-ctx-"));
    writeFileSync(join(ctx, "hello.txt"), "over TLS\n");
    writeFileSync(join(ctx, "skip.log"), "ignored\n");
    writeFileSync(join(ctx, ".dockerignore"), "*.log\n");
    const out = join(mkdtempSync(join(tmpdir(), "mbake-out-")), "result");
    const spec = buildSpec(
      ctx,
      `ARG BASE\nFROM \${BASE} AS b\nCOPY . /src\nRUN ls /src > /listing && echo tls-${Date.now()}\nFROM scratch\nCOPY --from=b /listing /src/hello.txt /\n`,
      { output: { type: "local", dest: out } },
    );
    const client = await BuildkitClient.connect(`tcp://127.0.0.1:${front.port}`, clientTls());
    const statuses: SolveStatus[] = [];
    try {
      await client.build(spec, {
        signal: new AbortController().signal,
        onStatus: (s) => statuses.push(s),
        env: {},
      });
    } finally {
      await client.close();
    }
    expect(readFileSync(join(out, "hello.txt"), "utf8")).toBe("over TLS\n");
    expect(readFileSync(join(out, "listing"), "utf8")).not.toContain("skip.log");
    expect(
      statuses
        .flatMap((s) => s.vertexes)
        .some((v) => v.name.includes("RUN ls /src") && v.completed),
    ).toBe(true);
  });

  it("mbake endpoints reaches it with the TLS files given in the endpoint address", async () => {
    const address = `tcp://127.0.0.1:${front.port}?cacert=${certs.ca}&cert=${certs.clientCert}&key=${certs.clientKey}`;
    const r = await runMbake(["endpoints", "--endpoint", `tls=${address}`]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`tls\\s+tcp://127\\.0\\.0\\.1:${front.port}\\s+yes`));
    const refused = await runMbake([
      "endpoints",
      "--endpoint",
      `tls=tcp://127.0.0.1:${front.port}?cacert=${certs.ca}`,
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/tls\s+tcp:\/\/127\.0\.0\.1:\d+\s+no/);
  });
});
