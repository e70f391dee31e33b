/**
 * Numbers in compose files as compose-go (Go's yaml.v3) reads and prints them: integers
 * in Go's forms (underscores anywhere, 0x, 0o, 0b, and a leading 0 for octal, as YAML
 * 1.1 wrote it), and floats printed in Go's shortest %g form (1e+06, 1e-05, +Inf).
 */
import type { ScalarTag } from "yaml";

/** The integer forms Go's strconv.ParseInt(s, 0, 64) accepts once underscores are gone. */
const goIntForm = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;

/** yaml.v3's float form (after underscores are dropped). */
const goFloatForm = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;

function goIntValue(text: string): number {
  const plain = text.replace(/_/g, "");
  const sign = plain.startsWith("-") ? -1 : 1;
  const digits = plain.replace(/^[-+]/, "");
  const value = /^0[0-7]+$/.test(digits) ? Number.parseInt(digits, 8) : Number(digits);
  return sign * value || 0;
}

/**
 * A YAML tag for plain scalars that yaml.v3 reads as integers and the YAML 1.2 core
 * schema does not (0755 as octal, 1_000, 0b101), put before the core schema's own.
 */
export const goIntTag: ScalarTag = {
  identify: (v) => Number.isInteger(v),
  default: true,
  tag: "tag:yaml.org,2002:int",
  format: "GO",
  // A digit first (after a sign), as yaml.v3 tries a number only then.
  test: /^[-+]?[0-9][0-9a-zA-Z_.+-]*$/,
  resolve: (text: string) => {
    const plain = text.replace(/_/g, "");
    if (goIntForm.test(plain)) return goIntValue(text);
    // Not an integer to Go (08, 1.5_0): a float if it has a float's form; the rest is text.
    return goFloatForm.test(plain) ? Number(plain) : text;
  },
};

/** A number as Go prints it: integers whole, floats in %g's shortest form. */
export function goNumberString(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "+Inf";
  if (n === Number.NEGATIVE_INFINITY) return "-Inf";
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 64) return String(n);
  // The shortest digits that read back as n, with their decimal exponent.
  const [mantissa, expText] = n.toExponential().split("e") as [string, string];
  const exp = Number(expText);
  // Go's %g with the shortest digits switches to an exponent below 1e-4 and from 1e6.
  if (exp < -4 || exp >= 6) {
    const e = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : String(Math.abs(exp));
    return `${mantissa}e${exp < 0 ? "-" : "+"}${e}`;
  }
  return String(n);
}
