/** The small state file that remembers where each target last built (cache warmth). */
export interface WarmthState {
  readonly version: 1;
  readonly lastEndpoint: Record<string, string>;
}

export function parseWarmth(text: string | undefined): Record<string, string> {
  if (!text) return {};
  try {
    const data = JSON.parse(text) as Partial<WarmthState>;
    if (data.version !== 1 || typeof data.lastEndpoint !== "object" || data.lastEndpoint === null)
      return {};
    return Object.fromEntries(
      Object.entries(data.lastEndpoint).filter(([, v]) => typeof v === "string"),
    );
  } catch {
    return {};
  }
}

export function serializeWarmth(
  previous: Readonly<Record<string, string>>,
  built: Readonly<Record<string, string>>,
): string {
  const state: WarmthState = { version: 1, lastEndpoint: { ...previous, ...built } };
  return `${JSON.stringify(state, null, 2)}\n`;
}
