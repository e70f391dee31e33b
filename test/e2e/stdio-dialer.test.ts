import { describe, expect, it } from "vitest";
import { ControlApi } from "../../src/buildkit/control/control.js";
import { openBridge } from "../../src/buildkit/transport/bridge.js";
import { hijack, isDockerEngine } from "../../src/buildkit/transport/engine.js";
import { spawnStdio } from "../../src/buildkit/transport/stdio.js";
import { testEnv } from "./test-env.js";

describe("the generic stdio dialer (as docker-container://, kube-pod:// and ssh:// use it)", () => {
  it("reaches BuildKit's Control API through a process's stdin/stdout (socat)", async () => {
    const engine = testEnv().engines[0]!;
    // What `docker exec ... buildctl dial-stdio` would be: a process bridging stdio to the daemon.
    const stdio = await openBridge(() =>
      spawnStdio("socat", ["STDIO", `UNIX-CONNECT:${engine.socketPath}`]),
    );
    const stdioPath = stdio.address.slice("unix://".length);
    const grpc = await openBridge(() => hijack(stdioPath, "/grpc"));
    const control = new ControlApi(grpc.address);
    try {
      expect(await isDockerEngine(stdioPath)).toBe(true);
      const workers = await control.listWorkers();
      expect(workers.flatMap((w) => w.platforms)).toContain("linux/arm64");
    } finally {
      control.close();
      await grpc.close();
      await stdio.close();
    }
  });

  it("names the command when it cannot be started", async () => {
    await expect(spawnStdio("mbake-no-such-command", [])).rejects.toThrowError(
      /cannot run mbake-no-such-command/,
    );
  });
});
