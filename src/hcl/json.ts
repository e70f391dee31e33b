/**
 * HCL's JSON syntax (docker-bake.json) to the same syntax tree as native HCL.
 * Which keys are blocks, and how many labels they take, comes from a schema;
 * every other key is an attribute. String values are templates, as in HCL.
 */
import { capDiagnostics, type Diagnostic } from "../diagnostics/diagnostic.js";
import { formatPosition, type SourceFile, type SourceRange } from "../diagnostics/source.js";
import type { Attribute, Block, Body, Expression, ObjectItem, TemplatePart } from "./ast.js";
import { MAX_NESTING, type ParseResult, parseTemplateString } from "./parse.js";

export type JsonBlockSchema = {
  readonly [blockType: string]: { readonly labels: number; readonly blocks?: JsonBlockSchema };
};

interface JsonMember {
  readonly key: string;
  readonly keyStart: number;
  readonly keyEnd: number;
  readonly value: JsonNode;
}

type JsonNode =
  | { kind: "object"; start: number; end: number; members: JsonMember[] }
  | { kind: "array"; start: number; end: number; items: JsonNode[] }
  | { kind: "string"; start: number; end: number; value: string }
  | { kind: "number"; start: number; end: number; raw: string }
  | { kind: "literal"; start: number; end: number; value: boolean | null };

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

const simpleEscapes: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

class JsonReader {
  pos = 0;
  /** How many arrays and objects enclose the value being read (bounded, as in HCL files). */
  private depth = 0;
  constructor(readonly text: string) {}

  space(): void {
    const t = this.text;
    let pos = this.pos;
    for (;;) {
      const c = t.charCodeAt(pos);
      if (c === 32 || c === 10 || c === 13 || c === 9 || c === 0xfeff) pos++;
      else break;
    }
    this.pos = pos;
  }

  value(): JsonNode {
    this.space();
    const c = this.text[this.pos];
    const start = this.pos;
    if (c === "{" || c === "[") {
      if (this.depth >= MAX_NESTING)
        throw new JsonSyntaxError("the values are nested too deeply to read", this.pos);
      this.depth++;
      try {
        return c === "{" ? this.object() : this.array();
      } finally {
        this.depth--;
      }
    }
    if (c === '"') {
      const value = this.string();
      return { kind: "string", start, end: this.pos, value };
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(
      this.text.slice(this.pos, this.pos + 100),
    );
    if (m && m[0] !== "" && m[0] !== "-") {
      this.pos += m[0].length;
      return { kind: "number", start, end: this.pos, raw: m[0] };
    }
    for (const [word, value] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return { kind: "literal", start, end: this.pos, value };
      }
    }
    if (c === undefined)
      throw new JsonSyntaxError("Unexpected end of file; a JSON value is expected", this.pos);
    if (c === "/" || c === "#")
      throw new JsonSyntaxError("Comments are not allowed in JSON", this.pos);
    throw new JsonSyntaxError(`Invalid JSON value starting with "${c}"`, this.pos);
  }

  string(): string {
    const start = this.pos;
    this.pos++;
    let out = "";
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || c === "\n") throw new JsonSyntaxError("Unterminated string", start);
      if (c === '"') {
        this.pos++;
        return out;
      }
      if (c === "\\") {
        const e = this.text[this.pos + 1];
        const simple = e === undefined ? undefined : simpleEscapes[e];
        if (simple !== undefined) {
          out += simple;
          this.pos += 2;
        } else if (
          e === "u" &&
          /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))
        ) {
          out += String.fromCharCode(
            Number.parseInt(this.text.slice(this.pos + 2, this.pos + 6), 16),
          );
          this.pos += 6;
        } else throw new JsonSyntaxError("Invalid escape sequence in string", this.pos);
        continue;
      }
      if (c < " ") throw new JsonSyntaxError("Control character in string", this.pos);
      // A run of ordinary characters at once.
      let end = this.pos + 1;
      for (;;) {
        const d = this.text.charCodeAt(end);
        if (d === 34 || d === 92 || d < 32 || Number.isNaN(d)) break;
        end++;
      }
      out += this.text.slice(this.pos, end);
      this.pos = end;
    }
  }

  object(): JsonNode {
    const start = this.pos;
    this.pos++;
    const members: JsonMember[] = [];
    this.space();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return { kind: "object", start, end: this.pos, members };
    }
    for (;;) {
      this.space();
      if (this.text[this.pos] !== '"')
        throw new JsonSyntaxError('Expected a quoted object key ("name")', this.pos);
      const keyStart = this.pos;
      const key = this.string();
      const keyEnd = this.pos;
      this.space();
      if (this.text[this.pos] !== ":")
        throw new JsonSyntaxError('Expected ":" after the object key', this.pos);
      this.pos++;
      const value = this.value();
      members.push({ key, keyStart, keyEnd, value });
      this.space();
      const c = this.text[this.pos];
      if (c === ",") {
        this.pos++;
        continue;
      }
      if (c === "}") {
        this.pos++;
        return { kind: "object", start, end: this.pos, members };
      }
      throw new JsonSyntaxError('Expected "," or "}" in object', this.pos);
    }
  }

  array(): JsonNode {
    const start = this.pos;
    this.pos++;
    const items: JsonNode[] = [];
    this.space();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return { kind: "array", start, end: this.pos, items };
    }
    for (;;) {
      items.push(this.value());
      this.space();
      const c = this.text[this.pos];
      if (c === ",") {
        this.pos++;
        continue;
      }
      if (c === "]") {
        this.pos++;
        return { kind: "array", start, end: this.pos, items };
      }
      throw new JsonSyntaxError('Expected "," or "]" in array', this.pos);
    }
  }
}

class JsonToTree {
  readonly diagnostics: Diagnostic[] = [];
  constructor(readonly file: SourceFile) {}

  range(start: number, end: number): SourceRange {
    return { file: this.file, start, end };
  }

  expression(node: JsonNode): Expression {
    const range = this.range(node.start, node.end);
    switch (node.kind) {
      case "string": {
        if (!node.value.includes("${") && !node.value.includes("%{")) {
          // Plain text: one literal part (the common case, without a template parser).
          const inner = this.range(node.start + 1, node.end - 1);
          const parts: TemplatePart[] =
            node.value === "" ? [] : [{ kind: "TemplateLiteral", value: node.value, range: inner }];
          return { kind: "Template", parts, range, json: true };
        }
        const { template, diagnostics } = parseTemplateString(
          node.value,
          this.file,
          node.start + 1,
        );
        this.diagnostics.push(...diagnostics);
        return template
          ? { ...template, range, ...(template.kind === "Template" ? { json: true } : {}) }
          : { kind: "Literal", value: node.value, range };
      }
      case "number":
        return { kind: "Literal", value: Number(node.raw), raw: node.raw, range };
      case "literal":
        return { kind: "Literal", value: node.value, range };
      case "array":
        return { kind: "Tuple", items: node.items.map((i) => this.expression(i)), range };
      case "object": {
        this.refuseDuplicateKeys(node.members);
        const items: ObjectItem[] = node.members.map((m) => {
          const keyNode: JsonNode = {
            kind: "string",
            start: m.keyStart,
            end: m.keyEnd,
            value: m.key,
          };
          return { key: this.expression(keyNode), bareKey: false, value: this.expression(m.value) };
        });
        return { kind: "Object", items, range };
      }
    }
  }

  /** An object's key given twice (buildx refuses it, as JSON parsers that keep the last one would hide it). */
  private refuseDuplicateKeys(members: readonly JsonMember[]): void {
    const seen = new Map<string, JsonMember>();
    for (const m of members) {
      const first = seen.get(m.key);
      if (!first) {
        seen.set(m.key, m);
        continue;
      }
      const firstRange = this.range(first.keyStart, first.keyEnd);
      this.diagnostics.push({
        severity: "error",
        summary: `Duplicate object attribute; An attribute named "${m.key}" was already defined at ${formatPosition(firstRange)}.`,
        range: this.range(m.keyStart, m.keyEnd),
        related: [{ message: `"${m.key}" is first defined here`, range: firstRange }],
      });
    }
  }

  body(node: JsonNode, schema: JsonBlockSchema): Body {
    const attributes: Attribute[] = [];
    const blocks: Block[] = [];
    if (node.kind !== "object") {
      this.diagnostics.push({
        severity: "error",
        summary: "Incorrect JSON value type; A JSON object is required here.",
        range: this.range(node.start, node.end),
      });
      return { kind: "Body", attributes, blocks, range: this.range(node.start, node.end) };
    }
    const seen = new Map<string, Attribute>();
    for (const m of node.members) {
      // Own keys only: a key named "__proto__" or "constructor" is an attribute like any other.
      const blockSchema = Object.hasOwn(schema, m.key) ? schema[m.key] : undefined;
      if (blockSchema) {
        this.blocks(
          m.key,
          this.range(m.keyStart, m.keyEnd),
          m.value,
          blockSchema.labels,
          blockSchema.blocks ?? {},
          [],
          [],
          blocks,
        );
      } else {
        const attribute: Attribute = {
          kind: "Attribute",
          name: m.key,
          nameRange: this.range(m.keyStart, m.keyEnd),
          expr: this.expression(m.value),
          range: this.range(m.keyStart, m.value.end),
        };
        const first = seen.get(m.key);
        if (first) this.duplicateArgument(attribute, first);
        else seen.set(m.key, attribute);
        attributes.push(attribute);
      }
    }
    return { kind: "Body", attributes, blocks, range: this.range(node.start, node.end) };
  }

  private duplicateArgument(attribute: Attribute, first: Attribute): void {
    this.diagnostics.push({
      severity: "error",
      summary: `Duplicate argument; The argument "${attribute.name}" was already set at ${formatPosition(first.nameRange)}.`,
      range: attribute.nameRange,
      related: [{ message: `"${attribute.name}" is first set here`, range: first.nameRange }],
    });
  }

  blocks(
    type: string,
    typeRange: SourceRange,
    node: JsonNode,
    labelsLeft: number,
    inner: JsonBlockSchema,
    labels: string[],
    labelRanges: SourceRange[],
    out: Block[],
  ): void {
    if (node.kind === "array") {
      for (const item of node.items)
        this.blocks(type, typeRange, item, labelsLeft, inner, labels, labelRanges, out);
      return;
    }
    if (labelsLeft === 0) {
      out.push({
        kind: "Block",
        type,
        typeRange,
        labels,
        labelRanges,
        body: this.body(node, inner),
        range: this.range(typeRange.start, node.end),
      });
      return;
    }
    if (node.kind !== "object") {
      this.diagnostics.push({
        severity: "error",
        summary: `Incorrect JSON value type; A JSON object with a property per "${type}" label is required here.`,
        range: this.range(node.start, node.end),
      });
      return;
    }
    for (const m of node.members) {
      this.blocks(
        type,
        typeRange,
        m.value,
        labelsLeft - 1,
        inner,
        [...labels, m.key],
        [...labelRanges, this.range(m.keyStart, m.keyEnd)],
        out,
      );
    }
  }
}

/** Parses a JSON bake file into the shared syntax tree. */
export function parseHclJson(file: SourceFile, schema: JsonBlockSchema): ParseResult {
  const reader = new JsonReader(file.text);
  const converter = new JsonToTree(file);
  try {
    const root = reader.value();
    reader.space();
    if (reader.pos < file.text.length)
      throw new JsonSyntaxError("Extra characters after the JSON value", reader.pos);
    const body = converter.body(root, schema);
    return { body, diagnostics: capDiagnostics(converter.diagnostics) };
  } catch (thrown) {
    const tooDeep = thrown instanceof RangeError && /call stack/i.test(thrown.message);
    const err = tooDeep
      ? new JsonSyntaxError("the values are nested too deeply to read", 0)
      : thrown;
    if (!(err instanceof JsonSyntaxError)) throw err;
    return {
      body: {
        kind: "Body",
        attributes: [],
        blocks: [],
        range: { file, start: 0, end: file.text.length },
      },
      diagnostics: [
        {
          severity: "error",
          summary: `Invalid JSON; ${err.message}.`,
          range: { file, start: err.at, end: err.at + 1 },
        },
      ],
    };
  }
}
