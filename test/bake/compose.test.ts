/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose and bake text use ${} */
import { describe, expect, it } from "vitest";
import { composeToBake, interpolate, parseDotEnv } from "../../src/bake/compose.js";
import { printBake, resolveBake } from "../../src/bake/index.js";
import { DiagnosticError } from "../../src/diagnostics/diagnostic.js";

function printed(
  compose: string,
  env: Record<string, string> = {},
  extra: { name: string; text: string }[] = [],
) {
  const file = composeToBake({ name: "compose.yaml", text: compose }, env);
  return JSON.parse(
    printBake(
      resolveBake({
        files: [file, ...extra],
        names: [],
        overrides: [],
        env: {},
        localPlatform: "linux/amd64",
      }),
    ),
  );
}

describe("compose files as bake files", () => {
  it("makes a target per service with a build section, in the default group", () => {
    const out = printed(
      `
x-common: &common
  platforms: ["linux/amd64", "linux/arm64"]
services:
  web.app:
    image: registry.example/web:\${TAG:-dev}
    build:
      context: ./web
      dockerfile: Dockerfile.prod
      target: runtime
      args:
        - VERSION=\${VERSION}
        - FROM_ENV
      labels:
        team: web
      cache_from: ["user/app:cache", "type=local,src=.cache"]
      extra_hosts: ["db:10.0.0.5"]
      ssh: ["default"]
      secrets: [token]
      additional_contexts:
        base: service:base
      shm_size: 2gb
      no_cache: true
      <<: *common
      x-bake:
        tags: ["registry.example/web:latest"]
        output: ["type=registry"]
    environment:
      FROM_ENV: from-service-env
  base:
    build: ./base
  db:
    image: postgres
secrets:
  token:
    environment: API_TOKEN
`,
      { VERSION: "1.2", TAG: "7" },
    );
    // buildx sorts the default group.
    expect(out.group.default.targets).toEqual(["base", "web_app"]);
    expect(out.target.web_app).toMatchObject({
      context: "web", // printed as buildx cleans it
      dockerfile: "Dockerfile.prod",
      target: "runtime",
      args: { VERSION: "1.2", FROM_ENV: "from-service-env" },
      labels: { team: "web" },
      tags: ["registry.example/web:latest"],
      platforms: ["linux/amd64", "linux/arm64"],
      "cache-from": [
        { type: "registry", ref: "user/app:cache" },
        { type: "local", src: ".cache" },
      ],
      contexts: { base: "target:base" },
      "extra-hosts": { db: "10.0.0.5" },
      secret: [{ id: "token", env: "API_TOKEN" }],
      "shm-size": "2gb",
      "no-cache": true,
      output: [{ type: "registry" }],
    });
    expect(out.target.base.context).toBe("base"); // cleaned, as buildx prints it
    expect(out.target.db).toBeUndefined();
  });

  it("uses the image as the tag when there are no tags, and keeps literal ${ from $$", () => {
    const out = printed(
      "services:\n  app:\n    image: app:${TAG}\n    build:\n      context: .\n      args:\n        LITERAL: $${NOT_A_VAR}\n",
      { TAG: "3" },
    );
    expect(out.target.app.tags).toEqual(["app:3"]);
    // The value is the text ${NOT_A_VAR}; --print escapes it again, as buildx prints it.
    expect(out.target.app.args).toEqual({ LITERAL: "$${NOT_A_VAR}" });
  });

  it("lets a bake file override a compose service, as buildx merges them", () => {
    const out = printed("services:\n  app:\n    build: .\n", {}, [
      { name: "docker-bake.hcl", text: 'target "app" {\n  tags = ["app:from-hcl"]\n}\n' },
    ]);
    expect(out.target.app).toMatchObject({ context: ".", tags: ["app:from-hcl"] });
  });

  it("interpolates as compose does", () => {
    const env = { SET: "v", EMPTY: "" };
    expect(
      interpolate("${SET}-$SET-${UNSET:-d}-${EMPTY:-e}-${EMPTY-f}-${SET:+alt}-$$", env, "x"),
    ).toBe("v-v-d-e--alt-$");
    expect(interpolate("${UNSET:-${SET}}", env, "x")).toBe("v");
    expect(() => interpolate("${UNSET:?set it}", env, "f")).toThrowError(
      "f: required variable UNSET is missing a value: set it",
    );
  });

  it("reads .env files", () => {
    expect(parseDotEnv("# c\nA=1\nexport B=\"two words\"\nC='x#y'\nD=plain # comment\n")).toEqual({
      A: "1",
      B: "two words",
      C: "x#y",
      D: "plain",
    });
  });

  it("reports YAML errors with line and column, and wrong shapes naming the service", () => {
    const bad = () =>
      composeToBake({ name: "compose.yaml", text: "services:\n  app:\n    build: [\n" }, {});
    expect(bad).toThrowError(DiagnosticError);
    expect(bad).toThrowError(/^compose\.yaml:\d+:\d+: /);
    expect(() =>
      composeToBake(
        { name: "compose.yaml", text: "services:\n  app:\n    build:\n      secrets: [nope]\n" },
        {},
      ),
    ).toThrowError(
      'compose.yaml: service "app": secret "nope" is not defined under the top-level secrets',
    );
    expect(() => composeToBake({ name: "compose.yaml", text: "version: '3'\n" }, {})).toThrowError(
      "compose.yaml: compose.yaml has no services",
    );
  });

  it("refuses an alias of a node inside itself with the path, not a stack overflow (fuzz finding)", () => {
    const text = "x-common: &c\n  builda: *c\n  b:\n    NaN<<: *c\n    imageage: b\n";
    expect(() => composeToBake({ name: "compose.yaml", text }, {})).toThrowError(
      "compose.yaml: cycle detected: the node at x-common.builda is an alias of a node that contains it",
    );
    // Through a << merge key the yaml library itself would recurse until the stack overflows.
    const merged = "x-common: &c\n eritss:\n  a: 1\n  b:\n    <<: *c\n";
    expect(() => composeToBake({ name: "compose.yaml", text: merged }, {})).toThrowError(
      "compose.yaml: cycle detected: the node at x-common.eritss.b.<< is an alias of a node that contains it",
    );
  });
});
