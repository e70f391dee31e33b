/**
 * Bounds on evaluation, so that a bake file from a stranger cannot keep mbake busy
 * for ever: how many `for` iterations one evaluation may run, how many targets a
 * matrix (and a whole project) may produce, how deep references and `inherits`
 * chains may go. Exceeding a bound is an error at the place that asked for too much.
 */

import { DiagnosticError, error } from "../diagnostics/diagnostic.js";
import type { SourceRange } from "../diagnostics/source.js";

/**
 * A bound passed: an error no `try`, `can` or unchosen conditional result hides, since
 * evaluation past it is what the bound is there to stop.
 */
export class LimitExceeded extends DiagnosticError {}

function refuse(summary: string, range: SourceRange): never {
  throw new LimitExceeded(error(summary, range));
}

export const evalLimits = {
  /** Iterations of `for` expressions and `%{ for }` directives, in total, per evaluation. */
  forIterations: 1_000_000,
  /** Targets one matrix may produce, and targets a project may have in total. */
  targets: 10_000,
  /** Variables, attribute references and function calls nested in one another. */
  nesting: 500,
  /**
   * Calls of `function` blocks, in total, per evaluation (a conditional evaluates both its
   * results, so functions calling others from both results double the calls at each level).
   */
  functionCalls: 1_000_000,
  /** Levels of an `inherits` chain. */
  inheritsDepth: 500,
  /** Parent merges made to resolve one target (diamonds of `inherits` multiply). */
  inheritsMerges: 20_000,
} as const;

/** The work one evaluation has done so far; shared by every context derived from the same root. */
export class EvalBudget {
  private iterations = 0;
  private depth = 0;
  private calls = 0;

  /**
   * Runs `work` one level deeper (a variable's value, an attribute reference, a
   * function call); refuses at `range` past the nesting limit rather than overflow the stack.
   */
  nested<T>(range: SourceRange, what: string, work: () => T): T {
    if (this.depth >= evalLimits.nesting) {
      refuse(
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

  /** Counts one more call of a `function` block; refuses at `range` past the limit. */
  call(range: SourceRange, name: string): void {
    if (++this.calls > evalLimits.functionCalls) {
      refuse(
        `Too many function calls; the call of ${name} is past ${evalLimits.functionCalls.toLocaleString("en-US")} calls of functions in total (the limit).`,
        range,
      );
    }
  }

  /** Counts `n` more `for` iterations; refuses at `range` when the total passes the limit. */
  iterate(n: number, range: SourceRange): void {
    this.iterations += n;
    if (this.iterations > evalLimits.forIterations) {
      refuse(
        `Too much iteration; 'for' expressions in these files run more than ${evalLimits.forIterations.toLocaleString("en-US")} iterations in total, past the limit; use smaller collections.`,
        range,
      );
    }
  }
}
