/** format() and formatlist(): Go-style verbs as cty's FormatFunc implements them. */
import {
  formatNumber,
  isObject,
  sortedKeys,
  type Value,
  valueToBool,
  valueToNumber,
  valueToString,
} from "../value.js";

/** JSON text of a value with sorted object keys, as cty's jsonencode writes it. */
export function toJson(v: Value): string {
  if (v === null) return "null";
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "string" || typeof v === "boolean") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(toJson).join(",")}]`;
  if (isObject(v))
    return `{${sortedKeys(v)
      .map((k) => `${JSON.stringify(k)}:${toJson(v[k]!)}`)
      .join(",")}}`;
  return "null";
}

interface Spec {
  flags: string;
  width?: number;
  precision?: number;
  verb: string;
}

function pad(s: string, spec: Spec, numeric: boolean): string {
  if (spec.width === undefined || s.length >= spec.width) return s;
  if (spec.flags.includes("-")) return s.padEnd(spec.width, " ");
  if (numeric && spec.flags.includes("0")) {
    const sign = /^[+-]/.test(s) ? s[0]! : "";
    return sign + s.slice(sign.length).padStart(spec.width - sign.length, "0");
  }
  return s.padStart(spec.width, " ");
}

function signed(n: number, body: string, spec: Spec): string {
  if (n < 0 || Object.is(n, -0)) return body.startsWith("-") ? body : `-${body}`;
  if (spec.flags.includes("+")) return `+${body}`;
  if (spec.flags.includes(" ")) return ` ${body}`;
  return body;
}

function expFormat(n: number, precision: number, upper: boolean): string {
  let s = Math.abs(n).toExponential(precision);
  s = s.replace(/e([+-])(\d)$/, "e$10$2");
  if (n < 0) s = `-${s}`;
  return upper ? s.toUpperCase() : s;
}

function formatOne(spec: Spec, v: Value, argNumber: number): string {
  if (v === null && spec.verb !== "v") {
    throw new Error(
      `unsupported value for "%${spec.verb}" at ${argNumber}: null value cannot be formatted`,
    );
  }
  switch (spec.verb) {
    case "v":
      if (spec.flags.includes("#")) return pad(toJson(v), spec, false);
      if (v === null) return pad("null", spec, false);
      if (typeof v === "string") return pad(v, spec, false);
      if (typeof v === "number" || typeof v === "boolean")
        return pad(valueToString(v), spec, typeof v === "number");
      return pad(toJson(v), spec, false);
    case "t":
      return pad(valueToBool(v) ? "true" : "false", spec, false);
    case "s": {
      let s = valueToString(v);
      if (spec.precision !== undefined) s = Array.from(s).slice(0, spec.precision).join("");
      return pad(s, spec, false);
    }
    case "q":
      return pad(JSON.stringify(valueToString(v)), spec, false);
    case "d":
    case "b":
    case "o":
    case "x":
    case "X": {
      if ((spec.verb === "x" || spec.verb === "X") && typeof v === "string" && !/^-?\d/.test(v)) {
        const hex = Buffer.from(v, "utf8").toString("hex");
        return pad(spec.verb === "X" ? hex.toUpperCase() : hex, spec, false);
      }
      const n = valueToNumber(v);
      if (!Number.isInteger(n))
        throw new Error(
          `unsupported value for "%${spec.verb}" at ${argNumber}: an integer is required`,
        );
      const radix = { d: 10, b: 2, o: 8, x: 16, X: 16 }[spec.verb]!;
      let body = BigInt(Math.abs(n)).toString(radix);
      if (spec.verb === "X") body = body.toUpperCase();
      if (spec.flags.includes("#"))
        body =
          (spec.verb === "o" ? "0" : spec.verb === "b" ? "0b" : spec.verb === "d" ? "" : "0x") +
          body;
      return pad(signed(n, n < 0 ? `-${body}` : body, spec), spec, true);
    }
    case "e":
    case "E": {
      const n = valueToNumber(v);
      return pad(signed(n, expFormat(n, spec.precision ?? 6, spec.verb === "E"), spec), spec, true);
    }
    case "f":
    case "F": {
      const n = valueToNumber(v);
      return pad(signed(n, n.toFixed(spec.precision ?? 6), spec), spec, true);
    }
    case "g":
    case "G": {
      const n = valueToNumber(v);
      let body: string;
      if (spec.precision === undefined) {
        const exp = n === 0 ? 0 : Math.floor(Math.log10(Math.abs(n)));
        body =
          exp < -4 || exp >= 21
            ? expFormat(
                n,
                Math.max(0, String(Math.abs(n)).replace(/^0\.0*|\.|e.*$/g, "").length - 1),
                false,
              )
            : formatNumber(n);
      } else {
        body = Number(n.toPrecision(Math.max(1, spec.precision))).toString();
      }
      if (spec.verb === "G") body = body.toUpperCase();
      return pad(signed(n, body, spec), spec, true);
    }
    default:
      throw new Error(`unsupported format verb "%${spec.verb}"`);
  }
}

/** Formats like Go's fmt.Sprintf with cty's value conversions. */
export function formatValue(format: string, args: readonly Value[]): string {
  let out = "";
  let next = 0;
  const used = new Set<number>();
  const re = /%(?:%|([-+# 0]*)(?:\[(\d+)\])?(\d+)?(?:\.(\d*))?([a-zA-Z]))/g;
  let last = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    if (m[0] === "%%") {
      out += "%";
      continue;
    }
    const [, flags = "", explicit, width, precision, verb] = m;
    if (explicit !== undefined) next = Number(explicit) - 1;
    if (next >= args.length)
      throw new Error(
        `not enough arguments for "%${verb}" at ${m.index}: need index ${next + 1} but have ${args.length} total`,
      );
    const spec: Spec = {
      flags,
      ...(width !== undefined ? { width: Number(width) } : {}),
      ...(precision !== undefined ? { precision: precision === "" ? 0 : Number(precision) } : {}),
      verb: verb!,
    };
    used.add(next);
    out += formatOne(spec, args[next]!, next + 1);
    next++;
  }
  out += format.slice(last);
  if (format.slice(last).includes("%"))
    throw new Error("unrecognized format character at the end of the format string");
  if (used.size < args.length && args.length > 0 && next < args.length) {
    throw new Error(`too many arguments; only ${used.size} used by format string`);
  }
  return out;
}
