/**
 * The JSON Schema of docker-bake.json, built from the attribute table so it cannot
 * drift from what mbake reads. schema/bake.schema.json is this, written out for editors.
 */
import { type AttributeKind, attributes } from "./attributes.js";

type Schema = Record<string, unknown>;

const stringOrTemplate: Schema = { type: "string" };
const entry: Schema = {
  oneOf: [
    { type: "string", description: "key=value pairs, e.g. type=local,dest=out" },
    { type: "object", additionalProperties: { type: ["string", "number", "boolean", "null"] } },
  ],
};

function schemaFor(kind: AttributeKind): Schema {
  switch (kind) {
    case "string":
      return { type: ["string", "number", "null"] };
    case "bool":
      return { type: ["boolean", "string", "null"] };
    case "strings":
      return { type: ["array", "null"], items: { type: ["string", "number"] } };
    case "stringMap":
      return {
        type: ["object", "null"],
        additionalProperties: { type: ["string", "number", "boolean", "null"] },
      };
    case "nullableMap":
      return {
        type: ["object", "null"],
        additionalProperties: { type: ["string", "number", "boolean", "null"] },
      };
    case "outputs":
    case "caches":
    case "secrets":
    case "ssh":
    case "attest":
      return { type: ["array", "null"], items: entry };
  }
}

export function bakeJsonSchema(): Schema {
  const targetProperties: Record<string, Schema> = {
    inherits: { type: "array", items: stringOrTemplate },
    matrix: { type: "object", additionalProperties: { type: "array" } },
    name: stringOrTemplate,
  };
  for (const a of attributes) targetProperties[a.name] = schemaFor(a.kind);
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://github.com/mbake/mbake/schema/bake.schema.json",
    title: "docker-bake.json (bake files in JSON, as buildx bake and mbake read them)",
    type: "object",
    properties: {
      variable: {
        type: "object",
        additionalProperties: {
          type: "object",
          properties: {
            default: {},
            description: { type: "string" },
            type: { type: "string" },
            validation: {
              type: "array",
              items: {
                type: "object",
                properties: { condition: {}, error_message: { type: "string" } },
              },
            },
          },
        },
      },
      function: {
        type: "object",
        additionalProperties: {
          type: "object",
          required: ["result"],
          properties: {
            params: { type: "array", items: { type: "string" } },
            variadic_params: { type: "string" },
            result: {},
          },
        },
      },
      group: {
        type: "object",
        additionalProperties: {
          type: "object",
          properties: {
            targets: { type: "array", items: stringOrTemplate },
            description: { type: "string" },
          },
        },
      },
      target: {
        type: "object",
        additionalProperties: { type: "object", properties: targetProperties },
      },
    },
  };
}
