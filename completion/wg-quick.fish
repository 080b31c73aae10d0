# SPDX-License-Identifier: MIT
# fish completion for wg-quick(8), as shipped by wgkit: up and strip take a configuration
# (a name from /etc/wireguard or a *.conf file); down, save and reload a running interface.

# The command word (after an optional --dry-run) and how many words precede the current one.
function __wgkit_wg_quick_at
    set -l tokens (commandline -opc)
    set -l first 2
    test "$tokens[2]" = --dry-run; and set first 3
    if test $argv[1] = command
        test (count $tokens) -eq (math $first - 1)
        return
    end
    test (count $tokens) -eq $first; and contains -- "$tokens[$first]" $argv
end

function __wgkit_wg_quick_dry_run
    test "$(commandline -opc)[2]" = --dry-run
end

# Names of the configurations in /etc/wireguard ($_wgkit_wg_quick_confdir instead, for tests).
function __wgkit_wg_quick_configs
    set -l dir /etc/wireguard
    set -q _wgkit_wg_quick_confdir; and set dir $_wgkit_wg_quick_confdir
    for conf in $dir/*.conf
        string replace -r -- '^.*/(.*)\.conf$' '$1' $conf
    end
end

complete -c wg-quick -f
complete -c wg-quick -n '__wgkit_wg_quick_at command' -a up -d 'Create and configure the interface'
complete -c wg-quick -n '__wgkit_wg_quick_at command' -a down -d 'Remove the interface, undoing up'
complete -c wg-quick -n '__wgkit_wg_quick_at command' -a reload -d 'Apply the edited file without downtime'
complete -c wg-quick -n '__wgkit_wg_quick_at command; and not __wgkit_wg_quick_dry_run' -a save -d 'Write the running configuration to the file'
complete -c wg-quick -n '__wgkit_wg_quick_at command; and not __wgkit_wg_quick_dry_run' -a strip -d 'Print the file without wg-quick keys'
complete -c wg-quick -n '__wgkit_wg_quick_at command; and not __wgkit_wg_quick_dry_run' -a --dry-run -d 'Print the steps only'
complete -c wg-quick -n '__wgkit_wg_quick_at up strip' -a '(__wgkit_wg_quick_configs)' -d Configuration
complete -c wg-quick -n '__wgkit_wg_quick_at up strip' -a '(__fish_complete_suffix .conf)'
complete -c wg-quick -n '__wgkit_wg_quick_at down save reload' -a '(wg show interfaces 2>/dev/null | string split -n " ")' -d Interface
