# SPDX-License-Identifier: MIT
# bash completion for wg-quick(8), as shipped by wgkit. Commands that start from a file (up,
# strip) offer the configurations in /etc/wireguard by name, then *.conf files and directories;
# commands that act on a running interface (down, save, reload) offer `wg show interfaces`.

# Where wg-quick looks up INTERFACE.conf; a variable so a test can point it elsewhere.
: "${_wgkit_wg_quick_confdir:=/etc/wireguard}"

_wgkit_wg_quick() {
    local cur=${COMP_WORDS[COMP_CWORD]} first=1
    COMPREPLY=()
    # --dry-run (an extension) may come before the command.
    [[ ${COMP_WORDS[1]} == --dry-run ]] && first=2
    if ((COMP_CWORD == first)); then
        local words="up down save strip reload"
        ((first == 1)) && words+=" --dry-run"
        ((first == 2)) && words="up down reload"
        mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
        return
    fi
    ((COMP_CWORD == first + 1)) || return
    case ${COMP_WORDS[first]} in
    up | strip)
        local conf names=()
        for conf in "$_wgkit_wg_quick_confdir"/*.conf; do
            [[ -f $conf ]] && names+=("$(basename "$conf" .conf)")
        done
        mapfile -t COMPREPLY < <(compgen -W "${names[*]}" -- "$cur"
            { compgen -d -- "$cur"; compgen -f -X '!*.conf' -- "$cur"; } | sort -u)
        compopt -o filenames 2>/dev/null
        ;;
    down | save | reload)
        mapfile -t COMPREPLY < <(compgen -W "$(wg show interfaces 2>/dev/null)" -- "$cur")
        ;;
    esac
    return 0
}

complete -o nosort -F _wgkit_wg_quick wg-quick
