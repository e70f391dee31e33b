/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose text uses ${} */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMbake } from "../cli/run-mbake.js";
import { testEnv } from "./test-env.js";

const env = testEnv();

describe("a compose file in the working folder", () => {
  it("is read by default and its services are built, with .env interpolation", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mbake-compose-"));
    writeFileSync(join(dir, ".env"), "GREETING=hello from .env\n");
    writeFileSync(join(dir, "message.txt"), "context file\n");
    writeFileSync(
      join(dir, "compose.yaml"),
      [
        "services:",
        "  app:",
        "    build:",
        "      context: .",
        "      dockerfile_inline: |",
        `        FROM ${env.baseImage} AS b`,
        "        ARG GREETING",
        "        COPY message.txt /",
        '        RUN echo "$GREETING" > /greeting.txt',
        "        FROM scratch",
        "        COPY --from=b /greeting.txt /message.txt /",
        "      args:",
        "        GREETING: ${GREETING}",
        "      x-bake:",
        "        output: type=local,dest=out",
        "  db:",
        "    image: postgres",
        "",
      ].join("\n"),
    );
    const r = await runMbake(["--progress=plain"], {
      cwd: dir,
      env: { MBAKE_ENDPOINTS: `${env.engines[0]!.name}=${env.engines[0]!.endpoint}`, CI: "true" },
    });
    expect(r.stderr).not.toMatch(/ERROR/);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "out", "greeting.txt"), "utf8")).toBe("hello from .env\n");
    expect(readFileSync(join(dir, "out", "message.txt"), "utf8")).toBe("context file\n");
  });
});
