/**
 * Shell completion scripts. Target names are completed by asking mbake itself
 * (`mbake --list targets`), so they follow the bake file in the current folder.
 */
import { type FlagSpec, bakeFlags as flagTable } from "./args.js";

const bakeFlags: readonly FlagSpec[] = flagTable;

const commands = ["endpoints", "du", "prune", "completion", "help"];

function longFlags(): string[] {
  return bakeFlags.map((f) => `--${f.name}`);
}

function bash(): string {
  return `# bash completion for mbake
_mbake() {
  local cur prev
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
    -f|--file|--metadata-file) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
    --progress) COMPREPLY=( $(compgen -W "auto tty plain rawjson quiet" -- "$cur") ); return ;;
    --list) COMPREPLY=( $(compgen -W "targets variables" -- "$cur") ); return ;;
    --graph) COMPREPLY=( $(compgen -W "dot mermaid" -- "$cur") ); return ;;
    completion) COMPREPLY=( $(compgen -W "bash zsh fish" -- "$cur") ); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "${longFlags().join(" ")} -f -h" -- "$cur") )
    return
  fi
  local targets
  targets=$(mbake --list targets 2>/dev/null | awk 'NR>1 {print $1}')
  COMPREPLY=( $(compgen -W "${commands.join(" ")} $targets" -- "$cur") )
}
complete -F _mbake mbake
`;
}

function zsh(): string {
  const flagSpecs = bakeFlags
    .map(
      (f) =>
        `    '--${f.name}[${f.help.replace(/[[\]']/g, "")}]${f.kind === "bool" ? "" : ":value:"}'`,
    )
    .join(" \\\n");
  return `#compdef mbake
# zsh completion for mbake
_mbake_targets() {
  local -a targets
  targets=(\${(f)"$(mbake --list targets 2>/dev/null | awk 'NR>1 {print $1}')"})
  _describe 'target' targets
}
_mbake() {
  _arguments -s \\
${flagSpecs} \\
    '*::target:->targets'
  case $state in
    targets)
      local -a cmds
      cmds=(${commands.join(" ")})
      _describe 'command' cmds
      _mbake_targets
      ;;
  esac
}
compdef _mbake mbake
`;
}

function fish(): string {
  const flags = bakeFlags
    .map((f) => {
      const short = f.short ? ` -s ${f.short}` : "";
      const arg = f.kind === "bool" ? "" : " -r";
      return `complete -c mbake -l ${f.name}${short}${arg} -d '${f.help.replace(/'/g, "\\'")}'`;
    })
    .join("\n");
  return `# fish completion for mbake
${flags}
complete -c mbake -l progress -xa 'auto tty plain rawjson quiet'
complete -c mbake -l list -xa 'targets variables'
complete -c mbake -l graph -xa 'dot mermaid'
complete -c mbake -n '__fish_use_subcommand' -xa '${commands.join(" ")}'
complete -c mbake -n '__fish_seen_subcommand_from completion' -xa 'bash zsh fish'
complete -c mbake -f -a '(mbake --list targets 2>/dev/null | awk "NR>1 {print \\$1}")'
`;
}

export function completionScript(shell: "bash" | "zsh" | "fish"): string {
  switch (shell) {
    case "bash":
      return bash();
    case "zsh":
      return zsh();
    case "fish":
      return fish();
  }
}
