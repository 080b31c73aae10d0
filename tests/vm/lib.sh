# Helpers for kernel-lab case scripts (tests/vm/cases/*.sh), sourced inside the guest:
#   source "$WGKIT_SOURCE_ROOT/tests/vm/lib.sh"
# Every check prints the command and, on a mismatch, both texts and their diff, then exits 1.

# Runs a command after printing it, so the console log reads as a transcript.
run() {
  echo "+ $*" >&2
  "$@"
}

# Runs a command in namespace $1, printed with the namespace's name.
in_ns() {
  local ns=$1
  shift
  echo "+ [$ns] $*" >&2
  ip netns exec "$ns" "$@"
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# expect_output EXPECTED COMMAND...: the command succeeds and prints exactly EXPECTED
# (compared without the final newline, as $(...) strips it).
expect_output() {
  local expected=$1 actual status=0
  shift
  echo "+ $*" >&2
  actual=$("$@") || status=$?
  ((status == 0)) || fail "exit status $status from: $*"
  if [[ $actual != "$expected" ]]; then
    echo "FAIL: unexpected output from: $*" >&2
    diff -u -L expected -L actual <(printf '%s\n' "$expected") <(printf '%s\n' "$actual") | sed 's/^/  /' >&2
    exit 1
  fi
}
