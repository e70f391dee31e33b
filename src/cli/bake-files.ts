/** Reads the bake files a run uses: -f FILE (or - for stdin), BUILDX_BAKE_FILE, or the defaults. */
import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import { bakeFilesFromEnv, defaultBakeFileNames, findDefaultBakeFiles } from "../bake/files.js";
import type { SourceFile } from "../diagnostics/source.js";
import { decodeUtf8Source } from "../diagnostics/utf8.js";
import {
  readBoundedFile,
  readBoundedStream,
  readBoundedText,
  readLimits,
} from "../support/read-file.js";
import { UsageError } from "./args.js";

async function readStdin(stdin: NodeJS.ReadableStream): Promise<SourceFile> {
  return decodeBakeFile(
    "-",
    await readBoundedStream(stdin, readLimits.bakeFile, "bake file - (standard input)"),
  );
}

/**
 * A bake file's bytes as text. HCL and YAML must be UTF-8 (buildx refuses them
 * otherwise: the error names the first bad byte's line and column); JSON files are
 * read leniently, invalid bytes becoming U+FFFD, as buildx reads them.
 */
export function decodeBakeFile(name: string, bytes: Buffer): SourceFile {
  const json =
    /\.json$/i.test(name) || (name === "-" && /^\s*\{/.test(bytes.toString("latin1", 0, 64)));
  return json ? { name, text: bytes.toString("utf8") } : decodeUtf8Source(name, bytes);
}

export async function readBakeFiles(
  fileArgs: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
  stdin: NodeJS.ReadableStream,
): Promise<SourceFile[]> {
  let names = [...fileArgs];
  if (names.length === 0) names = bakeFilesFromEnv(env);
  if (names.length === 0) {
    names = findDefaultBakeFiles(cwd, existsSync);
    if (names.length === 0) {
      throw new UsageError(
        `no bake file in ${cwd}: looked for ${defaultBakeFileNames().join(", ")}; name one with -f FILE`,
      );
    }
  }
  const files: SourceFile[] = [];
  for (const name of names) {
    if (name === "-") {
      files.push(await readStdin(stdin));
      continue;
    }
    const path = resolve(cwd, name);
    if (!existsSync(path)) throw new UsageError(`bake file ${name} does not exist (in ${cwd})`);
    const relativeName = relative(cwd, path) || name;
    const shown = relativeName.startsWith("..") ? path : relativeName;
    files.push(
      decodeBakeFile(shown, readBoundedFile(path, readLimits.bakeFile, "bake file", shown)),
    );
  }
  // The compose reader brings the YAML parser (about 200 ms to load): only YAML files pay.
  const mayBeCompose = (f: SourceFile) =>
    /\.ya?ml$/i.test(f.name) ||
    (!/\.(hcl|json)$/i.test(f.name) && /^(services|include)\s*:/m.test(f.text));
  if (!files.some(mayBeCompose)) return files;
  const compose = await import("../bake/compose.js");
  const exists = (p: string) => existsSync(resolve(cwd, p));
  // buildx loads every compose file of a run as one project, before the other files
  // (whatever their order): the others' blocks override and follow the project's.
  const composeFiles = files.filter(compose.isComposeFile);
  const project = compose.composeFilesToBake(
    composeFiles,
    composeEnv(cwd, env, compose.parseDotEnv),
    exists,
    (p) => {
      const path = resolve(cwd, p);
      return existsSync(path)
        ? readBoundedText(path, readLimits.bakeFile, "compose file", p)
        : undefined;
    },
  );
  return [project, ...files.filter((f) => !compose.isComposeFile(f))];
}

/** The environment compose files are interpolated with: .env in the working folder, then the process's. */
function composeEnv(
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
  parseDotEnv: (text: string) => Record<string, string>,
): Readonly<Record<string, string | undefined>> {
  const dotenv = resolve(cwd, ".env");
  const fromFile = existsSync(dotenv)
    ? parseDotEnv(readBoundedText(dotenv, readLimits.bakeFile, "environment file", dotenv))
    : {};
  const merged = { ...fromFile, ...env };
  // buildx names the compose project "bake" unless COMPOSE_PROJECT_NAME says otherwise.
  return merged.COMPOSE_PROJECT_NAME ? merged : { ...merged, COMPOSE_PROJECT_NAME: "bake" };
}
