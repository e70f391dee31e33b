/**
 * Every secret text this process has read or obtained: build secrets (read by the one rule in
 * src/buildkit/session/secrets.ts), Docker config credentials and registry tokens. The
 * maskers (src/progress/mask.ts) read this set, so whatever mbake ever held as a secret is
 * hidden in every output, including values that arrive mid-run (a token fetched for a push).
 *
 * Policy: each value is hidden whole and trimmed, and each line of a multi-line value that
 * has at least 6 characters after trimming (BuildKit logs print a file line by line). Texts
 * shorter than 3 characters are never hidden: masking "a" or "1" would garble every line and
 * tell the reader the secret's value anyway. Encoded forms (base64, URL encoding) of build
 * secrets are not hidden (a RUN step can transform a value in endless ways); the encoded
 * forms mbake itself makes of credentials are added by the code that makes them.
 */

/** The shortest text that is hidden. */
export const MIN_SECRET_TEXT = 3;
/** The shortest line of a multi-line secret that is hidden on its own. */
const MIN_SECRET_LINE = 6;

export interface SecretTexts {
  /** Adds a secret value (and its trimmed form and long lines). */
  add(value: string | Uint8Array): void;
  /** The texts to hide, longest first. */
  texts(): readonly string[];
  /** Changes each time a text is added (maskers rebuild their pattern then). */
  version(): number;
}

/** The texts to hide for one value, by the policy above. */
export function textsToHide(value: string): string[] {
  const texts = [value, value.trim()];
  const lines = value.split(/\r?\n/);
  if (lines.length > 1)
    for (const line of lines) if (line.trim().length >= MIN_SECRET_LINE) texts.push(line.trim());
  return texts.filter((t) => t.length >= MIN_SECRET_TEXT);
}

export function createSecretTexts(): SecretTexts {
  const set = new Set<string>();
  let sorted: string[] = [];
  let version = 0;
  return {
    add(value) {
      const text = typeof value === "string" ? value : Buffer.from(value).toString("utf8");
      let added = false;
      for (const t of textsToHide(text)) {
        if (set.has(t)) continue;
        set.add(t);
        added = true;
      }
      if (!added) return;
      sorted = [...set].sort((a, b) => b.length - a.length);
      version++;
    },
    texts: () => sorted,
    version: () => version,
  };
}

/** This process's secrets: what the build, the Docker config and the registries gave mbake. */
export const processSecrets: SecretTexts = createSecretTexts();
