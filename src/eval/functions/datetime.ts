/** formatdate, timeadd and timestamp, with the RFC 3339 and Go duration rules cty uses. */
import type { HclFunction } from "../function.js";
import { type Value, valueToString } from "../value.js";
import { define } from "./define.js";

interface Timestamp {
  /** Milliseconds since the epoch (UTC). */
  readonly ms: number;
  /** Extra nanoseconds below the millisecond, for exact round trips. */
  readonly offsetMinutes: number;
  readonly utc: boolean;
}

export function parseRfc3339(text: string): Timestamp {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) {
    throw new Error(`not a valid RFC3339 timestamp: "${text}" (write e.g. 2006-01-02T15:04:05Z)`);
  }
  const [, y, mo, d, h, mi, s, frac = "", zone] = m;
  const utc = zone === "Z" || zone === "z";
  const offsetMinutes = utc
    ? 0
    : (zone![0] === "-" ? -1 : 1) * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6)));
  const local = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(s),
    Math.floor(Number(`0${frac || ".0"}`) * 1000),
  );
  const check = new Date(local);
  if (check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    throw new Error(`not a valid RFC3339 timestamp: "${text}": a field is out of range`);
  }
  return { ms: local - offsetMinutes * 60_000, offsetMinutes, utc };
}

function two(n: number): string {
  return String(n).padStart(2, "0");
}

function zone(t: Timestamp, style: "Z" | "ZZZ" | "ZZZZ" | "ZZZZZ"): string {
  const sign = t.offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(t.offsetMinutes);
  const hm = `${two(Math.floor(abs / 60))}${two(abs % 60)}`;
  switch (style) {
    case "Z":
      return t.utc ? "Z" : `${sign}${hm.slice(0, 2)}:${hm.slice(2)}`;
    case "ZZZ":
      return t.utc || t.offsetMinutes === 0 ? "UTC" : `${sign}${hm}`;
    case "ZZZZ":
      return `${sign}${hm}`;
    case "ZZZZZ":
      return `${sign}${hm.slice(0, 2)}:${hm.slice(2)}`;
  }
}

const months = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

export function formatDate(spec: string, t: Timestamp): string {
  const local = new Date(t.ms + t.offsetMinutes * 60_000);
  const Y = local.getUTCFullYear();
  const M = local.getUTCMonth();
  const D = local.getUTCDate();
  const H = local.getUTCHours();
  const min = local.getUTCMinutes();
  const S = local.getUTCSeconds();
  const h12 = H % 12 === 0 ? 12 : H % 12;
  let out = "";
  let i = 0;
  while (i < spec.length) {
    const c = spec[i]!;
    if (c === "'") {
      // A quoted literal; '' inside it is one quote.
      let j = i + 1;
      let lit = "";
      for (;;) {
        if (j >= spec.length) throw new Error("unterminated literal '");
        if (spec[j] === "'") {
          if (spec[j + 1] === "'") {
            lit += "'";
            j += 2;
            continue;
          }
          break;
        }
        lit += spec[j];
        j++;
      }
      out += j === i + 1 ? "'" : lit;
      i = j + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(c)) {
      out += c;
      i++;
      continue;
    }
    let j = i;
    while (spec[j] === c) j++;
    const seq = spec.slice(i, j);
    i = j;
    switch (seq) {
      case "YYYY":
        out += String(Y).padStart(4, "0");
        break;
      case "YY":
        out += two(Y % 100);
        break;
      case "MMMM":
        out += months[M];
        break;
      case "MMM":
        out += months[M]!.slice(0, 3);
        break;
      case "MM":
        out += two(M + 1);
        break;
      case "M":
        out += String(M + 1);
        break;
      case "DD":
        out += two(D);
        break;
      case "D":
        out += String(D);
        break;
      case "EEEE":
        out += days[local.getUTCDay()];
        break;
      case "EEE":
        out += days[local.getUTCDay()]!.slice(0, 3);
        break;
      case "hh":
        out += two(H);
        break;
      case "h":
        out += String(H);
        break;
      case "HH":
        out += two(h12);
        break;
      case "H":
        out += String(h12);
        break;
      case "AA":
        out += H < 12 ? "AM" : "PM";
        break;
      case "aa":
        out += H < 12 ? "am" : "pm";
        break;
      case "mm":
        out += two(min);
        break;
      case "m":
        out += String(min);
        break;
      case "ss":
        out += two(S);
        break;
      case "s":
        out += String(S);
        break;
      case "ZZZZZ":
      case "ZZZZ":
      case "ZZZ":
      case "Z":
        out += zone(t, seq);
        break;
      default:
        throw new Error(
          `invalid date format verb "${seq}": perhaps you intended to quote it, like '${seq}'?`,
        );
    }
  }
  return out;
}

const durationUnits: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration, in milliseconds. */
export function parseDuration(text: string): number {
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(text);
  if (text === "0") return 0;
  if (!m) throw new Error(`time: invalid duration "${text}"`);
  let total = 0;
  for (const part of text
    .replace(/^[+-]/, "")
    .matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * durationUnits[part[2]!]!;
  }
  return m[1] === "-" ? -total : total;
}

export function formatRfc3339(t: Timestamp): string {
  const local = new Date(t.ms + t.offsetMinutes * 60_000);
  const base = local.toISOString().slice(0, 19);
  return `${base}${t.utc ? "Z" : zone(t, "ZZZZZ")}`;
}

const str = (v: Value) => valueToString(v);

export const dateFunctions: Record<string, HclFunction> = {
  formatdate: define(["format", "time"], ([f, t]) => formatDate(str(f!), parseRfc3339(str(t!)))),
  timeadd: define(["timestamp", "duration"], ([t, d]) => {
    const ts = parseRfc3339(str(t!));
    return formatRfc3339({ ...ts, ms: ts.ms + parseDuration(str(d!)) });
  }),
  timestamp: define([], () => `${new Date().toISOString().slice(0, 19)}Z`),
};
