import { describe, expect, it } from "vitest";
import { RawJson, rawMembers } from "../../src/bake/print.js";
import { callJsonOutput } from "../../src/build/call-json.js";

describe("--call ...,format=json output", () => {
  it("splits a JSON object into its members as written, the last of a repeated key winning", () => {
    const members = rawMembers('{ "b" : [1, 2.50], "a":{"x":"y\\"}"}, "b": {"z": null} }');
    expect([...members!.keys()]).toEqual(["b", "a"]);
    expect(members!.get("b")!.text).toBe('{"z": null}');
    expect(members!.get("a")!.text).toBe('{"x":"y\\"}"}');
    expect(rawMembers("[1]")).toBeUndefined();
    expect(rawMembers("{")).toBeUndefined();
    expect(RawJson.of("nope")).toBeUndefined();
  });

  it("prints the definition with each answer under build and the call's name, members sorted, as Go indents them", () => {
    const outline = '{"name":"final","args":[{"name":"A","value":"<x>"}],"sources":[],"n":1.50}';
    const out = callJsonOutput(
      new Map([["app", { call: "outline", answer: { "result.json": outline } }]]),
      {
        groups: { default: { name: "default", targets: ["app"] } },
        targets: { app: { name: "app", context: ".", dockerfile: "Dockerfile", call: "outline" } },
      },
    );
    expect(out.status).toBe(0);
    expect(out.text).toBe(
      `{
  "group": {
    "default": {
      "targets": [
        "app"
      ]
    }
  },
  "target": {
    "app": {
      "build": {
        "context": ".",
        "dockerfile": "Dockerfile",
        "call": "outline"
      },
      "outline": {
        "args": [
          {
            "name": "A",
            "value": "\\u003cx\\u003e"
          }
        ],
        "n": 1.50,
        "name": "final",
        "sources": []
      }
    }
  }
}
`,
    );
  });

  it("adds the build error a check hit as error, with the lines around it, and exits 1; warnings exit with the frontend's status unless ignored", () => {
    const data = Buffer.from("FROOM x\n").toString("base64");
    const failed = JSON.stringify({
      sources: [{ filename: "Dockerfile", data }],
      buildError: {
        message: "unknown instruction: FROOM",
        location: { ranges: [{ start: { line: 1 }, end: { line: 1 } }] },
      },
    });
    const warned = JSON.stringify({ warnings: [{ ruleName: "R" }], sources: [] });
    const targets = {
      bad: { name: "bad", context: "sub", call: "lint" },
      warn: { name: "warn", call: "lint" },
    };
    const answers = new Map<string, { call: string; answer: Record<string, string> }>([
      ["warn", { call: "lint", answer: { "result.json": warned, "result.statuscode": "3" } }],
      ["bad", { call: "lint", answer: { "result.json": failed } }],
    ]);
    const out = callJsonOutput(answers, { groups: {}, targets });
    expect(out.status).toBe(1);
    const doc = JSON.parse(out.text) as {
      target: Record<string, Record<string, Record<string, unknown>>>;
    };
    expect(Object.keys(doc.target.bad!.check!)).toEqual(["buildError", "error", "sources"]);
    expect(doc.target.bad!.check!.error).toBe(
      "unknown instruction: FROOM\nsub/Dockerfile:1\n--------------------\n   1 | >>> FROOM x\n   2 |     \n--------------------\n",
    );
    expect(out.text).toContain('"error": "unknown instruction: FROOM\\nsub/Dockerfile:1\\n');
    expect(out.text).toContain("\\u003e\\u003e\\u003e FROOM x");
    expect(Object.keys(doc.target.warn!)).toEqual(["build", "check"]);
    const onlyWarned = new Map([...answers].filter(([n]) => n === "warn"));
    expect(callJsonOutput(onlyWarned, { groups: {}, targets }).status).toBe(3);
    expect(callJsonOutput(onlyWarned, { groups: {}, targets }, { ignoreStatus: true }).status).toBe(
      0,
    );
  });
});
