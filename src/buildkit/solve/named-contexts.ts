/**
 * For Dockerfile frontends without named contexts (the Docker Engine 20.10's built-in
 * dockerfile 1.2): point `FROM name` and `COPY --from=name` at the image the named
 * context stands for, in the Dockerfile text mbake sends.
 */
export class NamedContextError extends Error {
  override name = "NamedContextError";
}

export function rewriteNamedContexts(
  dockerfile: string,
  contexts: Readonly<Record<string, string>>,
  endpoint: string,
): string {
  const images = new Map<string, string>();
  for (const [name, value] of Object.entries(contexts)) {
    if (value.startsWith("docker-image://"))
      images.set(name.toLowerCase(), value.slice("docker-image://".length));
    else {
      throw new NamedContextError(
        `context "${name}" (${value}) needs named-context support in the Dockerfile frontend, which ${endpoint} does not have; use a docker-image:// context or a newer BuildKit`,
      );
    }
  }
  if (images.size === 0) return dockerfile;
  const stages = new Set<string>();
  return dockerfile
    .split("\n")
    .map((line) => {
      const from = /^(\s*FROM\s+(?:--platform=\S+\s+)?)(\S+)(.*)$/i.exec(line);
      if (from) {
        const [, head, image, rest] = from as unknown as [string, string, string, string];
        const as = /\s+AS\s+(\S+)/i.exec(rest);
        const replaced =
          !stages.has(image.toLowerCase()) && images.has(image.toLowerCase())
            ? images.get(image.toLowerCase())!
            : image;
        if (as) stages.add(as[1]!.toLowerCase());
        return `${head}${replaced}${rest}`;
      }
      return line.replace(/(--from=)(\S+)/i, (all, flag: string, name: string) =>
        !stages.has(name.toLowerCase()) && images.has(name.toLowerCase())
          ? `${flag}${images.get(name.toLowerCase())}`
          : all,
      );
    })
    .join("\n");
}
