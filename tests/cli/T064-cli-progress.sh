#!/bin/sh
# Progress of long work on a terminal's stderr (records done, rate, time
# left), silent when stderr is not a terminal, --quiet and --progress.
. tests/cli/lib.sh
. tests/cli/gen.sh

# tty CMD...: runs CMD with a terminal (script(1)), its output on stdout
tty() { script -qec "$*" /dev/null; }
have_script() { command -v script >/dev/null 2>&1; }

setup() {
	custos init >/dev/null && gen_posts 3000 >a.ndjson &&
	printf "rules:\n  - name: d\n    match: \"*\"\n    retain: 1y\n" >r.yaml
}

if ! have_script; then
	test_skip 'progress on a terminal' 'script(1) is not installed'
else
test_expect 'on a terminal: records done, rate and time left, redrawn in place' '
	setup &&
	CUSTOS_TEST_PROGRESS_ALL=1 tty "$CUSTOS" ingest --batch 300 a.ndjson ">/dev/null" >out &&
	tr "\r" "\n" <out >lines &&
	grep -q "^ingesting: [0-9]* records ([0-9]*%)" lines &&
	grep -q "^ingesting: [0-9]* records ([0-9]*%), [0-9]*/s, [0-9]*s left" lines &&
	grep -q "$(printf "\033\\[K")" out &&
	tty "$CUSTOS" verify ">/dev/null" >v && tr "\r" "\n" <v | grep -q "^verifying: 0/3000 records (0%)" &&
	custos policy set r.yaml >/dev/null &&
	tty "$CUSTOS" retention plan ">/dev/null" >p && tr "\r" "\n" <p | grep -q "^planning: 0/3000 records (0%)" &&
	tty "$CUSTOS" retention apply --yes ">/dev/null" >d && tr "\r" "\n" <d | grep -q "^disposing: 0/3000 records (0%)" &&
	tty "$CUSTOS" index --rebuild ">/dev/null" >i && test -s i
'
test_expect '--quiet: nothing on a terminal either' '
	setup &&
	tty "$CUSTOS" --quiet ingest --batch 300 a.ndjson ">/dev/null" >out && test ! -s out &&
	tty "$CUSTOS" verify --quiet ">/dev/null" >v && test ! -s v
'
fi
test_expect 'not a terminal: silent; --progress: a line a second and the final count' '
	setup &&
	custos ingest --batch 300 a.ndjson >/dev/null 2>err && test ! -s err &&
	custos verify >/dev/null 2>err2 && test ! -s err2 &&
	custos --progress verify >/dev/null 2>err3 &&
	tail -n 1 err3 | grep -q "^verifying: 3000/3000 records (100%)\(, [0-9]*/s\)\{0,1\}, done in [0-9]*s$" &&
	gen_posts 100 5000 >b.ndjson &&
	custos ingest --progress b.ndjson >/dev/null 2>err4 &&
	tail -n 1 err4 | grep -q "^ingesting: 100 records (100%)" &&
	! grep -q "$(printf "\r")" err4
'
test_done
