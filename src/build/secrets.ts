/** The texts of the build secrets to hide in progress output, read by the rule the build uses. */
import type { Target } from "../bake/model.js";
import { secretTextsToMask } from "../buildkit/session/secrets.js";

export function secretValues(
  targets: readonly Target[],
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  const specs = targets.flatMap((t) =>
    (t.secret ?? []).map((e) => ({
      id: e.id ?? "",
      ...(e.src !== undefined ? { src: e.src } : {}),
      ...(e.env !== undefined ? { env: e.env } : {}),
    })),
  );
  return secretTextsToMask(specs, env, cwd);
}
