/** cidrhost, cidrnetmask, cidrsubnet and cidrsubnets for IPv4 and IPv6 (BigInt arithmetic). */
import type { HclFunction } from "../function.js";
import { type Value, valueToNumber, valueToString } from "../value.js";
import { define } from "./define.js";

interface Prefix {
  readonly bits: 32 | 128;
  readonly network: bigint;
  readonly length: number;
}

function parseIp(text: string): { bits: 32 | 128; value: bigint } {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(text)) {
    const parts = text.split(".").map(Number);
    if (parts.some((p) => p > 255)) throw new Error(`invalid IP address "${text}"`);
    return { bits: 32, value: parts.reduce((a, p) => (a << 8n) | BigInt(p), 0n) };
  }
  if (text.includes(":")) {
    const [head, tail] = text.split("::") as [string, string | undefined];
    const h = head ? head.split(":") : [];
    const t = tail ? tail.split(":") : [];
    if (text.split("::").length > 2) throw new Error(`invalid IP address "${text}"`);
    const missing = 8 - h.length - t.length;
    const groups = tail === undefined ? h : [...h, ...Array(missing).fill("0"), ...t];
    if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g)))
      throw new Error(`invalid IP address "${text}"`);
    return {
      bits: 128,
      value: groups.reduce((a, g) => (a << 16n) | BigInt(Number.parseInt(g, 16)), 0n),
    };
  }
  throw new Error(`invalid IP address "${text}"`);
}

function formatIp(bits: 32 | 128, v: bigint): string {
  if (bits === 32) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(112 - 16 * i)) & 0xffffn));
  // Compress the longest run (length >= 2) of zero groups, as Go does.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

function parsePrefix(text: string): Prefix {
  const [ip, len] = text.split("/");
  if (len === undefined || !/^\d+$/.test(len)) throw new Error(`invalid CIDR address "${text}"`);
  const { bits, value } = parseIp(ip!);
  const length = Number(len);
  if (length > bits) throw new Error(`invalid CIDR address "${text}"`);
  const hostBits = BigInt(bits - length);
  return { bits, network: (value >> hostBits) << hostBits, length };
}

function subnet(p: Prefix, newbits: number, netnum: bigint): Prefix {
  const length = p.length + newbits;
  if (newbits < 0 || length > p.bits)
    throw new Error(`insufficient address space to extend prefix of ${p.length} by ${newbits}`);
  if (netnum < 0n || netnum >= 1n << BigInt(newbits))
    throw new Error(
      `prefix extension of ${newbits} does not accommodate a subnet numbered ${netnum}`,
    );
  return { bits: p.bits, network: p.network | (netnum << BigInt(p.bits - length)), length };
}

const str = (v: Value) => valueToString(v);
const int = (v: Value) => {
  const n = valueToNumber(v);
  if (!Number.isInteger(n)) throw new Error("a whole number is required");
  return n;
};

export const cidrFunctions: Record<string, HclFunction> = {
  cidrhost: define(["prefix", "hostnum"], ([p, h]) => {
    const prefix = parsePrefix(str(p!));
    const size = 1n << BigInt(prefix.bits - prefix.length);
    let host = BigInt(int(h!));
    if (host < 0n) host += size;
    if (host < 0n || host >= size)
      throw new Error(`prefix of ${prefix.length} does not accommodate a host numbered ${h}`);
    return formatIp(prefix.bits, prefix.network + host);
  }),
  cidrnetmask: define(["prefix"], ([p]) => {
    const prefix = parsePrefix(str(p!));
    if (prefix.bits !== 32) throw new Error("only IPv4 networks have a netmask");
    const mask = ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - prefix.length)) - 1n);
    return formatIp(32, mask);
  }),
  cidrsubnet: define(["prefix", "newbits", "netnum"], ([p, b, n]) => {
    const s = subnet(parsePrefix(str(p!)), int(b!), BigInt(int(n!)));
    return `${formatIp(s.bits, s.network)}/${s.length}`;
  }),
  cidrsubnets: define(
    ["prefix"],
    ([p, ...bits]) => {
      const base = parsePrefix(str(p!));
      let next = base.network;
      const out: string[] = [];
      for (const b of bits) {
        const newbits = int(b);
        const length = base.length + newbits;
        if (newbits < 1 || length > base.bits)
          throw new Error(
            `would extend prefix to ${length} bits, which is too long for an IPv${base.bits === 32 ? 4 : 6} address`,
          );
        const step = 1n << BigInt(base.bits - length);
        next = ((next + step - 1n) / step) * step;
        const end = base.network + (1n << BigInt(base.bits - base.length));
        if (next + step > end)
          throw new Error(
            `not enough remaining address space for a subnet with a prefix of ${length} bits after ${out.at(-1) ?? "the start"}`,
          );
        out.push(`${formatIp(base.bits, next)}/${length}`);
        next += step;
      }
      return out;
    },
    { variadic: "newbits" },
  ),
};
