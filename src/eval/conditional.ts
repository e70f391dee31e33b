/**
 * HCL's conditional expression: both results are evaluated, their types unified as cty
 * does, and the chosen result converted to that type (a set and a tuple give a set, a
 * number and a string give a string). An error in the result not chosen is ignored.
 */
import { DiagnosticError } from "../diagnostics/diagnostic.js";
import type { ConditionalExpr, Expression } from "../hcl/ast.js";
import { type CtyType, friendlyName, typeOf, typesEqual, unify } from "./cty-type.js";
import { LimitExceeded } from "./limits.js";
import { convertValue, type TypeSpec } from "./types.js";
import { fail, type Value, valueToBool } from "./value.js";

/** What the evaluator provides: values of expressions and the types of null results. */
export interface ConditionalEvaluator {
  value(e: Expression): Value;
  nullType(e: Expression, v: Value): CtyType | undefined;
}

type Outcome = { readonly value: Value; readonly type: CtyType } | { readonly error: unknown };

function attempt(e: Expression, ev: ConditionalEvaluator): Outcome {
  try {
    const value = ev.value(e);
    return { value, type: typeOf(value, ev.nullType(e, value)) };
  } catch (error) {
    if (!(error instanceof DiagnosticError) || error instanceof LimitExceeded) throw error;
    return { error };
  }
}

/** A literal null (a null of no particular type) converts to the other result's type. */
function isDynamicNull(o: Outcome): boolean {
  return "value" in o && o.value === null && o.type.kind === "any";
}

/** The chosen result, and when it is a null of some type, that type. */
export interface ConditionalResult {
  readonly value: Value;
  readonly nullType?: CtyType;
}

export function evaluateConditional(
  expr: ConditionalExpr,
  ev: ConditionalEvaluator,
): ConditionalResult {
  const t = attempt(expr.then, ev);
  const f = attempt(expr.else, ev);
  let resultType: CtyType | undefined;
  if (!isDynamicNull(t) && !isDynamicNull(f) && "type" in t && "type" in f) {
    if (t.type.kind !== "any" && f.type.kind !== "any") {
      resultType = unify([t.type, f.type]);
      if (!resultType)
        fail(
          `Inconsistent conditional result types; The true and false result expressions must have consistent types. ${describeMismatch(t.type, f.type)}.`,
          { ...expr.then.range, end: expr.else.range.end },
        );
    }
  }
  const cond = ev.value(expr.condition);
  if (cond === null)
    fail(
      "Null condition; The condition value is null. Conditions must either be true or false.",
      expr.condition.range,
    );
  const chosen = valueToBool(cond, expr.condition.range, "condition") ? t : f;
  if ("error" in chosen) throw chosen.error;
  if (chosen.value === null) {
    // A null takes the result type: the unified one, or the typed side's against a literal null.
    const other = chosen === t ? f : t;
    const type =
      resultType ?? (isDynamicNull(chosen) && "type" in other ? other.type : chosen.type);
    return { value: null, nullType: type };
  }
  if (!resultType || typesEqual(chosen.type, resultType)) return { value: chosen.value };
  return { value: convertValue(chosen.value, resultType as TypeSpec, expr.range) };
}

/** hcl's describeConditionalTypeMismatch, for the common shapes. */
function describeMismatch(a: CtyType, b: CtyType): string {
  if (a.kind === "object" && b.kind === "object") {
    const missing = (x: typeof a, y: typeof a) =>
      Object.keys(x.attrs)
        .sort()
        .find((k) => !Object.hasOwn(y.attrs, k));
    const inTrue = missing(a, b);
    if (inTrue !== undefined)
      return `The 'true' value includes object attribute "${inTrue}", which is absent in the 'false' value`;
    const inFalse = missing(b, a);
    if (inFalse !== undefined)
      return `The 'false' value includes object attribute "${inFalse}", which is absent in the 'true' value`;
  }
  if (a.kind === "tuple" && b.kind === "tuple" && a.elems.length !== b.elems.length)
    return `The 'true' tuple has length ${a.elems.length}, but the 'false' tuple has length ${b.elems.length}`;
  const [an, bn] = [friendlyName(a), friendlyName(b)];
  if (an === bn)
    return "At least one deeply-nested attribute or element is not compatible across both the 'true' and the 'false' value";
  return `The 'true' value is ${an}, but the 'false' value is ${bn}`;
}
