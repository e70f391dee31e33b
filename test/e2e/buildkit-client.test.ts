/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text uses ${} */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuildFailedError, BuildkitClient } from "../../src/buildkit/client.js";
import type { SolveStatus } from "../../src/progress/status.js";
import { buildSpec } from "./support/build-spec.js";
import { testEnv } from "./test-env.js";

const env = testEnv();
const clients: BuildkitClient[] = [];

beforeAll(async () => {
  for (const e of env.engines) clients.push(await BuildkitClient.connect(e.endpoint));
});
afterAll(async () => {
  for (const c of clients) await c.close();
});

const spec = buildSpec;

function context(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "mbake-ctx-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe("BuildKit client on the Docker Engines", () => {
  it("lists workers for linux/amd64 and linux/arm64 through each Engine's socket", async () => {
    for (const c of clients) {
      const workers = await c.listWorkers();
      const platforms = workers.flatMap((w) => w.platforms);
      expect(platforms).toContain("linux/amd64");
      expect(platforms).toContain("linux/arm64");
      const caps = await c.capabilities();
      expect(caps.kind).toBe("docker-engine");
      expect(caps.cacheExporters).toEqual(["inline"]);
      expect(caps.version).toMatch(/^Docker Engine 20\.10/);
    }
  });

  it("builds a context (honouring .dockerignore) to a local folder, streaming status", async () => {
    const ctx = context({
      "hello.txt": "hello from the context\n",
      "secret.key": "no",
      "debug.log": "no",
      "keep.log": "yes",
      "tmp/scratch.txt": "no",
      ".dockerignore": "# several patterns, one per line\n*.key\n*.log\n!keep.log\ntmp\n",
    });
    const out = join(mkdtempSync(join(tmpdir(), "mbake-out-")), "result");
    const statuses: SolveStatus[] = [];
    const result = await clients[0]!.build(
      spec(
        ctx,
        `ARG BASE\nFROM \${BASE} AS build\nCOPY . /src\nRUN ls /src > /listing && echo built-${Date.now()}\nFROM scratch\nCOPY --from=build /listing /src/hello.txt /\n`,
        {
          output: { type: "local", dest: out },
        },
      ),
      { signal: new AbortController().signal, onStatus: (s) => statuses.push(s), env: {} },
    );
    expect(result.exporterResponse).toBeDefined();
    expect(readFileSync(join(out, "hello.txt"), "utf8")).toBe("hello from the context\n");
    const listing = readFileSync(join(out, "listing"), "utf8");
    expect(listing).toContain("hello.txt");
    expect(listing).not.toContain("secret.key");
    expect(listing).not.toContain("debug.log");
    expect(listing).not.toContain("tmp");
    expect(listing).toContain("keep.log");
    const vertexes = statuses.flatMap((s) => s.vertexes);
    expect(vertexes.some((v) => v.name.includes("RUN ls /src") && v.completed)).toBe(true);
    const logs = Buffer.concat(
      statuses.flatMap((s) => s.logs.map((l) => Buffer.from(l.data))),
    ).toString();
    expect(logs).toContain("built");
    expect(readdirSync(join(out, "..")).filter((n) => n.includes("mbake-tmp"))).toEqual([]);
  });

  it("runs linux/arm64 steps under emulation", async () => {
    const ctx = context({});
    const out = join(mkdtempSync(join(tmpdir(), "mbake-out-")), "arm");
    await clients[1]!.build(
      spec(
        ctx,
        "ARG BASE\nFROM ${BASE} AS b\nRUN uname -m > /arch\nFROM scratch\nCOPY --from=b /arch /\n",
        { platforms: ["linux/arm64"], output: { type: "local", dest: out } },
      ),
      {
        signal: new AbortController().signal,
        onStatus: () => {},
        env: {},
      },
    );
    expect(readFileSync(join(out, "arch"), "utf8").trim()).toBe("aarch64");
  });

  it("reports the failing step and leaves no output behind", async () => {
    const ctx = context({});
    const parent = mkdtempSync(join(tmpdir(), "mbake-out-"));
    const out = join(parent, "never");
    const err = await clients[0]!
      .build(
        spec(ctx, "ARG BASE\nFROM ${BASE}\nRUN echo about to fail && exit 3\n", {
          output: { type: "local", dest: out },
        }),
        {
          signal: new AbortController().signal,
          onStatus: () => {},
          env: {},
        },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildFailedError);
    expect((err as BuildFailedError).message).toMatch(/exit code: 3|returned a non-zero code: 3/);
    expect((err as BuildFailedError).failedStep).toMatch(/RUN echo about to fail/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
  });

  it("exports an image and pushes it to the registry with a digest the registry serves", async () => {
    const ctx = context({ "f.txt": String(Date.now()) });
    const name = `${env.registry}/e2e/pushed:${Date.now()}`;
    const result = await clients[0]!.build(
      spec(ctx, "ARG BASE\nFROM ${BASE}\nCOPY f.txt /\n", {
        tags: [name],
        output: { type: "registry" },
      }),
      {
        signal: new AbortController().signal,
        onStatus: () => {},
        env: {},
      },
    );
    const digest = result.pushed[name]!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const res = await fetch(`http://${env.registry}/v2/e2e/pushed/manifests/${digest}`, {
      headers: {
        accept:
          "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
      },
    });
    expect(res.status).toBe(200);
  });

  it("cancels a running build when aborted", async () => {
    const ctx = context({});
    const controller = new AbortController();
    const started = Date.now();
    const pending = clients[0]!.build(
      spec(ctx, `ARG BASE\nFROM \${BASE}\nRUN echo ${Date.now()} && sleep 60\n`, {}),
      {
        signal: controller.signal,
        onStatus: (s) => {
          if (s.vertexes.some((v) => v.name.includes("sleep 60") && v.started)) controller.abort();
        },
        env: {},
      },
    );
    await expect(pending).rejects.toThrowError(/cancelled/);
    expect(Date.now() - started).toBeLessThan(45_000);
  });
});
