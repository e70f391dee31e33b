/**
 * Bounds on evaluation, so that a bake file from a stranger cannot keep mbake busy
 * for ever: how many `for` iterations one evaluation may run, how many targets a
 * matrix (and a whole project) may produce, how deep references and `inherits`
 * chains may go. Exceeding a bound is an error at the place that asked for too much.
 */
import type { SourceRange } from "../diagnostics/source.js";
import { fail } from "./value.js";

export const evalLimits = {
  /** Iterations of `for` expressions and `%{ for }` directives, in total, per evaluation. */
  forIterations: 1_000_000,
  /** Targets one matrix may produce, and targets a project may have in total. */
  targets: 10_000,
  /** Variables, attribute references and function calls nested in one another. */
  nesting: 500,
  /** Levels of an `inherits` chain. */
  inheritsDepth: 500,
  /** Parent merges made to resolve one target (diamonds of `inherits` multiply). */
  inheritsMerges: 20_000,
} as const;

/** The work one evaluation has done so far; shared by every context derived from the same root. */
export class EvalBudget {
  private iterations = 0;
  private depth = 0;

  /**
   * Runs `work` one level deeper (a variable's value, an attribute reference, a
   * function call); refuses at `range` past the nesting limit rather than overflow the stack.
   */
  nested<T>(range: SourceRange, what: string, work: () => T): T {
    if (this.depth >= evalLimits.nesting) {
      fail(
        `Nesting too deep; ${what} is nested more than ${evalLimits.nesting} levels deep in other variables, references or function calls (the limit).`,
        range,
      );
    }
    this.depth++;
    try {
      return work();
    } finally {
      this.depth--;
    }
  }

  /** Counts `n` more `for` iterations; refuses at `range` when the total passes the limit. */
  iterate(n: number, range: SourceRange): void {
    this.iterations += n;
    if (this.iterations > evalLimits.forIterations) {
      fail(
        `Too much iteration; 'for' expressions in these files run more than ${evalLimits.forIterations.toLocaleString("en-US")} iterations in total, past the limit; use smaller collections.`,
        range,
      );
    }
  }
}
