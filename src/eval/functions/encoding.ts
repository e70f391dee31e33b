/** Encoding, hashing, UUID and bytes functions (go-cty-funcs and cty's stdlib). */
import { constants, createHash, privateDecrypt, randomUUID } from "node:crypto";
import type { HclFunction } from "../function.js";
import { record, type Value, valueToString } from "../value.js";
import { define } from "./define.js";
import { toJson } from "./format.js";

const str = (v: Value) => valueToString(v);

function fromJson(v: unknown): Value {
  if (v === null || typeof v === "boolean" || typeof v === "number" || typeof v === "string")
    return v;
  if (Array.isArray(v)) return v.map(fromJson);
  const out = record<Value>();
  for (const [k, x] of Object.entries(v as object)) out[k] = fromJson(x);
  return out;
}

/** RFC 4180 CSV as Go's encoding/csv reads it (first row are the column names). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  let fieldStarted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        field += c;
        i++;
      }
      continue;
    }
    if (c === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
      i++;
    } else if (c === ",") {
      row.push(field);
      field = "";
      fieldStarted = false;
      i++;
    } else if (c === "\n" || c === "\r") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      fieldStarted = false;
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
    } else {
      field += c;
      fieldStarted = true;
      i++;
    }
  }
  if (quoted) throw new Error('extraneous or missing " in quoted-field');
  if (fieldStarted || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ""));
}

const namespaces: Record<string, string> = {
  dns: "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
  url: "6ba7b811-9dad-11d1-80b4-00c04fd430c8",
  oid: "6ba7b812-9dad-11d1-80b4-00c04fd430c8",
  x500: "6ba7b814-9dad-11d1-80b4-00c04fd430c8",
};

function uuidv5(namespace: string, name: string): string {
  const ns = namespaces[namespace] ?? namespace;
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ns)) {
    throw new Error(
      `uuidv5() doesn't support namespace "${namespace}": use dns, url, oid, x500 or a UUID`,
    );
  }
  const bytes = createHash("sha1")
    .update(Buffer.from(ns.replace(/-/g, ""), "hex"))
    .update(name)
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const h = bytes.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Go's url.QueryEscape. */
function queryEscape(s: string): string {
  return Array.from(Buffer.from(s, "utf8"))
    .map((b) => {
      const c = String.fromCharCode(b);
      if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
      if (c === " ") return "+";
      return `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .join("");
}

const hash = (algorithm: string) =>
  define(["str"], ([s]) => createHash(algorithm).update(str(s!)).digest("hex"));

const bytesOnly = (name: string) =>
  define(name === "byteslen" ? ["buf"] : ["buf", "offset", "length"], () => {
    throw new Error("a bytes buffer is required; bake values are never bytes buffers");
  });

export const encodingFunctions: Record<string, HclFunction> = {
  base64encode: define(["str"], ([s]) => Buffer.from(str(s!), "utf8").toString("base64")),
  base64decode: define(["str"], ([s]) => {
    const text = str(s!);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0)
      throw new Error("failed to decode base64 data");
    const decoded = Buffer.from(text, "base64");
    const out = decoded.toString("utf8");
    if (!Buffer.from(out, "utf8").equals(decoded))
      throw new Error("the result of decoding the provided string is not valid UTF-8");
    return out;
  }),
  urlencode: define(["str"], ([s]) => queryEscape(str(s!))),
  jsonencode: define(["val"], ([v]) => toJson(v!), { allowNull: ["val"] }),
  jsondecode: define(["str"], ([s]) => {
    try {
      return fromJson(JSON.parse(str(s!)));
    } catch (err) {
      throw new Error(`invalid JSON: ${(err as Error).message}`);
    }
  }),
  csvdecode: define(["str"], ([s]) => {
    const rows = parseCsv(str(s!));
    if (rows.length === 0) throw new Error("missing header line");
    const [header, ...data] = rows as [string[], ...string[][]];
    return data.map((r, i) => {
      if (r.length !== header.length)
        throw new Error(`record on line ${i + 2}: wrong number of fields`);
      return Object.fromEntries(header.map((h, j) => [h, r[j]!]));
    });
  }),
  md5: hash("md5"),
  sha1: hash("sha1"),
  sha256: hash("sha256"),
  sha512: hash("sha512"),
  rsadecrypt: define(["ciphertext", "privatekey"], ([c, k]) => {
    const data = Buffer.from(str(c!), "base64");
    try {
      return privateDecrypt({ key: str(k!), padding: constants.RSA_PKCS1_PADDING }, data).toString(
        "utf8",
      );
    } catch (err) {
      throw new Error(`failed to decrypt: ${(err as Error).message}`);
    }
  }),
  uuidv4: define([], () => randomUUID()),
  uuidv5: define(["namespace", "name"], ([ns, n]) => uuidv5(str(ns!), str(n!))),
  byteslen: bytesOnly("byteslen"),
  bytesslice: bytesOnly("bytesslice"),
};
