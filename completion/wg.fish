# SPDX-License-Identifier: MIT
# fish completion for wg(8), as shipped by wgkit: commands, live interface names, show fields,
# the options of `wg set` in context, peer keys of the interface, and key and config files.

function __wgkit_wg_interfaces
    wg show interfaces 2>/dev/null | string split -n ' '
end

# True when the command is $argv[1] and $argv[2] words (the program name included) precede
# the one being completed.
function __wgkit_wg_at
    set -l tokens (commandline -opc)
    test (count $tokens) -eq $argv[2]; and test "$tokens[2]" = $argv[1]
end

# Candidates after `wg set IF`: interface options before the first `peer`, then peer options,
# each once per interface or peer; after an option, the value it expects (peer keys only).
function __wgkit_wg_set_candidates
    set -l tokens (commandline -opc)
    set -l in_peer 0
    set -l used
    set -l i 4
    set -l n (count $tokens)
    while test $i -le $n
        switch $tokens[$i]
            case peer
                set in_peer 1
                set used
                set i (math $i + 1)
            case listen-port fwmark private-key preshared-key endpoint persistent-keepalive allowed-ips
                set -a used $tokens[$i]
                set i (math $i + 1)
            case remove
                set -a used remove
        end
        set i (math $i + 1)
    end
    if test $i -gt (math $n + 1)
        if test "$tokens[-1]" = peer
            wg show $tokens[3] peers 2>/dev/null
        end
        return
    end
    set -l options listen-port fwmark private-key
    test $in_peer = 1; and set options remove preshared-key endpoint persistent-keepalive allowed-ips
    for option in $options
        contains -- $option $used; or echo $option
    end
    echo peer
end

function __wgkit_wg_after_key_option
    set -l tokens (commandline -opc)
    test "$tokens[2]" = set; and contains -- "$tokens[-1]" private-key preshared-key
end

complete -c wg -f
complete -c wg -n '__fish_is_nth_token 1' -a help -d 'Show the list of commands'
complete -c wg -n '__fish_is_nth_token 1' -a show -d 'Show interfaces and their peers'
complete -c wg -n '__fish_is_nth_token 1' -a showconf -d 'Print the configuration of an interface'
complete -c wg -n '__fish_is_nth_token 1' -a set -d 'Change the configuration of an interface'
complete -c wg -n '__fish_is_nth_token 1' -a setconf -d 'Apply a configuration file, replacing everything'
complete -c wg -n '__fish_is_nth_token 1' -a addconf -d 'Add a configuration file to an interface'
complete -c wg -n '__fish_is_nth_token 1' -a syncconf -d 'Make an interface match a configuration file'
complete -c wg -n '__fish_is_nth_token 1' -a genkey -d 'Generate a private key'
complete -c wg -n '__fish_is_nth_token 1' -a genpsk -d 'Generate a preshared key'
complete -c wg -n '__fish_is_nth_token 1' -a pubkey -d 'Derive the public key of a private key'

for command in show showconf set setconf addconf syncconf
    complete -c wg -n "__wgkit_wg_at $command 2" -a '(__wgkit_wg_interfaces)' -d Interface
end
complete -c wg -n '__wgkit_wg_at show 2' -a 'all interfaces'
complete -c wg -n '__wgkit_wg_at show 3; and not __fish_seen_subcommand_from interfaces' \
    -a 'public-key private-key listen-port fwmark peers preshared-keys endpoints allowed-ips latest-handshakes transfer persistent-keepalive dump'
for command in setconf addconf syncconf
    complete -c wg -n "__wgkit_wg_at $command 3" -F
end
complete -c wg -n 'test "$(commandline -opc)[2]" = set; and test (count (commandline -opc)) -ge 3' \
    -a '(__wgkit_wg_set_candidates)'
complete -c wg -n __wgkit_wg_after_key_option -F
