/** Walks over expressions: the function calls an expression makes, wherever they sit. */
import type { Expression, FunctionCallExpr, TemplatePart } from "./ast.js";

function partChildren(part: TemplatePart): Expression[] {
  switch (part.kind) {
    case "TemplateLiteral":
      return [];
    case "TemplateInterpolation":
      return [part.expr];
    case "TemplateIf":
      return [
        part.condition,
        ...part.then.flatMap(partChildren),
        ...(part.else ?? []).flatMap(partChildren),
      ];
    case "TemplateFor":
      return [part.collection, ...part.body.flatMap(partChildren)];
  }
}

/** The expressions directly inside an expression. */
export function children(expr: Expression): Expression[] {
  switch (expr.kind) {
    case "Literal":
    case "Variable":
    case "SplatItem":
      return [];
    case "Template":
      return expr.parts.flatMap(partChildren);
    case "GetAttr":
      return [expr.object];
    case "Index":
      return [expr.collection, expr.key];
    case "Splat":
      return [expr.source, expr.each];
    case "FunctionCall":
      return expr.args;
    case "Conditional":
      return [expr.condition, expr.then, expr.else];
    case "Binary":
      return [expr.left, expr.right];
    case "Unary":
      return [expr.operand];
    case "Tuple":
      return expr.items;
    case "Object":
      return expr.items.flatMap((i) => [i.key, i.value]);
    case "For":
      return [
        expr.collection,
        ...(expr.keyExpr ? [expr.keyExpr] : []),
        expr.valueExpr,
        ...(expr.condition ? [expr.condition] : []),
      ];
    case "Paren":
      return [expr.expr];
  }
}

/** Every function call in an expression (branches not taken included), in source order. */
export function functionCalls(expr: Expression): FunctionCallExpr[] {
  const out: FunctionCallExpr[] = [];
  const visit = (e: Expression): void => {
    if (e.kind === "FunctionCall") out.push(e);
    for (const c of children(e)) visit(c);
  };
  visit(expr);
  return out;
}
