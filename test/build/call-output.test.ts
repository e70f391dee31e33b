import { describe, expect, it } from "vitest";
import { callOutput, dockerfileShownName, sourceExcerpt } from "../../src/build/call-output.js";

describe("--call output", () => {
  it("names the Dockerfile as buildx shows it", () => {
    expect(dockerfileShownName({ name: "a" })).toBe("Dockerfile");
    expect(dockerfileShownName({ name: "a", context: "./sub", dockerfile: "x.Dockerfile" })).toBe(
      "sub/x.Dockerfile",
    );
    expect(dockerfileShownName({ name: "a", dockerfileInline: "FROM x" })).toBe("inline");
    expect(dockerfileShownName({ name: "a", context: "sub", dockerfile: "/abs/Df" })).toBe(
      "/abs/Df",
    );
  });

  it("shows the lines around a location with >>> on the ones it covers", () => {
    const text = "l1\nl2\nl3\nl4\nl5\nl6\n";
    expect(sourceExcerpt("Df", text, [{ start: { line: 1 }, end: { line: 1 } }])).toBe(
      "Df:1\n--------------------\n   1 | >>> l1\n   2 |     l2\n   3 |     l3\n--------------------\n",
    );
    expect(sourceExcerpt("Df", text, [{ start: { line: 4 }, end: { line: 5 } }])).toBe(
      "Df:4\n--------------------\n   3 |     l3\n   4 | >>> l4\n   5 | >>> l5\n   6 |     l6\n--------------------\n",
    );
  });

  it("prints targets sorted with a blank line between, lint warnings by line, and status 1 for warnings", () => {
    const data = Buffer.from("FROM a as b\nENV x y\n").toString("base64");
    const lint = JSON.stringify({
      warnings: [
        {
          ruleName: "LegacyKeyValueFormat",
          url: "https://u/2",
          detail: "use key=value",
          location: { ranges: [{ start: { line: 2 }, end: { line: 2 } }] },
        },
        {
          ruleName: "FromAsCasing",
          detail: "casing",
          location: { ranges: [{ start: { line: 1 }, end: { line: 1 } }] },
        },
      ],
      sources: [{ filename: "Dockerfile", data }],
    });
    const out = callOutput(
      new Map<string, { call: string; answer: Record<string, string> }>([
        ["b", { call: "outline", answer: { "result.txt": "TARGET: b\n" } }],
        ["a", { call: "lint", answer: { "result.json": lint, "result.statuscode": "1" } }],
      ]),
      { a: { name: "a", description: "about a" }, b: { name: "b" } },
    );
    expect(out.status).toBe(1);
    expect(out.text).toBe(
      "a\nabout a\n\nCheck complete, 2 warnings have been found!\n" +
        "\nWARNING: FromAsCasing\ncasing\nDockerfile:1\n--------------------\n   1 | >>> FROM a as b\n   2 |     ENV x y\n   3 |     \n--------------------\n" +
        "\nWARNING: LegacyKeyValueFormat - https://u/2\nuse key=value\nDockerfile:2\n--------------------\n   1 |     FROM a as b\n   2 | >>> ENV x y\n   3 |     \n--------------------\n" +
        "\nb\n\nTARGET: b\n",
    );
    const clean = callOutput(
      new Map([["a", { call: "lint", answer: {} as Record<string, string> }]]),
      { a: { name: "a" } },
    );
    expect(clean).toEqual({ text: "a\n\nCheck complete, no warnings found.\n", status: 0 });
  });
});
