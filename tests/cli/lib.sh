# Shell test library for tests/cli/T*.sh: drives the real custos binary.
#   test_expect NAME 'commands'   runs commands in a fresh directory; passes on exit 0
#   test_cmp expect actual        diff, shown on failure
#   test_done                     prints "<script>: N passed, N failed, N skipped"
# Each test's directory is $TEST_DIR; the archive is $TEST_DIR/archive.
set -u
CUSTOS=${CUSTOS_BIN:-$(pwd)/custos}
TOP=$(pwd)
FIXTURES=${CUSTOS_FIXTURES:-$TOP/../shared/fixtures}
t_pass=0 t_fail=0 t_skip=0
t_root=$(mktemp -d "${TMPDIR:-/tmp}/custos-cli-XXXXXX")
custos() { "$CUSTOS" "$@"; }
test_cmp() { diff -u "$1" "$2"; }
have_fixtures() { [ -d "$FIXTURES" ]; }
skip_all() { echo "SKIP $1"; }
test_expect() {
	t_name=$1 t_body=$2
	TEST_DIR="$t_root/$((t_pass + t_fail + t_skip + 1))"
	mkdir -p "$TEST_DIR"
	if (cd "$TEST_DIR" && export CUSTOS_ARCHIVE="$TEST_DIR/archive" && set -e && eval "$t_body") >"$TEST_DIR.log" 2>&1; then
		echo "ok $t_name"; t_pass=$((t_pass + 1))
	else
		echo "not ok $t_name"; sed 's/^/    /' "$TEST_DIR.log" | tail -n 40; t_fail=$((t_fail + 1))
	fi
}
test_skip() { echo "SKIP $1: $2"; t_skip=$((t_skip + 1)); }
test_done() {
	echo "$(basename "$0"): $t_pass passed, $t_fail failed, $t_skip skipped"
	[ -n "${CHECK_KEEP:-}" ] || rm -rf "$t_root"
	[ "$t_fail" = 0 ]
}
# test_exit CODE command...: runs the command, passes when it exits with CODE
test_exit() {
	t_want=$1; shift
	"$@" && t_got=0 || t_got=$?
	[ "$t_got" = "$t_want" ] || { echo "exit $t_got, wanted $t_want: $*"; return 1; }
}
# crash_at POINT command...: runs the command until the library reaches the
# named test point (custos_test_point), kills it there with SIGKILL, and
# succeeds; fails when the command ends without reaching the point.
crash_at() {
	t_point=$1; shift
	t_flag="$TEST_DIR/.paused-$$"
	rm -f "$t_flag"
	CUSTOS_TEST_PAUSE_AT=$t_point CUSTOS_TEST_PAUSE_FILE=$t_flag "$@" >/dev/null 2>&1 &
	t_pid=$!
	t_i=0
	while [ ! -e "$t_flag" ] && kill -0 "$t_pid" 2>/dev/null && [ $t_i -lt 600 ]; do
		sleep 0.05; t_i=$((t_i + 1))
	done
	if [ -e "$t_flag" ]; then
		kill -9 "$t_pid" 2>/dev/null; wait "$t_pid" 2>/dev/null; rm -f "$t_flag"; return 0
	fi
	kill -9 "$t_pid" 2>/dev/null; wait "$t_pid" 2>/dev/null
	echo "crash_at: '$*' never reached $t_point"; return 1
}
