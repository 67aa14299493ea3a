/** Printed before the candidates when the word may go on after one (`logs app1` → `app1/2`): add no space. */
export const NO_SPACE = "__nospace__";
/** What fish's script calls instead of `__complete`: the same candidates, kept open its own way (run.ts). */
export const FISH_COMPLETE = "__complete-fish";

/**
 * The shell side of completion: each script hands the words typed so far to `titan completion __complete -- …`
 * and offers what it prints, one candidate a line; `__files__` means "complete a path", a first line
 * `__nospace__` that the shell adds no space after the word (fish has no such switch: it asks `__complete-fish`).
 */
const BASH = `# titan completion for bash: source <(titan completion bash)
_titan() {
  local IFS=$'\\n' out
  out=$(titan completion __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return 0
  if [[ "$out" == "__files__" ]]; then
    COMPREPLY=($(compgen -f -- "\${COMP_WORDS[COMP_CWORD]}"))
  else
    if [[ "$out" == __nospace__* ]]; then
      out=\${out#__nospace__}
      compopt -o nospace 2>/dev/null
    fi
    COMPREPLY=($(compgen -W "$out" -- "\${COMP_WORDS[COMP_CWORD]}"))
  fi
}
complete -F _titan titan
`;

const ZSH = `#compdef titan
# titan completion for zsh: source <(titan completion zsh)  (after compinit)
_titan() {
  local out
  out=$(titan completion __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
  if [[ "$out" == "__files__" ]]; then
    _files
  else
    local -a candidates suffix
    candidates=("\${(@f)out}")
    if [[ "\${candidates[1]}" == __nospace__ ]]; then
      shift candidates
      suffix=(-S '')
    fi
    compadd "\${suffix[@]}" -- "\${candidates[@]}"
  fi
}
compdef _titan titan
`;

const FISH = `# titan completion for fish: titan completion fish | source
function __titan_complete
    set -l typed (commandline -opc) (commandline -ct)
    set -e typed[1]
    set -l out (titan completion __complete-fish -- $typed 2>/dev/null)
    if test "$out" = "__files__"
        __fish_complete_path (commandline -ct)
    else
        printf '%s\\n' $out
    end
end
complete -c titan -f -a '(__titan_complete)'
`;

export const completionScripts: Readonly<Record<string, string>> = { bash: BASH, zsh: ZSH, fish: FISH };
