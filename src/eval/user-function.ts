/**
 * `function "name" { params = [a, b]  variadic_params = rest  result = expr }`
 * blocks as callable functions. Parameters shadow variables; recursion is an error.
 */
import type { Block, Expression } from "../hcl/ast.js";
import type { CtyType } from "./cty-type.js";
import type { EvalContext } from "./evaluate.js";
import { evaluate, nullTypeOf, withLocals } from "./evaluate.js";
import type { EagerFunction } from "./function.js";
import { fail, type Value } from "./value.js";

/** A parameter name: a bare name, or in a JSON file a string holding one. */
function paramName(item: Expression, what: string): string {
  if (item.kind === "Variable") return item.name;
  if (item.kind === "Template" && item.json) {
    const text =
      item.parts.length === 1 && item.parts[0]!.kind === "TemplateLiteral"
        ? item.parts[0]!.value
        : "";
    if (/^[\p{L}_][\p{L}\p{N}_-]*$/u.test(text)) return text;
  }
  return fail(`Invalid ${what}; each parameter must be a bare name.`, item.range);
}

function paramNames(expr: Expression, what: string): string[] {
  if (expr.kind !== "Tuple")
    fail(`Invalid ${what}; ${what} must be a list of parameter names, like [a, b].`, expr.range);
  return expr.items.map((item) => paramName(item, what));
}

/** Builds a function from its block; `outer` gives global variables and all functions. */
export function userFunction(block: Block, outer: () => EvalContext): EagerFunction {
  const name = block.labels[0] ?? "";
  const attrs = new Map(block.body.attributes.map((a) => [a.name, a]));
  const result = attrs.get("result");
  const paramsAttr = attrs.get("params");
  // buildx points at the params attribute, or at the function's name when there is none.
  const at = paramsAttr?.range ?? block.labelRanges[0] ?? block.range;
  if (!result)
    fail(`Invalid function; empty result not allowed for ${name}: add a "result" attribute.`, at);
  if (!paramsAttr)
    fail(`Invalid function; empty params not allowed for ${name}: add "params = []".`, at);
  const params = paramNames(paramsAttr.expr, "params");
  const variadicAttr = attrs.get("variadic_params") ?? attrs.get("variadic_param");
  let variadic: string | undefined;
  if (variadicAttr) {
    try {
      variadic = paramName(variadicAttr.expr, "variadic_params");
    } catch {
      fail("Invalid variadic_params; it must be a bare name.", variadicAttr.expr.range);
    }
  }
  let depth = 0;
  let resultNull: CtyType | undefined;
  return {
    // buildx's function parameters refuse null, as a built-in's do.
    params: params.map((p) => ({ name: p })),
    ...(variadic ? { variadic: { name: variadic } } : {}),
    resultNullType: () => resultNull,
    call(args, range) {
      if (depth > 0)
        fail(`Function "${name}" calls itself; recursive function calls are not allowed.`, range);
      const locals = new Map<string, Value>();
      for (const [i, p] of params.entries()) locals.set(p, args[i] ?? null);
      if (variadic) locals.set(variadic, args.slice(params.length));
      depth++;
      try {
        const ctx = withLocals(outer(), locals);
        const run = () => {
          const v = evaluate(result!.expr, ctx);
          resultNull = nullTypeOf(result!.expr, v);
          return v;
        };
        ctx.budget?.call(range, name);
        return ctx.budget ? ctx.budget.nested(range, `the call of ${name}`, run) : run();
      } finally {
        depth--;
      }
    },
  };
}
