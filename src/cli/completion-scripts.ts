// The scripts printed by `kubectl-kruise_restart completion <shell>`. Each one only asks the binary
// (`__complete <words...>`) and hands the answer to the shell, so bash, zsh, fish and kubectl's plugin completion all
// share one engine (src/cli/complete.ts) and always agree with the installed version.

const BASH = `# bash completion for kubectl-kruise_restart: source <(kubectl-kruise_restart completion bash)
# For "kubectl kruise-restart <Tab>", kubectl's completion runs kubectl_complete-kruise_restart instead
# (kubectl-kruise_restart completion kubectl).
_kubectl_kruise_restart() {
    local cur words cword
    if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
        _get_comp_words_by_ref -n =: cur words cword
    else
        cur="\${COMP_WORDS[COMP_CWORD]}"
        words=("\${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi
    local out
    out=$("\${words[0]}" __complete "\${words[@]:1:$((cword - 1))}" "$cur" 2>/dev/null) || return 0
    local directive=\${out##*:}
    out=\${out%:*}
    local IFS=$'\\n' line
    local -a values=()
    for line in $out; do values+=("\${line%%$'\\t'*}"); done
    [[ $cur == -*=* ]] && cur=\${cur#*=}
    COMPREPLY=($(compgen -W "\${values[*]}" -- "$cur"))
    if (( \${#COMPREPLY[@]} == 0 && (directive & 4) == 0 )); then
        compopt -o default 2>/dev/null
    fi
}
complete -F _kubectl_kruise_restart kubectl-kruise_restart
`;

const ZSH = `#compdef kubectl-kruise_restart
# zsh completion for kubectl-kruise_restart: source <(kubectl-kruise_restart completion zsh)
_kubectl_kruise_restart() {
  local -a lines described
  local out directive line
  out=$("\${words[1]}" __complete "\${(@)words[2,CURRENT-1]}" "\${words[CURRENT]}" 2>/dev/null) || return 1
  lines=("\${(@f)out}")
  directive=\${lines[-1]#:}
  lines=("\${(@)lines[1,-2]}")
  [[ \${words[CURRENT]} == -*=* ]] && compset -P '*='
  for line in $lines; do
    if [[ $line == *$'\\t'* ]]; then
      described+=("\${\${line%%$'\\t'*}//:/\\\\:}:\${line#*$'\\t'}")
    else
      described+=("\${line//:/\\\\:}")
    fi
  done
  if (( \${#described} )); then
    _describe -t values 'kubectl-kruise_restart' described
  elif (( (directive & 4) == 0 )); then
    _files
  fi
}
compdef _kubectl_kruise_restart kubectl-kruise_restart
`;

const FISH = `# fish completion for kubectl-kruise_restart: kubectl-kruise_restart completion fish | source
function __kubectl_kruise_restart_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    set -l out ($words[1] __complete $words[2..-1] "$current" 2>/dev/null)
    or return
    set -l directive (string replace -r '^:' '' -- $out[-1])
    set -e out[-1]
    set -l flag ''
    if string match -qr -- '^-[^=]*=' "$current"
        set flag (string replace -r -- '=.*' '=' "$current")
    end
    for line in $out
        echo "$flag$line"
    end
    if test (count $out) -eq 0; and test (math "floor($directive / 4) % 2") -eq 0
        __fish_complete_path "$current"
    end
end
complete -c kubectl-kruise_restart -f -a '(__kubectl_kruise_restart_complete)'
`;

/** Same text as scripts/kubectl_complete-kruise_restart, which the release archives carry (a test keeps them equal). */
export const KUBECTL_COMPLETE = `#!/bin/sh
# kubectl (1.26 and later) runs this to complete \`kubectl kruise-restart ...\`: it passes the words typed after the
# plugin name, the last one being the word to complete, and reads candidates plus a final :<directive> line.
# Install it next to kubectl-kruise_restart on PATH (krew installs only the plugin itself: see README).
here=$(dirname "$0")
if [ -x "$here/kubectl-kruise_restart" ]; then
  exec "$here/kubectl-kruise_restart" __complete "$@"
fi
exec kubectl-kruise_restart __complete "$@"
`;

export const SHELLS = ['bash', 'zsh', 'fish', 'kubectl'] as const;

export function completionScript(shell: string): string {
  return { bash: BASH, zsh: ZSH, fish: FISH, kubectl: KUBECTL_COMPLETE }[shell] ?? '';
}
