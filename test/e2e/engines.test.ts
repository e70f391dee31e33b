import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { testEnv } from "./test-env.js";

function engineRequest(
  socketPath: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request({ socketPath, method, path, headers });
      req.on("upgrade", (res, socket) => {
        socket.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: "" });
      });
      req.on("response", (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on("error", reject);
      req.end();
    },
  );
}

describe("the two Docker Engines", () => {
  for (const engine of testEnv().engines) {
    it(`${engine.name} answers the Engine API and offers BuildKit's gRPC upgrade`, async () => {
      const ping = await engineRequest(engine.socketPath, "GET", "/_ping");
      expect(ping.status).toBe(200);
      expect(ping.body).toBe("OK");
      const version = JSON.parse(
        (await engineRequest(engine.socketPath, "GET", "/version")).body,
      ) as { ApiVersion: string; Version: string };
      expect(version.ApiVersion).toMatch(/^1\.\d+$/);
      const upgrade = await engineRequest(engine.socketPath, "POST", "/grpc", {
        connection: "Upgrade",
        upgrade: "h2c",
      });
      expect(upgrade.status).toBe(101);
      expect(String(upgrade.headers.upgrade).toLowerCase()).toBe("h2c");
    });
  }
});
