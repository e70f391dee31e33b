/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose and bake text use ${} */
import { describe, expect, it } from "vitest";
import {
  composeToBake,
  interpolate,
  parseDotEnv,
  volumeSpecError,
} from "../../src/bake/compose.js";
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
      "shm-size": "2GiB", // as buildx prints it: bytes in binary units
      "no-cache": true,
      output: [{ type: "registry" }],
    });
    expect(out.target.base.context).toBe("base"); // cleaned, as buildx prints it
    expect(out.target.db).toBeUndefined();
  });

  it("uses the image as the tag when there are no tags, and keeps literal ${ from $$", () => {
    const out = printed(
      "services:\n  app:\n    image: app:${TAG}\n    build:\n      context: .\n      target: t$${NOT_A_VAR}\n",
      { TAG: "3" },
    );
    expect(out.target.app.tags).toEqual(["app:3"]);
    expect(out.target.app.target).toBe("t${NOT_A_VAR}");
  });

  it('escapes "${" and "%{" once more in args, labels and dockerfile_inline, as buildx prints them', () => {
    const out = printed(
      `services:
  app:
    build:
      context: .
      dockerfile_inline: "FROM x\\nRUN echo $\${X} %{Y} $$Z"
      args:
        A: "$\${A} %%{a}"
        FROM_ENV:
      labels:
        l: "$\${L}"
      target: "t$\${T}"
    environment:
      FROM_ENV: "%{e}"
`,
    );
    expect(out.target.app["dockerfile-inline"]).toBe("FROM x\nRUN echo $${X} %%{Y} $Z");
    expect(out.target.app.args).toEqual({ A: "$${A} %%%{a}", FROM_ENV: "%%{e}" });
    expect(out.target.app.labels).toEqual({ l: "$${L}" });
    expect(out.target.app.target).toBe("t${T}");
  });

  it("keeps $${ in an extra host and in map keys literal, as buildx reads them", () => {
    const out = printed(
      `services:
  app:
    build:
      context: .
      args:
        "K$\${AK}": v
      extra_hosts:
        - "host$\${Z}:10.0.0.1"
        - "h%{i}:10.0.0.2"
      additional_contexts:
        "c$\${C}": "docker-image://x$\${V}"
`,
    );
    // compose interpolates values, not keys; buildx prints extra host names unescaped.
    expect(out.target.app.args).toEqual({ "K$${AK}": "v" });
    expect(out.target.app["extra-hosts"]).toEqual({ "host${Z}": "10.0.0.1", "h%{i}": "10.0.0.2" });
    expect(out.target.app.contexts).toEqual({ "c$${C}": "docker-image://x${V}" });
  });

  it("prints a ulimit in its short form as name=0:0, as buildx does (it reads soft and hard only)", () => {
    const out = printed(
      "services:\n  app:\n    build:\n      context: .\n      ulimits:\n        nproc: 65535\n        nofile:\n          soft: 10\n          hard: 20\n",
    );
    expect(out.target.app.ulimits).toEqual(["nproc=0:0", "nofile=10:20"]);
  });

  it("refuses a service whose image interpolates to empty and that has no build", () => {
    const load = (env: Record<string, string>) =>
      composeToBake(
        {
          name: "compose.yaml",
          text: 'services:\n  app:\n    build: .\n  db:\n    image: "${DB_IMAGE}"\n',
        },
        env,
      );
    expect(() => load({})).toThrowError(
      'compose.yaml: service "db" has neither an image nor a build context specified: invalid compose project',
    );
    expect(() => load({ DB_IMAGE: "postgres" })).not.toThrow();
  });

  it("checks short-syntax volumes of every service as compose does", () => {
    const errors = {
      ":/x": "empty section between colons",
      "name::": "empty section between colons",
      "/a::/b": "empty section between colons",
      "1::/x": "empty section between colons",
      "/a:/b:ro:": "too many colons",
    };
    for (const [spec, problem] of Object.entries(errors)) {
      expect(volumeSpecError(spec), spec).toBe(problem);
      expect(() =>
        composeToBake(
          {
            name: "compose.yaml",
            text: `services:\n  app:\n    build: .\n  db:\n    image: pg\n    volumes:\n      - "${spec}"\n`,
          },
          {},
        ),
      ).toThrowError(`compose.yaml: invalid spec: ${spec}: ${problem}`);
    }
    // Windows drives ("c:", any one letter), specs of two bytes, options and long syntax pass.
    for (const spec of ["::", ":", "a:", "c:/x:/y", "é::/x", "/a:/b:c:d", "x:/y:z:w", "./d:/d:ro"])
      expect(volumeSpecError(spec), spec).toBeUndefined();
    expect(volumeSpecError("")).toBe("invalid empty volume spec");
    expect(() =>
      composeToBake(
        {
          name: "compose.yaml",
          text: "services:\n  app:\n    build: .\n    volumes:\n      - type: bind\n        source: ''\n        target: /x\n",
        },
        {},
      ),
    ).not.toThrow();
  });

  it("refuses a volume that is neither a string nor a map, and a map without a target, as compose does", () => {
    const load = (volumes: string) => () =>
      composeToBake(
        {
          name: "compose.yaml",
          text: `services:\n  app:\n    build: .\n    volumes: ${volumes}\n`,
        },
        {},
      );
    const types = { "42": "int", "-1": "int", "4.5": "float64", true: "bool", null: "<nil>" };
    for (const [v, type] of Object.entries(types))
      expect(load(`[x, ${v}]`), v).toThrowError(
        `compose.yaml: services.app.volumes.[]: invalid type ${type} for service volume mount`,
      );
    expect(load("[[a]]")).toThrowError("invalid type []interface {} for service volume mount");
    // Targets are checked (in order) before entry types: the map at index 1 is named.
    expect(load("[42, {type: bind, source: .}]")).toThrowError(
      "compose.yaml: service volume services.app.volumes.[1] is missing a mount target",
    );
    expect(load("[{target: 5}]")).toThrowError("volumes.[0] is missing a mount target");
    expect(load('[{target: ""}, "x"]')).not.toThrow();
  });

  it("refuses wrong-typed service and build keys with compose-go's messages, in its order", () => {
    const load =
      (build: string, service = "") =>
      () =>
        composeToBake(
          {
            name: "compose.yaml",
            text: `services:\n  app:\n${service}    build:\n      context: .\n${build.replace(/^(?=.)/gm, "      ")}`,
          },
          {},
        );
    const refused: [string, string][] = [
      ["args: 5\n", "services.app.build.args must be a mapping"],
      ["labels: null\n", "services.app.build.labels must be a mapping"],
      ["args: [A=1, 5]\n", "services.app.build.args.[1]: unexpected type int"],
      ["args: {A: [1]}\n", "services.app.build.args.A must be a boolean, null, number or string"],
      ["tags: [true]\n", "services.app.build.tags.[0]: unexpected type bool"],
      ["tags: x\n", "services.app.build.tags must be a array"],
      ["platforms: [4.5]\n", "services.app.build.platforms.0 must be a string"],
      ["cache_from: {a: b}\n", "services.app.build.cache_from must be a array"],
      ["cache_to: [null]\n", "services.app.build.cache_to.0 must be a string"],
      ["target: 5\n", "services.app.build.target must be a string"],
      ["dockerfile: null\n", "services.app.build.dockerfile must be a string"],
      ["network: [host]\n", "services.app.build.network must be a string"],
      ["no_cache: 1\n", "services.app.build.no_cache must be a boolean or string"],
      ["privileged: null\n", "services.app.build.privileged must be a boolean or string"],
      ["shm_size: 1.5\n", "services.app.build.shm_size must be a integer or string"],
      ["ssh: 5\n", "services.app.build.ssh: invalid type int for ssh"],
      ["ssh: [[a]]\n", "invalid ssh key type []interface {}"],
      ["secrets: [5]\n", "services.app.build.secrets.[]: unsupported type int"],
      [
        "secrets: [{src: a}]\n",
        "services.app.build.secrets.0 additional properties 'src' not allowed",
      ],
      ["extra_hosts: 5\n", "services.app.build.extra_hosts must be a mapping"],
      ["extra_hosts: {db: 5}\n", "services.app.build.extra_hosts.db must be a string"],
      ["additional_contexts: true\n", "services.app.build.additional_contexts: invalid type bool"],
      [
        "additional_contexts: [base]\n",
        "services.app.build.additional_contexts: invalid value base, expected key=value",
      ],
      ["ulimits: [nofile]\n", "services.app.build.ulimits.[]: invalid type string for external"],
      [
        "ulimits: {nofile: {soft: 1}}\n",
        "services.app.build.ulimits.nofile must be a integer or string",
      ],
      [
        "pull: maybe\n",
        "decoding failed due to the following error(s):\n\n'services[app].build.pull' invalid boolean: maybe",
      ],
      [
        "shm_size: lots\n",
        "decoding failed due to the following error(s):\n\n'services[app].build.shm_size' invalid size: 'lots'",
      ],
      [
        "extra_hosts: [db]\n",
        "decoding failed due to the following error(s):\n\n'services[app].build.extra_hosts' invalid additional host, missing IP: db",
      ],
      [
        "args: ['B = 3']\n",
        "decoding failed due to the following error(s):\n\n'services[app].build.args' environment variable B  is declared with a trailing space",
      ],
      // Every decoding error is listed, sorted.
      [
        "pull: x\nno_cache: z\n",
        "decoding failed due to the following error(s):\n\n'services[app].build.no_cache' invalid boolean: z\n'services[app].build.pull' invalid boolean: x",
      ],
      // Transforms (args) come before the schema (tags), whatever the order in the file.
      ["tags: 5\nargs: 5\n", "services.app.build.args must be a mapping"],
    ];
    for (const [build, message] of refused)
      expect(load(build), build).toThrowError(`compose.yaml: ${message}`);
    const service: [string, string][] = [
      ["    environment: 5\n", "services.app.environment must be a mapping"],
      ["    environment: [5]\n", "services.app.environment.[0]: unexpected type int"],
      [
        "    labels: [{a: b}]\n",
        "services.app.labels.[0]: unexpected type map[string]interface {}",
      ],
      ["    ports: x\n", "services.app.ports: invalid type string for port"],
      ["    ports: [http]\n", "Invalid containerPort: http"],
      ["    ports: ['a:80']\n", "Invalid hostPort: a"],
      ["    ports: ['x:80:80']\n", "Invalid ip address: x"],
      [
        "    ports: ['::1:80:80']\n",
        "Invalid ip address ::1: address ::1:: too many colons in address",
      ],
      ["    ports: ['80/xyz']\n", "Invalid proto: xyz"],
      ["    ports: ['99999']\n", "Invalid containerPort: 99999"],
      ["    ports: ['80:']\n", "No port specified: 80:<empty>"],
      [
        "    ports: ['8000-8001:80-90']\n",
        "Invalid ranges specified for container and host Ports: 80-90 and 8000-8001",
      ],
      ["    ports: ['0']\n", "service ports services.app.ports.[0] is missing a target port"],
      ["    depends_on: db\n", "services.app.depends_on: invalid type string for depend_on"],
      ["    env_file: 5\n", "services.app.env_file: invalid type int for env_file"],
      [
        "    env_file: [{required: false}]\n",
        "environment path attribute services.app.env_file.[0] is missing",
      ],
      ["    image: 5\n", "services.app.image must be a string"],
      [
        "    ports: [{published: 80}]\n",
        "service ports services.app.ports.[0] is missing a target port",
      ],
    ];
    for (const [keys, message] of service)
      expect(load("", keys), keys).toThrowError(`compose.yaml: ${message}`);
    const build = (v: string) => () =>
      composeToBake({ name: "compose.yaml", text: `services:\n  app:\n    build: ${v}\n` }, {});
    expect(build("null")).toThrowError(
      "compose.yaml: services.app.build: invalid type <nil> for build",
    );
    expect(build("[a]")).toThrowError("services.app.build: invalid type []interface {} for build");
    expect(load("", "    environment: ['A=1', 'B =2']\n")).toThrowError(
      "'services[app].environment' environment variable B  is declared with a trailing space",
    );
    // The build's schema is checked before the service's environment.
    expect(load("target: 5\n", "    environment: 5\n")).toThrowError("target must be a string");
    const fine = [
      "    labels: 5\n",
      "    ports: [80, '8080:80/udp', '[::1]:80:80', '1.2.3.4::80', '8000-8010:80-90', {target: 0}]\n",
      "    depends_on: [db]\n",
    ];
    for (const keys of fine) expect(load("", keys), keys).not.toThrow();
  });

  it("reads numbers as Go's YAML reads them and prints them as Go does", () => {
    const out = printed(
      "services:\n  app:\n    build:\n      context: .\n      args: {A: 0755, B: 1_000, C: 0b101, D: 08, E: 1.5_0, F: 1.2.3, G: 1234567.5, H: 0.00001, I: .inf, J: 123456789012345678901, K: -012, L: '0755'}\n",
    );
    expect(out.target.app.args).toEqual({
      A: "493", // a leading 0 is octal
      B: "1000",
      C: "5",
      D: "8", // not octal: a float
      E: "1.5",
      F: "1.2.3",
      G: "1.2345675e+06",
      H: "1e-05",
      I: "+Inf",
      J: "1.2345678901234568e+20",
      K: "-10",
      L: "0755",
    });
  });

  it("reads the forms compose accepts: string booleans, sizes, several addresses for a host", () => {
    const out = printed(
      `services:
  app:
    build:
      context: .
      target: ""
      network: ""
      dockerfile_inline: ""
      no_cache: "Yes"
      pull: "off"
      shm_size: 1000000
      extra_hosts:
        db: [10.0.0.1, 10.0.0.2]
      args: [A, "B=", C=1]
      labels: {n: 1.5, b: true, e: null}
    environment: {A: 5}
  small:
    build:
      context: .
      shm_size: "64m"
      no_cache: "n"
  negative:
    build:
      context: .
      shm_size: -5
`,
    );
    expect(out.target.app).toMatchObject({
      "no-cache": true,
      "shm-size": "976.6KiB",
      "extra-hosts": { db: "10.0.0.1,10.0.0.2" },
      args: { A: "5", B: "", C: "1" },
      labels: { n: "1.5", b: "true", e: "" },
    });
    for (const key of ["target", "network", "dockerfile-inline"])
      expect(out.target.app[key], key).toBeUndefined();
    expect(out.target.app.pull).toBeUndefined();
    expect(out.target.small["shm-size"]).toBe("64MiB");
    expect(out.target.small["no-cache"]).toBeUndefined();
    expect(out.target.negative["shm-size"]).toBeUndefined();
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
