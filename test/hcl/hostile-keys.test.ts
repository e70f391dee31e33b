/**
 * Keys a hostile file may choose (`__proto__`, `constructor`, ...) are ordinary
 * names, and duplicate keys in JSON bake files are refused where buildx
 * refuses them (an argument or an object key set twice) and merged where it
 * merges them (two blocks with the same labels).
 */
import { describe, expect, it } from "vitest";
import { formatPosition } from "../../src/diagnostics/index.js";
import type { Expression } from "../../src/hcl/ast.js";
import { type JsonBlockSchema, parseHclJson } from "../../src/hcl/json.js";
import { parseHcl } from "../../src/hcl/parse.js";

const schema: JsonBlockSchema = { target: { labels: 1 }, variable: { labels: 1 } };
const names = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty"];

function json(text: string) {
  return parseHclJson({ name: "docker-bake.json", text }, schema);
}

function keys(e: Expression): unknown[] {
  if (e.kind !== "Object") throw new Error(`not an object: ${e.kind}`);
  return e.items.map((i) =>
    i.key.kind === "Literal"
      ? i.key.value
      : i.key.kind === "Template"
        ? i.key.parts[0]
        : i.key.kind,
  );
}

describe("names like __proto__", () => {
  it("are ordinary attribute, label and object key names in HCL", () => {
    const text = names
      .map((n) => `${n} = 1\ntarget "${n}" {\n  args = { ${n} = "v", "${n}" = "w" }\n}\n`)
      .join("");
    const { body, diagnostics } = parseHcl({ name: "docker-bake.hcl", text });
    expect(diagnostics).toEqual([]);
    expect(body.attributes.map((a) => a.name)).toEqual(names);
    expect(body.blocks.map((b) => b.labels[0])).toEqual(names);
    const args = body.blocks[0]!.body.attributes[0]!.expr;
    expect(keys(args)[0]).toBe("__proto__");
  });

  it("are ordinary attribute, label and object key names in JSON", () => {
    const obj = Object.fromEntries(names.map((n) => [n, "v"]));
    const text = `{"__proto__": 1, "constructor": 2, "target": {"__proto__": {"args": ${JSON.stringify(obj)}}, "constructor": {}}}`;
    const { body, diagnostics } = json(text);
    expect(diagnostics).toEqual([]);
    expect(body.attributes.map((a) => a.name)).toEqual(["__proto__", "constructor"]);
    expect(body.blocks.map((b) => [b.type, ...b.labels])).toEqual([
      ["target", "__proto__"],
      ["target", "constructor"],
    ]);
    const args = body.blocks[0]!.body.attributes[0]!.expr;
    expect(args.kind === "Object" && args.items.length).toBe(names.length);
  });
});

describe("duplicate keys in JSON", () => {
  it("refuses an argument set twice in one body, naming both places", () => {
    const text = '{"target": {"a": {"args": {"X": "1"},\n "args": {"Y": "2"}}}}';
    const { diagnostics } = json(text);
    expect(diagnostics).toHaveLength(1);
    expect(formatPosition(diagnostics[0]!.range!)).toBe("docker-bake.json:2:2");
    expect(diagnostics[0]!.summary).toBe(
      'Duplicate argument; The argument "args" was already set at docker-bake.json:1:19.',
    );
  });

  it("refuses an object key given twice", () => {
    const text = '{"target": {"a": {"args": {"X": "1", "X": "2"}}}}';
    const { diagnostics } = json(text);
    expect(diagnostics.map((d) => [formatPosition(d.range!), d.summary])).toEqual([
      [
        "docker-bake.json:1:38",
        'Duplicate object attribute; An attribute named "X" was already defined at docker-bake.json:1:28.',
      ],
    ]);
  });

  it("keeps two blocks with the same labels (they merge later, as in buildx)", () => {
    const { body, diagnostics } = json(
      '{"target": {"a": {"args": {"X": "1"}}, "a": {"context": "x"}}, "variable": {"V": {}, "V": {}}}',
    );
    expect(diagnostics).toEqual([]);
    expect(body.blocks.map((b) => [b.type, ...b.labels])).toEqual([
      ["target", "a"],
      ["target", "a"],
      ["variable", "V"],
      ["variable", "V"],
    ]);
  });
});
