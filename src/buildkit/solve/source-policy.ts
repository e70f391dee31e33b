/**
 * A source policy that has BuildKit read images only the Docker Engine's store holds
 * (target: dependencies handed over there) from the store alone. The Dockerfile frontend
 * resolves a docker-image:// named context in the mode image-resolve-mode asks, but the
 * image source it then adds carries no mode, and BuildKit's default mode asks the registry
 * before the store: for mbake-local/NAME that is Docker Hub, once per dependent build. The
 * daemon applies a solve's policy to every source the frontend adds, so a CONVERT rule that
 * keeps the name and sets image.resolvemode=local (prefer the store) puts the store first.
 * Pure.
 */

/** The policy as the generated SolveRequest encoder takes it (sourcepolicy.proto). */
export interface SourcePolicyMessage {
  readonly version: number;
  readonly rules: readonly {
    readonly action: number;
    readonly selector: { readonly identifier: string; readonly match_type: number };
    readonly updates: { readonly identifier: string; readonly attrs: Record<string, string> };
  }[];
}

const convert = 2;
const exact = 1;

/**
 * An image reference as BuildKit names its source (docker.io and library/ spelt out, a
 * name with neither tag nor digest read as :latest), so that an exact match finds it.
 */
export function normalizedImageRef(ref: string): string {
  const slash = ref.indexOf("/");
  const first = slash < 0 ? "" : ref.slice(0, slash);
  const hasDomain = first.includes(".") || first.includes(":") || first === "localhost";
  const named = hasDomain ? ref : `docker.io/${slash < 0 ? `library/${ref}` : ref}`;
  const lastPart = named.slice(named.lastIndexOf("/") + 1);
  return lastPart.includes(":") || lastPart.includes("@") ? named : `${named}:latest`;
}

/** The policy for these store-only images (none when there are none). */
export function storeImagePolicy(images: readonly string[]): SourcePolicyMessage | undefined {
  if (images.length === 0) return undefined;
  const identifiers = [...new Set(images.map((i) => `docker-image://${normalizedImageRef(i)}`))];
  return {
    version: 1,
    rules: identifiers.map((identifier) => ({
      action: convert,
      selector: { identifier, match_type: exact },
      updates: { identifier: "", attrs: { "image.resolvemode": "local" } },
    })),
  };
}
