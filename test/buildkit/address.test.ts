/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: hostile address text */
import { describe, expect, it } from "vitest";
import { AddressError, parseAddress, stdioCommand } from "../../src/buildkit/transport/address.js";

/** Addresses a hostile project file could carry: each must be refused before anything starts. */
const hostile = [
  "ssh://-oProxyCommand=touch${IFS}pwned",
  "ssh://-oProxyCommand=sh",
  "ssh://user@-oProxyCommand=x",
  "ssh://-l@host",
  "ssh://u@host:22/;touch pwned",
  "ssh://u@host?ProxyCommand=x",
  "ssh://u@host:0",
  "ssh://u@host:99999",
  "ssh://u@ho st",
  "kube-pod://--kubeconfig=evil",
  "kube-pod://-n",
  "kube-pod://pod?namespace=--kubeconfig=evil",
  "kube-pod://pod?context=--exec=x",
  "kube-pod://pod?container=-x",
  "kube-pod://Pod_Upper",
  "kube-pod://pod?kubeconfig=evil",
  "docker-container://--privileged",
  "docker-container://-H=tcp://evil",
  "docker-container://bk?context=--config=evil",
  "docker-container://bk?host=tcp://evil",
  "tcp://",
  "tcp://host",
  "tcp://-x:1234",
  "tcp://host:port",
  "tcp://host:1234?extra=1",
  "ftp://x",
  "unix://relative.sock",
  "unix:///run/x.sock\u0000",
  "unix:///run/x\u001b[2J.sock",
  "",
  "garbage",
];

describe("endpoint addresses are parsed strictly", () => {
  it.each(hostile)("refuses %j with a clear error", (address) => {
    expect(() => parseAddress(address)).toThrowError(AddressError);
    try {
      parseAddress(address);
    } catch (err) {
      expect((err as Error).message).toMatch(/endpoint|address/);
      // Control characters from the input never reach the message.
      expect((err as Error).message).not.toMatch(/[\u0000-\u001f]/);
    }
  });

  it("accepts the addresses buildctl users write", () => {
    expect(parseAddress("ssh://me@build-1.example.com:2222/run/buildkit/buildkitd.sock")).toEqual({
      kind: "ssh",
      user: "me",
      host: "build-1.example.com",
      port: 2222,
      socket: "/run/buildkit/buildkitd.sock",
    });
    expect(parseAddress("ssh://[::1]:22")).toEqual({ kind: "ssh", host: "::1", port: 22 });
    expect(parseAddress("tcp://[fd00::1]:1234/")).toEqual({
      kind: "tcp",
      host: "fd00::1",
      port: 1234,
    });
    expect(
      parseAddress("kube-pod://buildkitd-0?namespace=ci&context=prod-eu&container=bk"),
    ).toEqual({
      kind: "kube-pod",
      pod: "buildkitd-0",
      namespace: "ci",
      context: "prod-eu",
      container: "bk",
    });
    expect(parseAddress("docker-container://buildx_buildkit_builder0?context=remote")).toEqual({
      kind: "docker-container",
      container: "buildx_buildkit_builder0",
      context: "remote",
    });
  });

  it("puts nothing from an address where a program reads options", () => {
    expect(stdioCommand(parseAddress("ssh://me@host:2222"))?.args).toEqual([
      "-T",
      "-p",
      "2222",
      "--",
      "me@host",
      "buildctl",
      "dial-stdio",
    ]);
    expect(
      stdioCommand(parseAddress("kube-pod://p?namespace=n&context=c&container=k"))?.args,
    ).toEqual([
      "--context=c",
      "--namespace=n",
      "exec",
      "-i",
      "p",
      "--container=k",
      "--",
      "buildctl",
      "dial-stdio",
    ]);
    expect(stdioCommand(parseAddress("docker-container://bk?context=c"))?.args).toEqual([
      "--context=c",
      "exec",
      "-i",
      "bk",
      "buildctl",
      "dial-stdio",
    ]);
  });
});
