/** For exhaustive switches over closed unions: a type error if a case is missing. */
export function unreachable(value: never, what = "value"): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
