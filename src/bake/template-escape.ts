/**
 * `${` and `%{` written again as `$${` and `%%{`, in every string of a value (keys stay as
 * they are): what buildx's --print does to some fields, and what a compose file's values
 * need to stay literal once read as bake JSON.
 */
export function escapeTemplates<T>(v: T): T {
  if (typeof v === "string")
    return v.replaceAll("${", () => "$${").replaceAll("%{", () => "%%{") as T;
  if (Array.isArray(v)) return v.map(escapeTemplates) as T;
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = Object.create(null);
    for (const [k, x] of Object.entries(v)) out[k] = escapeTemplates(x);
    return out as T;
  }
  return v;
}
