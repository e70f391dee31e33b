/** Help texts for every command, built from the flag tables so they never drift. */
import { bakeFlags, duFlags, endpointsFlags, type FlagSpec, pruneFlags } from "./args.js";

function flagLines(flags: readonly FlagSpec[]): string[] {
  const left = flags.map((f) => {
    const names = f.short ? `-${f.short}, --${f.name}` : `    --${f.name}`;
    return f.kind === "bool" ? names : `${names} ${f.value ?? "VALUE"}`;
  });
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return flags.map((f, i) => `  ${left[i]!.padEnd(width)}${f.help}`);
}

const bakeHelp = (): string =>
  [
    "Usage: mbake [OPTIONS] [TARGET|GROUP ...]",
    "       mbake COMMAND [OPTIONS]",
    "",
    "Build the targets of a bake file (build.hcl, docker-bake.hcl, docker-bake.json, compose.yaml, ...) on one",
    'or more BuildKit daemons. With no TARGET, the "default" group is built.',
    "",
    "Commands:",
    "  endpoints [inspect NAME]   List BuildKit endpoints: address, reachability, version, platforms",
    "  du                         Show disk usage of each endpoint's build cache",
    "  prune                      Remove build cache from endpoints",
    "  completion bash|zsh|fish   Print a shell completion script",
    "  help [COMMAND]             Show help for a command",
    "",
    "Options:",
    ...flagLines(bakeFlags),
    "",
    "Examples:",
    "  mbake                              # build the default group",
    '  mbake cross                        # build the target or group "cross"',
    "  mbake --print app                  # show what would be built, as buildx bake --print does",
    "  mbake --set '*.platform=linux/arm64' app",
    "  mbake --endpoint unix:///run/buildkit/buildkitd.sock --endpoint docker://  release",
    "  mbake --dry-run release            # which target goes to which endpoint, in what order",
    '  mbake -- endpoints                 # build a target literally named "endpoints"',
    "",
    "Endpoint addresses: unix:///PATH, tcp://HOST:PORT (TLS via ?ca=&cert=&key=&servername=),",
    "docker:// (or a Docker Engine socket), docker-container://NAME, kube-pod://NAME, ssh://USER@HOST.",
    "Exit codes: 0 success, 1 a build failed, 2 usage or input error, 130 cancelled.",
  ].join("\n");

const topics: Record<string, () => string> = {
  bake: bakeHelp,
  endpoints: () =>
    [
      "Usage: mbake endpoints [ls] [OPTIONS]",
      "       mbake endpoints inspect NAME|ADDRESS [OPTIONS]",
      "",
      "List the configured or discovered BuildKit endpoints: address, whether it answers, the",
      "BuildKit version, its worker platforms and the builds it is running.",
      "",
      "Options:",
      ...flagLines(endpointsFlags),
      "",
      "Examples:",
      "  mbake endpoints",
      "  mbake endpoints --endpoint a=unix:///tmp/a.sock --endpoint b=docker://",
      "  mbake endpoints inspect a --json",
    ].join("\n"),
  du: () =>
    [
      "Usage: mbake du [OPTIONS]",
      "",
      "Show the build cache disk usage of each endpoint (like buildctl du), in human sizes.",
      "",
      "Options:",
      ...flagLines(duFlags),
      "",
      "Examples:",
      "  mbake du",
      "  mbake du --verbose --endpoint docker://",
    ].join("\n"),
  prune: () =>
    [
      "Usage: mbake prune [OPTIONS]",
      "",
      "Remove build cache from every endpoint. Asks for confirmation unless --force is given",
      "(without a terminal to ask, --force is required).",
      "",
      "Options:",
      ...flagLines(pruneFlags),
      "",
      "Examples:",
      "  mbake prune --force",
      "  mbake prune --keep-duration 24h --keep-storage 10GB --force",
    ].join("\n"),
  completion: () =>
    [
      "Usage: mbake completion bash|zsh|fish",
      "",
      "Print a completion script. Examples:",
      "  mbake completion bash > /etc/bash_completion.d/mbake",
      "  mbake completion zsh > ~/.zfunc/_mbake  # with fpath+=~/.zfunc in .zshrc",
      "  mbake completion fish > ~/.config/fish/completions/mbake.fish",
    ].join("\n"),
};

/** The help text for a command (the bake command when none). */
export function helpText(topic?: string): string | undefined {
  const make = topics[topic ?? "bake"];
  return make ? `${make()}\n` : undefined;
}

export const helpTopics = Object.keys(topics);
