# SPDX-License-Identifier: MIT
# bash completion for wg(8), as shipped by wgkit. Interface names and peer keys come from the
# running system (`wg show interfaces`, `wg show IF peers`), so they are always current.
# Needs nothing from the bash-completion package.

_wgkit_wg_commands="help show showconf set setconf addconf syncconf genkey genpsk pubkey"
_wgkit_wg_fields="public-key private-key listen-port fwmark peers preshared-keys endpoints \
allowed-ips latest-handshakes transfer persistent-keepalive dump"

# COMPREPLY := the words of $1 that start with $2.
_wgkit_wg_offer() {
    mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2")
}

# COMPREPLY := file names starting with $1, sorted (compgen lists them in directory order and
# the completion is registered nosort); tells readline they are files (quoting, slashes).
_wgkit_wg_files() {
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$1" | sort)
}

# Completes the words after `wg set IF`: interface options until the first `peer`, then peer
# options, each offered once per interface or peer, and the value that an option expects.
_wgkit_wg_set() {
    local iface=$1 cur=$2 i word in_peer=0 used=" "
    for ((i = 3; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        case $word in
        peer) in_peer=1; used=" "; ((i++)) ;;
        listen-port | fwmark | private-key | preshared-key | endpoint | persistent-keepalive | allowed-ips)
            used+="$word "; ((i++)) ;;
        remove) used+="$word " ;;
        esac
    done
    # i > COMP_CWORD: the word being completed is the value of the option before it.
    if ((i > COMP_CWORD)); then
        case ${COMP_WORDS[COMP_CWORD - 1]} in
        peer) _wgkit_wg_offer "$(wg show "$iface" peers 2>/dev/null)" "$cur" ;;
        private-key | preshared-key) _wgkit_wg_files "$cur" ;;
        esac
        return
    fi
    local options candidates="" option
    if ((in_peer)); then
        options="remove preshared-key endpoint persistent-keepalive allowed-ips"
    else
        options="listen-port fwmark private-key"
    fi
    for option in $options; do
        [[ $used == *" $option "* ]] || candidates+="$option "
    done
    _wgkit_wg_offer "${candidates}peer" "$cur"
}

_wgkit_wg() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    COMPREPLY=()
    if ((COMP_CWORD == 1)); then
        _wgkit_wg_offer "$_wgkit_wg_commands" "$cur"
        return
    fi
    local command=${COMP_WORDS[1]}
    if ((COMP_CWORD == 2)); then
        case $command in
        show) _wgkit_wg_offer "$(wg show interfaces 2>/dev/null) all interfaces" "$cur" ;;
        showconf | set | setconf | addconf | syncconf)
            _wgkit_wg_offer "$(wg show interfaces 2>/dev/null)" "$cur" ;;
        esac
        return
    fi
    case $command in
    show)
        if ((COMP_CWORD == 3)) && [[ ${COMP_WORDS[2]} != interfaces ]]; then
            _wgkit_wg_offer "$_wgkit_wg_fields" "$cur"
        fi
        ;;
    setconf | addconf | syncconf)
        ((COMP_CWORD == 3)) && _wgkit_wg_files "$cur"
        ;;
    set) _wgkit_wg_set "${COMP_WORDS[2]}" "$cur" ;;
    esac
    return 0
}

complete -o nosort -F _wgkit_wg wg
