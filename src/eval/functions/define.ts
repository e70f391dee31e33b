/** A small helper to declare eager functions with named parameters. */
import type { SourceRange } from "../../diagnostics/source.js";
import type { CtyType } from "../cty-type.js";
import type { EagerFunction } from "../function.js";
import type { Value } from "../value.js";

export function define(
  params: readonly string[],
  call: (args: readonly Value[], range: SourceRange, types?: readonly CtyType[]) => Value,
  options: { variadic?: string; allowNull?: readonly string[]; typed?: boolean } = {},
): EagerFunction {
  const allow = new Set(options.allowNull ?? []);
  return {
    params: params.map((name) => ({ name, allowNull: allow.has(name) })),
    ...(options.variadic
      ? { variadic: { name: options.variadic, allowNull: allow.has(options.variadic) } }
      : {}),
    call,
    ...(options.typed ? { typed: true } : {}),
  };
}
