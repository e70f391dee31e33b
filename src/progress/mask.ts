/** Hides secret values wherever they would be shown: logs, errors, summaries. */
export interface Masker {
  mask(text: string): string;
}

export function createMasker(secrets: readonly string[]): Masker {
  const values = [...new Set(secrets.filter((s) => s.length >= 3))].sort(
    (a, b) => b.length - a.length,
  );
  if (values.length === 0) return { mask: (t) => t };
  const re = new RegExp(values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
  return { mask: (t) => t.replace(re, "****") };
}
