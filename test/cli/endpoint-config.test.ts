import { describe, expect, it } from "vitest";
import {
  defaultEndpointName,
  parseEndpointList,
  parseEndpointSpec,
  parseMbakeConfig,
  selectEndpoints,
} from "../../src/cli/endpoint-config.js";

describe("endpoint specs", () => {
  it("takes an optional name and mbake's own options from the query", () => {
    expect(
      parseEndpointSpec(
        "arm=tcp://10.0.0.5:1234?platforms=linux/arm64&max-parallel=2&ca=/ca.pem&servername=bk",
        0,
      ),
    ).toEqual({
      name: "arm",
      address: "tcp://10.0.0.5:1234",
      platforms: ["linux/arm64"],
      maxParallel: 2,
      tls: { ca: "/ca.pem", serverName: "bk" },
    });
  });

  it("keeps query options that belong to the transport", () => {
    expect(parseEndpointSpec("kube-pod://buildkitd-0?namespace=ci&context=prod", 0).address).toBe(
      "kube-pod://buildkitd-0?namespace=ci&context=prod",
    );
  });

  it("names unnamed endpoints after what they point at", () => {
    expect(defaultEndpointName("unix:///work/.test-env/a/docker.sock", 0)).toBe("a");
    expect(defaultEndpointName("unix:///var/run/docker.sock", 0)).toBe("docker");
    expect(defaultEndpointName("unix:///run/buildkit/buildkitd.sock", 0)).toBe("buildkitd");
    expect(defaultEndpointName("tcp://builder.example:1234", 3)).toBe("builder.example");
    expect(defaultEndpointName("docker-container://buildx_buildkit_x0", 0)).toBe(
      "buildx_buildkit_x0",
    );
    expect(defaultEndpointName("weird", 2)).toBe("endpoint3");
  });

  it("takes the CPUs an endpoint's builds share (cpus=), and nothing but a whole number", () => {
    expect(parseEndpointSpec("tcp://builder:1234?cpus=16&max-parallel=8", 0)).toMatchObject({
      address: "tcp://builder:1234",
      maxParallel: 8,
      cpus: 16,
    });
    for (const bad of ["0", "1.5", "-2", "lots", "100000"])
      expect(() => parseEndpointSpec(`tcp://builder:1234?cpus=${bad}`, 0)).toThrowError(
        /cpus must be a whole number from 1 to 9999/,
      );
    const config = parseMbakeConfig(
      JSON.stringify({ endpoints: [{ address: "tcp://b:1", cpus: 4 }] }),
      "mbake.json",
    );
    expect(config.endpoints?.[0]?.cpus).toBe(4);
    expect(() =>
      parseMbakeConfig(
        JSON.stringify({ endpoints: [{ address: "tcp://b:1", cpus: 0 }] }),
        "mbake.json",
      ),
    ).toThrowError(/mbake.json: \/endpoints\/0\/cpus: must be >= 1/);
  });

  it("rejects bad names and limits", () => {
    expect(() => parseEndpointSpec("bad name=unix:///x", 0)).toThrowError(/invalid endpoint name/);
    expect(() => parseEndpointSpec("unix:///x?max-parallel=0", 0)).toThrowError(
      /positive whole number/,
    );
  });

  it("splits MBAKE_ENDPOINTS on spaces, semicolons and commas between endpoints", () => {
    expect(
      parseEndpointList(
        "a=unix:///a.sock, b=tcp://h:1?platforms=linux/amd64,linux/arm64 ; docker://",
      ),
    ).toEqual(["a=unix:///a.sock", "b=tcp://h:1?platforms=linux/amd64,linux/arm64", "docker://"]);
  });
});

describe("selectEndpoints", () => {
  const config = parseMbakeConfig(
    JSON.stringify({
      endpoints: [{ address: "unix:///x/a/docker.sock", maxParallel: 3 }],
      cache: "registry://r/c",
    }),
    "mbake.json",
  );
  it("prefers flags, then MBAKE_ENDPOINTS, then mbake.json", () => {
    expect(
      selectEndpoints(["unix:///f.sock"], { MBAKE_ENDPOINTS: "unix:///e.sock" }, config).map(
        (e) => e.address,
      ),
    ).toEqual(["unix:///f.sock"]);
    expect(
      selectEndpoints([], { MBAKE_ENDPOINTS: "unix:///e.sock" }, config).map((e) => e.address),
    ).toEqual(["unix:///e.sock"]);
    expect(selectEndpoints([], {}, config)).toEqual([
      { name: "a", address: "unix:///x/a/docker.sock", maxParallel: 3 },
    ]);
    expect(selectEndpoints([], {}, undefined)).toEqual([]);
  });
  it("makes duplicate names unique", () => {
    expect(
      selectEndpoints(["unix:///a/docker.sock", "unix:///a/docker.sock"], {}, undefined).map(
        (e) => e.name,
      ),
    ).toEqual(["a", "a-2"]);
  });
});

describe("mbake.json", () => {
  it("says which field is wrong", () => {
    expect(() =>
      parseMbakeConfig('{"endpoints":[{"adress":"unix:///x"}]}', "mbake.json"),
    ).toThrowError(
      /mbake.json: \/endpoints\/0: must have required property 'address'[\s\S]*must NOT have additional properties "adress"/,
    );
    expect(() => parseMbakeConfig("{", "mbake.json")).toThrowError(/mbake.json: not valid JSON/);
  });
});
