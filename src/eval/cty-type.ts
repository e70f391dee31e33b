/**
 * The cty types behind mbake's plain values, where the value alone does not tell them:
 * which arrays are sets (or lists, or maps, made by a conversion), what type a null
 * has, and cty's rules for converting between types and unifying two of them (the
 * result type of a conditional).
 *
 * A TypeSpec's "any" stands for cty's DynamicPseudoType; "nil" is the type-less null
 * buildx gives a typed variable that has neither a default nor a value from the
 * environment: it converts to no type at all.
 */
import type { TypeSpec } from "./types.js";
import { type Value, valuesEqual } from "./value.js";

export type CtyType = TypeSpec | { readonly kind: "nil" };

const dynamic: TypeSpec = { kind: "any" };
const declared = new WeakMap<object, TypeSpec>();
const nullMembers = new WeakMap<object, ReadonlyMap<string, CtyType>>();

/** Records that an array or object is a collection of a known type (a set, list or map). */
export function declareType<T extends Value>(v: T, type: TypeSpec): T {
  if (v !== null && typeof v === "object") declared.set(v, type);
  return v;
}

/** The collection type recorded for an array or object, if any. */
export function declaredType(v: Value): TypeSpec | undefined {
  return v !== null && typeof v === "object" ? declared.get(v) : undefined;
}

/** Records the types of an array's or object's null members (keys as strings). */
export function declareNullMembers(v: Value, types: ReadonlyMap<string, CtyType>): void {
  if (v !== null && typeof v === "object" && types.size > 0) nullMembers.set(v, types);
}

/** The type of a null member of an array or object, when known. */
export function nullMemberType(v: Value, key: string | number): CtyType | undefined {
  return v !== null && typeof v === "object" ? nullMembers.get(v)?.get(String(key)) : undefined;
}

/**
 * The type of a null member of an array or object: the one recorded for it, or the element
 * type of the collection type the value was converted to. Undefined for a plain null.
 */
export function memberNullType(v: Value, key: string | number): CtyType | undefined {
  const recorded = nullMemberType(v, key);
  if (recorded) return recorded;
  const t = v !== null && typeof v === "object" ? declared.get(v) : undefined;
  return t && (t.kind === "list" || t.kind === "set" || t.kind === "map") ? t.elem : undefined;
}

export function isSet(v: Value): boolean {
  return v !== null && typeof v === "object" && declared.get(v)?.kind === "set";
}

/** A value's type; a null's is `nullType` (the type of a literal null, dynamic, by default). */
export function typeOf(v: Value, nullType: CtyType = dynamic): CtyType {
  if (v === null) return nullType;
  if (typeof v === "string") return { kind: "string" };
  if (typeof v === "number") return { kind: "number" };
  if (typeof v === "boolean") return { kind: "bool" };
  const known = declared.get(v);
  if (known) return known;
  const member = (x: Value, k: string): CtyType => typeOf(x, nullMemberType(v, k));
  if (Array.isArray(v))
    return { kind: "tuple", elems: v.map((x, i) => asSpec(member(x, String(i)))) };
  const attrs: Record<string, { type: TypeSpec; optional: boolean }> = {};
  for (const [k, x] of Object.entries(v))
    attrs[k] = { type: asSpec(member(x, k)), optional: false };
  return { kind: "object", attrs };
}

/** "nil" inside a structure stays unconvertible: it is kept as a marker type. */
function asSpec(t: CtyType): TypeSpec {
  return t as TypeSpec;
}

/** cty's FriendlyName. */
export function friendlyName(t: CtyType): string {
  switch (t.kind) {
    case "list":
    case "set":
    case "map":
      return `${t.kind} of ${friendlyName(t.elem)}`;
    case "any":
      return "dynamic";
    default:
      return t.kind;
  }
}

export function typesEqual(a: CtyType, b: CtyType): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "list":
    case "set":
    case "map":
      return typesEqual(a.elem, (b as typeof a).elem);
    case "tuple": {
      const be = (b as typeof a).elems;
      return a.elems.length === be.length && a.elems.every((t, i) => typesEqual(t, be[i]!));
    }
    case "object": {
      const ba = (b as typeof a).attrs;
      const keys = Object.keys(a.attrs);
      return (
        keys.length === Object.keys(ba).length &&
        keys.every((k) => Object.hasOwn(ba, k) && typesEqual(a.attrs[k]!.type, ba[k]!.type))
      );
    }
    default:
      return true;
  }
}

const primitive = new Set(["string", "number", "bool"]);

/** Whether cty has an (unsafe) conversion from one type to another: getConversionKnown. */
export function convertible(from: CtyType, to: CtyType): boolean {
  if (to.kind === "any") return true;
  if (from.kind === "nil" || to.kind === "nil") return false;
  if (from.kind === "any" || typesEqual(from, to)) return true;
  if (primitive.has(from.kind) && primitive.has(to.kind))
    return from.kind === "string" || to.kind === "string";
  switch (to.kind) {
    case "list":
    case "set":
      if (from.kind === "list" || from.kind === "set") return convertible(from.elem, to.elem);
      return from.kind === "tuple" && from.elems.every((t) => convertible(t, to.elem));
    case "map":
      if (from.kind === "map") return convertible(from.elem, to.elem);
      return (
        from.kind === "object" &&
        Object.values(from.attrs).every((a) => convertible(a.type, to.elem))
      );
    case "tuple":
      return (
        from.kind === "tuple" &&
        from.elems.length === to.elems.length &&
        from.elems.every((t, i) => convertible(t, to.elems[i]!))
      );
    case "object":
      if (from.kind === "map")
        return Object.values(to.attrs).every((a) => convertible(from.elem, a.type));
      if (from.kind !== "object") return false;
      return Object.entries(to.attrs).every(([k, a]) =>
        Object.hasOwn(from.attrs, k) ? convertible(from.attrs[k]!.type, a.type) : a.optional,
      );
    default:
      return false;
  }
}

/**
 * cty's convert.UnifyUnsafe: the one type all the given types convert to, or undefined
 * when there is none.
 */
export function unify(types: readonly CtyType[]): CtyType | undefined {
  if (types.length === 0) return undefined;
  const count = (kind: string) => types.filter((t) => t.kind === kind).length;
  const [maps, lists, sets, objects, tuples, dyn] = [
    "map",
    "list",
    "set",
    "object",
    "tuple",
    "any",
  ].map(count) as [number, number, number, number, number, number];
  const n = types.length;
  if (maps > 0 && maps + dyn === n) return unifyCollections("map", types, dyn > 0);
  if (maps > 0 && maps + objects + dyn === n) {
    const t = unifyAs("map", types);
    if (t) return t;
  } else if (lists > 0 && lists + dyn === n) return unifyCollections("list", types, dyn > 0);
  else if (lists > 0 && lists + tuples + dyn === n) {
    const t = unifyAs("list", types);
    if (t) return t;
  } else if (sets > 0 && sets + dyn === n) return unifyCollections("set", types, dyn > 0);
  else if (objects > 0 && objects + dyn === n) return unifyObjects(types, dyn > 0);
  else if (tuples > 0 && tuples + dyn === n) return unifyTuples(types, dyn > 0);
  else if (objects > 0 && tuples > 0) return undefined;
  for (const want of preferenceOrder(types)) {
    if (types.every((t) => t === want || convertible(t, want))) return want;
  }
  return undefined;
}

function elementTypes(t: CtyType): CtyType[] {
  if (t.kind === "tuple") return [...t.elems];
  if (t.kind === "object") return Object.values(t.attrs).map((a) => a.type);
  return [];
}

function collection(kind: "list" | "set" | "map", elem: CtyType): TypeSpec {
  return { kind, elem: asSpec(elem) };
}

/** Every type converts to `kind(T)` for one unified T: all convert, or none (cty's *ToList / *ToMap). */
function unifyAllTo(kind: "list" | "map", types: readonly CtyType[]): CtyType | undefined {
  const elem = unify(types.flatMap(elementTypes));
  if (!elem) return undefined;
  const want = collection(kind, elem);
  return types.every((t) => convertible(t, want)) ? want : undefined;
}

/** cty's unifyTuplesAsList / unifyObjectsAsMaps: tuples as a list, objects as a map. */
function unifyAs(kind: "list" | "map", types: readonly CtyType[]): CtyType | undefined {
  const structural = kind === "list" ? "tuple" : "object";
  const as = unifyAllTo(
    kind,
    types.filter((t) => t.kind === structural),
  );
  if (!as) return undefined;
  const t = unify(types.map((x) => (x.kind === structural ? as : x)));
  return t?.kind === kind ? t : undefined;
}

function unifyCollections(
  kind: "list" | "set" | "map",
  types: readonly CtyType[],
  hasDynamic: boolean,
): CtyType | undefined {
  if (hasDynamic) return dynamic;
  const elem = unify(types.map((t) => (t as { elem: TypeSpec }).elem));
  if (!elem) return undefined;
  const want = collection(kind, elem);
  return types.every((t) => convertible(t, want)) ? want : undefined;
}

function unifyObjects(types: readonly CtyType[], hasDynamic: boolean): CtyType | undefined {
  if (hasDynamic) return dynamic;
  const objects = types as readonly Extract<TypeSpec, { kind: "object" }>[];
  const names = Object.keys(objects[0]!.attrs);
  const sameNames = objects.every(
    (o) =>
      Object.keys(o.attrs).length === names.length && names.every((k) => Object.hasOwn(o.attrs, k)),
  );
  if (!sameNames) return unifyAllTo("map", types);
  const attrs: Record<string, { type: TypeSpec; optional: boolean }> = {};
  for (const k of names) {
    const t = unify(objects.map((o) => o.attrs[k]!.type));
    if (!t) return undefined;
    attrs[k] = { type: asSpec(t), optional: false };
  }
  const want: TypeSpec = { kind: "object", attrs };
  return types.every((t) => convertible(t, want)) ? want : unifyAllTo("map", types);
}

function unifyTuples(types: readonly CtyType[], hasDynamic: boolean): CtyType | undefined {
  if (hasDynamic) return dynamic;
  const tuples = types as readonly Extract<TypeSpec, { kind: "tuple" }>[];
  const length = tuples[0]!.elems.length;
  if (tuples.some((t) => t.elems.length !== length)) return unifyAllTo("list", types);
  const elems: TypeSpec[] = [];
  for (let i = 0; i < length; i++) {
    const t = unify(tuples.map((x) => x.elems[i]!));
    if (!t) return undefined;
    elems.push(asSpec(t));
  }
  const want: TypeSpec = { kind: "tuple", elems };
  return types.every((t) => convertible(t, want)) ? want : unifyAllTo("list", types);
}

/** cty's sortTypes: the types in the order unification tries them, most general first. */
function preferenceOrder(types: readonly CtyType[]): CtyType[] {
  const n = types.length;
  const edges: number[][] = types.map(() => []);
  for (let i = 0; i < n - 1; i++) {
    for (let j = i + 1; j < n; j++) {
      const cmp = compareTypes(types[i]!, types[j]!);
      if (cmp < 0) edges[i]!.push(j);
      else if (cmp > 0) edges[j]!.push(i);
    }
  }
  const inDegree = types.map(() => 0);
  for (const outs of edges) for (const j of outs) inDegree[j]!++;
  const queue = inDegree.flatMap((d, i) => (d === 0 ? [i] : []));
  for (let at = 0; at < queue.length; at++) {
    for (const j of edges[queue[at]!]!) if (--inDegree[j]! === 0) queue.push(j);
  }
  return queue.map((i) => types[i]!);
}

/** cty's compareTypes: negative when a is the more general type. */
function compareTypes(a: CtyType, b: CtyType): number {
  if (a.kind === "any" || b.kind === "any") {
    if (a.kind !== "any") return -1;
    return b.kind !== "any" ? 1 : 0;
  }
  if (primitive.has(a.kind) && primitive.has(b.kind)) {
    if (a.kind === "string" || b.kind === "string") {
      if (a.kind !== "string") return 1;
      return b.kind !== "string" ? -1 : 0;
    }
  }
  for (const kind of ["list", "set", "map"] as const) {
    if (a.kind === kind && b.kind === kind) return compareTypes(a.elem, b.elem);
  }
  const swapped =
    (a.kind === "tuple" && b.kind === "list") ||
    (a.kind === "object" && b.kind === "map") ||
    (a.kind === "set" && (b.kind === "tuple" || b.kind === "list"));
  const [x, y, sign] = swapped ? [b, a, -1] : [a, b, 1];
  if (y.kind === "set" && (x.kind === "tuple" || x.kind === "list")) return -sign;
  if (x.kind === "list" && y.kind === "tuple") return -sign;
  if (x.kind === "map" && y.kind === "object") return -sign;
  if (x.kind === "object" && y.kind === "object") {
    const ka = Object.keys(x.attrs);
    if (ka.length !== Object.keys(y.attrs).length || ka.some((k) => !Object.hasOwn(y.attrs, k)))
      return 0;
    return sign * supertypeOf(ka.map((k) => compareTypes(x.attrs[k]!.type, y.attrs[k]!.type)));
  }
  if (x.kind === "tuple" && y.kind === "tuple") {
    if (x.elems.length !== y.elems.length) return 0;
    return sign * supertypeOf(x.elems.map((t, i) => compareTypes(t, y.elems[i]!)));
  }
  return 0;
}

function supertypeOf(cmps: readonly number[]): number {
  const aSuper = cmps.some((c) => c < 0);
  const bSuper = cmps.some((c) => c > 0);
  if (aSuper === bSuper) return 0;
  return aSuper ? -1 : 1;
}

/** A set's elements as cty orders them: strings by bytes, numbers by value, false first. */
export function setOrder(values: readonly Value[]): Value[] {
  const out: Value[] = [];
  for (const v of values) if (!out.some((o) => valuesEqual(o, v))) out.push(v);
  if (out.every((v) => typeof v === "string"))
    return (out as string[]).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  if (out.every((v) => typeof v === "number")) return (out as number[]).sort((a, b) => a - b);
  if (out.every((v) => typeof v === "boolean"))
    return (out as boolean[]).sort((a, b) => Number(a) - Number(b));
  return out;
}
