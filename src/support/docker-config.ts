/**
 * Registry credentials from the Docker config file (DOCKER_CONFIG or ~/.docker):
 * `auths` (base64 auth or username/password, identitytoken), `credHelpers` and
 * `credsStore` (running docker-credential-NAME get).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { readBoundedText, readLimits } from "./read-file.js";
import { processSecrets } from "./secret-texts.js";

export interface RegistryCredentials {
  readonly username: string;
  readonly secret: string;
}

interface DockerConfig {
  auths?: Record<
    string,
    { auth?: string; username?: string; password?: string; identitytoken?: string }
  >;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The Docker config folder: DOCKER_CONFIG, or ~/.docker. */
export function dockerConfigDir(
  env: Readonly<Record<string, string | undefined>>,
  home: string = homedir(),
): string {
  return env.DOCKER_CONFIG || join(home, ".docker");
}

export function dockerConfigPath(env: Readonly<Record<string, string | undefined>>): string {
  return join(dockerConfigDir(env), "config.json");
}

export function readDockerConfig(env: Readonly<Record<string, string | undefined>>): DockerConfig {
  const path = dockerConfigPath(env);
  if (!existsSync(path)) return {};
  const text = readBoundedText(path, readLimits.dockerConfig, "Docker config");
  let config: DockerConfig;
  try {
    config = JSON.parse(text) as DockerConfig;
  } catch {
    // Not JSON.parse's message: it quotes the text, which holds credentials.
    throw new Error(
      `cannot read the Docker config ${path}: it is not valid JSON; fix or remove it`,
    );
  }
  for (const entry of Object.values(config.auths ?? {})) {
    if (!entry || typeof entry !== "object") continue;
    for (const v of [entry.auth, entry.password, entry.identitytoken])
      if (typeof v === "string") processSecrets.add(v);
    if (typeof entry.auth === "string") {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      processSecrets.add(decoded.slice(decoded.indexOf(":") + 1));
    }
  }
  return config;
}

/** Credentials found are secrets: hidden in every output, as given and in the Basic form. */
function remembered(creds: RegistryCredentials | undefined): RegistryCredentials | undefined {
  if (creds?.secret) {
    processSecrets.add(creds.secret);
    processSecrets.add(Buffer.from(`${creds.username}:${creds.secret}`).toString("base64"));
  }
  return creds;
}

/** The names a host may have in the config (docker.io has several). */
function hostAliases(host: string): string[] {
  if (host === "docker.io" || host === "index.docker.io" || host === "registry-1.docker.io") {
    return ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"];
  }
  return [host, `https://${host}`, `http://${host}`, `https://${host}/v1/`, `https://${host}/v2/`];
}

function fromHelper(helper: string, host: string): RegistryCredentials | undefined {
  try {
    const out = execFileSync(`docker-credential-${helper}`, ["get"], {
      input: host,
      encoding: "utf8",
      timeout: 15_000,
    });
    const parsed = JSON.parse(out) as { Username?: string; Secret?: string };
    if (!parsed.Secret) return undefined;
    return { username: parsed.Username ?? "", secret: parsed.Secret };
  } catch {
    return undefined;
  }
}

/** Credentials for one registry host, or undefined (anonymous). */
export function credentialsFor(
  config: DockerConfig,
  host: string,
): RegistryCredentials | undefined {
  return remembered(findCredentials(config, host));
}

function findCredentials(config: DockerConfig, host: string): RegistryCredentials | undefined {
  const aliases = hostAliases(host);
  const helper = aliases.map((a) => config.credHelpers?.[a]).find(Boolean);
  if (helper) return fromHelper(helper, host);
  for (const alias of aliases) {
    const entry = config.auths?.[alias];
    if (!entry) continue;
    if (entry.identitytoken) return { username: "", secret: entry.identitytoken };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const i = decoded.indexOf(":");
      if (i >= 0) return { username: decoded.slice(0, i), secret: decoded.slice(i + 1) };
    }
    if (entry.username && entry.password)
      return { username: entry.username, secret: entry.password };
  }
  if (config.credsStore) return fromHelper(config.credsStore, host);
  return undefined;
}
