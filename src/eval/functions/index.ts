/** Every built-in function bake offers (buildx's bake/hclparser/stdlib.go list). */
import { DiagnosticError } from "../../diagnostics/diagnostic.js";
import type { FunctionTable, HclFunction, LazyFunction } from "../function.js";
import { LimitExceeded } from "../limits.js";
import { convertValue, parseTypeExpr } from "../types.js";
import { fail } from "../value.js";
import { cidrFunctions } from "./cidr.js";
import { collectionFunctions } from "./collections.js";
import { dateFunctions } from "./datetime.js";
import { define } from "./define.js";
import { encodingFunctions } from "./encoding.js";
import { withListResults } from "./list-results.js";
import { numberFunctions } from "./numbers.js";
import { regexFunctions } from "./regex.js";
import { stringFunctions } from "./strings.js";

const tryFunction: LazyFunction = {
  lazy: true,
  callLazy(args, evaluate, range) {
    if (args.length === 0)
      fail('Not enough function arguments; Function "try" expects at least one argument.', range);
    const errors: string[] = [];
    for (const a of args) {
      try {
        return evaluate(a);
      } catch (err) {
        if (!(err instanceof DiagnosticError) || err instanceof LimitExceeded) throw err;
        errors.push(err.diagnostics.map((d) => d.summary).join("; "));
      }
    }
    return fail(
      `Error in function call; Call to function "try" failed: no expression succeeded:\n- ${errors.join("\n- ")}`,
      range,
    );
  },
};

const canFunction: LazyFunction = {
  lazy: true,
  callLazy(args, evaluate, range) {
    if (args.length !== 1) fail('Function "can" expects exactly one argument.', range);
    try {
      evaluate(args[0]!);
      return true;
    } catch (err) {
      if (!(err instanceof DiagnosticError) || err instanceof LimitExceeded) throw err;
      return false;
    }
  },
};

const convertFunction: LazyFunction = {
  lazy: true,
  callLazy(args, evaluate, range) {
    if (args.length !== 2)
      fail('Function "convert" expects two arguments: a value and a type.', range);
    const type = parseTypeExpr(args[1]!);
    return convertValue(evaluate(args[0]!), type, args[0]!.range);
  },
  nullType(args) {
    const type = args.length === 2 ? parseTypeExpr(args[1]!) : undefined;
    return type?.kind === "any" ? undefined : type;
  },
};

const bcrypt = define(
  ["str"],
  () => {
    throw new Error(
      "bcrypt() is not available in mbake yet; hash the value outside the bake file and pass it in a variable",
    );
  },
  { variadic: "cost" },
);

const table: Record<string, HclFunction> = withListResults({
  ...stringFunctions,
  ...collectionFunctions,
  ...numberFunctions,
  ...encodingFunctions,
  ...dateFunctions,
  ...regexFunctions,
  ...cidrFunctions,
  try: tryFunction,
  can: canFunction,
  convert: convertFunction,
  bcrypt,
});

/** The names of buildx v0.28's built-in functions, for checks and --list. */
export const builtinFunctionNames = Object.keys(table).sort();

export function builtinFunctions(): FunctionTable {
  return new Map(Object.entries(table));
}
