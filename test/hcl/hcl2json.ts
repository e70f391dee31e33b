/**
 * Turns our syntax tree into the JSON shape that the hcl2-parser package (HashiCorp's
 * Go parser compiled to JavaScript) returns, so that the two parsers can be compared:
 * blocks as nested label maps holding arrays of bodies, literal values as values,
 * templates as their text, anything else as "${source}".
 */
import type { Block, Body, Expression, TemplateExpr, TemplatePart } from "../../src/hcl/ast.js";
import { templateAsLiteral } from "../../src/hcl/parse.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function source(e: Expression | TemplatePart): string {
  return e.range.file.text.slice(e.range.start, e.range.end);
}

function partText(p: TemplatePart): string {
  switch (p.kind) {
    case "TemplateLiteral":
      return p.value;
    case "TemplateInterpolation":
      return `\${${source(p.expr)}}`;
    case "TemplateIf":
      return `%{if ${source(p.condition)}}${partsText(p.then)}${p.else ? `%{else}${partsText(p.else)}` : ""}%{endif}`;
    case "TemplateFor":
      return `%{for ${p.keyVar ? `${p.keyVar}, ` : ""}${p.valueVar} in ${source(p.collection)}}${partsText(p.body)}%{endfor}`;
  }
}

function partsText(parts: readonly TemplatePart[]): string {
  return parts.map(partText).join("");
}

function templateText(t: TemplateExpr): string {
  const literal = templateAsLiteral(t);
  if (literal !== undefined) return literal;
  // With directives, HashiCorp's converter prints the template from its parts.
  if (t.parts.some((p) => p.kind === "TemplateIf" || p.kind === "TemplateFor"))
    return partsText(t.parts);
  if (!t.heredoc) return partsText(t.parts);
  // Heredocs: literal text as decoded, interpolations as written.
  return t.parts
    .map((p) =>
      p.kind === "TemplateLiteral" ? p.value : p.range.file.text.slice(p.range.start, p.range.end),
    )
    .join("");
}

export function expressionToJson(e: Expression): Json {
  switch (e.kind) {
    case "Literal":
      return e.value;
    case "Template": {
      // HCL unwraps a template that is one interpolation ("${x}" is x).
      const only = e.parts.length === 1 ? e.parts[0]! : undefined;
      if (!e.heredoc && only?.kind === "TemplateInterpolation") return expressionToJson(only.expr);
      return templateText(e);
    }
    case "Unary":
      if (e.op === "-" && e.operand.kind === "Literal" && typeof e.operand.value === "number")
        return -e.operand.value;
      return `\${${source(e)}}`;
    case "Tuple":
      return e.items.map(expressionToJson);
    case "Object": {
      const out: { [k: string]: Json } = {};
      for (const item of e.items) {
        const key =
          item.key.kind === "Literal" ? String(item.key.value) : expressionToJson(item.key);
        out[String(key)] = expressionToJson(item.value);
      }
      return out;
    }
    default:
      return `\${${source(e)}}`;
  }
}

export function bodyToJson(body: Body): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  for (const a of body.attributes) out[a.name] = expressionToJson(a.expr);
  for (const b of body.blocks) addBlock(out, b);
  return out;
}

function addBlock(out: { [k: string]: Json }, b: Block): void {
  let node = out as { [k: string]: Json };
  const path = [b.type, ...b.labels];
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    if (!(key in node)) node[key] = {};
    node = node[key] as { [k: string]: Json };
  }
  const last = path[path.length - 1]!;
  if (!Array.isArray(node[last])) node[last] = [];
  (node[last] as Json[]).push(bodyToJson(b.body));
}
