# SPDX-License-Identifier: MIT
# Runs a zsh completion function outside the completion system, the way tests/dist drives
# the bash ones: compadd, _describe, _files, _message and _call_program are stand-ins that
# print what would be offered (zsh itself filters by the typed prefix, so pass "" last).
# usage: zsh -f harness SRCDIR FUNCTIONFILE WORD... (last word = the one being completed)
src=$1 file=$2; shift 2
compadd() {
  if [[ $1 == -a ]]; then
    shift; [[ $1 == -- ]] && shift
    local name; local -a items
    for name; do items=("${(@P)name}"); (( $#items )) && print -rl -- "${items[@]}"; done
  else
    [[ $1 == -- ]] && shift
    print -rl -- "$@"
  fi
}
_describe() { local name=${@[-1]}; local item; for item in "${(@P)name}"; do print -r -- "${item%%:*}"; done }
_files() { print -r -- "<files $*>" }
_message() { print -r -- "<message $*>" }
_call_program() { shift; eval "$*" }
words=("$@")
CURRENT=$#
source $src/completion/$file
