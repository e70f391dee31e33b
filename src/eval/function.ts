/** The shape of a callable function, built-in or from a `function` block. */
import type { SourceRange } from "../diagnostics/source.js";
import type { Expression } from "../hcl/ast.js";
import type { CtyType } from "./cty-type.js";
import type { Value } from "./value.js";

export interface ParamSpec {
  readonly name: string;
  /** Whether null may be passed (most functions refuse it). */
  readonly allowNull?: boolean;
}

export interface EagerFunction {
  readonly params: readonly ParamSpec[];
  readonly variadic?: ParamSpec;
  readonly lazy?: false;
  call(args: readonly Value[], range: SourceRange, types?: readonly CtyType[]): Value;
  /** Whether call needs the cty types of its arguments (typed nulls included). */
  readonly typed?: boolean;
  /** The type of the null the last call (with these arguments) returned, when it has one. */
  resultNullType?(args: readonly Value[]): CtyType | undefined;
}

/** try() and can() see their arguments unevaluated. */
export interface LazyFunction {
  readonly lazy: true;
  callLazy(
    args: readonly Expression[],
    evaluate: (e: Expression) => Value,
    range: SourceRange,
  ): Value;
  /** The type of a null result, when the arguments give it one (convert(null, T)). */
  nullType?(args: readonly Expression[]): CtyType | undefined;
}

export type HclFunction = EagerFunction | LazyFunction;
export type FunctionTable = ReadonlyMap<string, HclFunction>;
