/**
 * `${` and `%{` written again as `$${` and `%%{`, in every string of a value: what buildx's
 * --print does to some fields (their map keys stay as they are), and what a compose file's
 * values and map keys need to stay literal once read as bake JSON, where object keys are
 * templates too (`keys: true`).
 */
export function escapeTemplates<T>(v: T, options: { readonly keys?: boolean } = {}): T {
  const mark = (s: string) => s.replaceAll("${", () => "$${").replaceAll("%{", () => "%%{");
  const walk = (x: unknown): unknown => {
    if (typeof x === "string") return mark(x);
    if (Array.isArray(x)) return x.map(walk);
    if (x !== null && typeof x === "object") {
      const out: Record<string, unknown> = Object.create(null);
      for (const [k, y] of Object.entries(x)) out[options.keys ? mark(k) : k] = walk(y);
      return out;
    }
    return x;
  };
  return walk(v) as T;
}
