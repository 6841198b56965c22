#!/bin/sh
# Runs every unit test program given as arguments and every tests/cli/T*.sh
# script, shows failures, and ends with one line: "N passed, N failed".
# Each program prints its own "<suite>: N passed, N failed, N skipped" line.
top=$(pwd)
log=$(mktemp -d "${TMPDIR:-/tmp}/custos-check-XXXXXX")
pass=0 fail=0 skip=0 broken=""
export CUSTOS_BIN="$top/custos"
if [ "$SANITIZE" = 1 ]; then
	# new_delete_type_mismatch=0: Debian's libxapian 1.4 frees an object of
	# its table checker (Xapian::Database::check, which verify runs over
	# every shard) through a type 8 bytes smaller than the one it allocated,
	# inside the library (no frame of ours below check_); ASan cannot
	# suppress one library's reports of this kind, so the check is off
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99:new_delete_type_mismatch=0"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
	export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp"
fi
if [ "$TSAN" = 1 ]; then
	# suppressions name frames inside Debian's libraries only
	export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$top/tests/tsan.supp"
fi
run_one() {
	name=$1; shift
	out="$log/$(echo "$name" | tr '/' '_').out"
	"$@" >"$out" 2>&1
	rc=$?
	line=$(grep -E ': [0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		echo "BROKEN $name (exit $rc, no summary line)"; tail -n 20 "$out" | sed 's/^/    /'
		fail=$((fail + 1)); broken="$broken $name"; return
	fi
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.*passed, ([0-9]+) failed.*/\1/')
	s=$(echo "$line" | sed -nE 's/.*failed, ([0-9]+) skipped.*/\1/p')
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + ${s:-0}))
	if [ "$f" != 0 ] || [ "$rc" != 0 ]; then
		grep -B12 -A15 -E '^(FAIL|not ok)' "$out" | sed 's/^/    /'
		[ "$f" = 0 ] && { echo "    (exit $rc)"; tail -n 15 "$out" | sed 's/^/    /'; fail=$((fail + 1)); }
	fi
	grep -E '^(SKIP|ARTIFACT)' "$out" | sort -u | sed "s|^|  $name: |"
	printf '  %-40s %s\n' "$name" "$(echo "$line" | sed -E 's/^.*: ([0-9]+ passed)/\1/')"
}
for t in "$@"; do run_one "$(basename "$t")" "$t"; done
for t in tests/cli/T*.sh; do
	[ -f "$t" ] || continue
	# under ThreadSanitizer only the scripts that run threads against each other
	if [ "$TSAN" = 1 ] && ! grep -q "^# tsan: yes" "$t"; then
		continue
	fi
	# crash and load loops run once, in the plain pass
	if [ "$SANITIZE" = 1 ] && grep -q "^# plain-only:" "$t"; then
		echo "  $(basename "$t"): runs in the plain pass only (a crash or load loop)"
		continue
	fi
	run_one "$(basename "$t")" sh "$t"
done
rm -rf "$log"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
