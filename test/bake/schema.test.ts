/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: bake file text */
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { attributes } from "../../src/bake/attributes.js";
import { bakeJsonSchema } from "../../src/bake/schema.js";

const written = JSON.parse(
  readFileSync(new URL("../../schema/bake.schema.json", import.meta.url), "utf8"),
);

describe("the docker-bake.json schema", () => {
  it("is the one built from the attribute table (regenerate schema/bake.schema.json when they differ)", () => {
    expect(written).toEqual(bakeJsonSchema());
    const targetProps = Object.keys(written.properties.target.additionalProperties.properties);
    for (const a of attributes) expect(targetProps).toContain(a.name);
  });

  it("accepts a real bake file and rejects wrong types, naming the path", () => {
    const validate = new Ajv({ allErrors: true }).compile(written);
    const good = {
      variable: { TAG: { default: "1" } },
      group: { default: { targets: ["app"] } },
      target: {
        app: {
          context: ".",
          tags: ["app:${TAG}"],
          args: { A: "1" },
          output: ["type=local,dest=out", { type: "tar", dest: "x.tar" }],
          "no-cache": true,
        },
      },
    };
    expect(validate(good)).toBe(true);
    expect(validate({ target: { app: { tags: "not-a-list" } } })).toBe(false);
    expect(validate.errors?.[0]?.instancePath).toBe("/target/app/tags");
  });
});
