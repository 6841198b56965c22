#!/bin/sh
# The binary and its modules (docs/ARCHITECTURE.md, "The binary and its
# modules"): a command loads only the modules it uses, and their libraries
# with them; the modules are found beside the binary; a missing module is
# refused by the commands that need it, naming it, and no other.
. tests/cli/lib.sh
. tests/cli/gen.sh

BIN=$(readlink -f "$CUSTOS")
MODDIR=$(dirname "$(dirname "$BIN")")/lib/custos

# loaded COMMAND...: the shared objects the dynamic loader opened for the
# command, one name a line (its own account: LD_DEBUG=files)
loaded() {
	LD_DEBUG=files LD_DEBUG_OUTPUT="$TEST_DIR/ld" "$@" >/dev/null 2>&1 || return 1
	sed -n 's/^[[:space:]]*[0-9]*:[[:space:]]*file=\([^ ]*\) .*/\1/p' "$TEST_DIR"/ld.* | sed 's|.*/||' | sort -u
	rm -f "$TEST_DIR"/ld.*
}

test_expect 'the build tree holds the binary and its modules as an installed custos does' '
	test "$(basename "$(dirname "$BIN")")" = bin &&
	for m in export import serve policy; do test -f "$MODDIR/$m.so" || { echo "no $m.so"; exit 1; }; done
'

test_expect 'search, show and stats load no module and none of their libraries; export, ingest and verify load theirs' '
	custos init >/dev/null && gen_posts 5 >p.ndjson &&
	loaded "$CUSTOS" ingest p.ndjson >ingest.libs &&
	loaded "$CUSTOS" search post >search.libs &&
	loaded "$CUSTOS" show x:3 >show.libs &&
	loaded "$CUSTOS" stats >stats.libs &&
	loaded "$CUSTOS" --help >help.libs &&
	loaded "$CUSTOS" verify >verify.libs &&
	grep -qx policy.so verify.libs && grep -qx libgit2.so.1.5 verify.libs &&
	loaded "$CUSTOS" export post --format dat --images --out prod >export.libs &&
	# the accounting sees what a command loads on demand
	grep -qx import.so ingest.libs && grep -qx libarchive.so.13 ingest.libs &&
	grep -qx export.so export.libs && grep -qx libcairo.so.2 export.libs &&
	grep -qx libpango-1.0.so.0 export.libs &&
	! grep -q "^export.so\$" ingest.libs && grep -qx libxapian.so.30 search.libs &&
	for f in search.libs show.libs stats.libs help.libs; do
		if grep -E "^(export|import|serve|policy)\\.so\$|^lib(cairo|pango|fontconfig|archive|xml2|curl|microhttpd|gnutls|icu|git2|yaml|mbed|ssh2|pcre2|http_parser|krb5|gssapi)" $f; then
			echo "$f: loaded the above"; exit 1
		fi
	done
'

test_expect 'without its modules the binary searches; export, ingest, serve and verify refuse, naming the module' '
	custos init >/dev/null && gen_posts 5 >p.ndjson && custos ingest p.ndjson >/dev/null &&
	mkdir -p bare/bin bare/lib/custos && cp "$BIN" bare/bin/custos &&
	custos search post >expect && bare/bin/custos search post >actual && test_cmp expect actual &&
	custos show x:2 >expect && bare/bin/custos show x:2 >actual && test_cmp expect actual &&
	custos stats >expect && bare/bin/custos stats >actual && test_cmp expect actual &&
	custos verify >/dev/null &&
	test_exit 1 bare/bin/custos verify 2>err &&
	grep "policy repository: cannot load the policy module: $TEST_DIR/bare/lib/custos/policy.so: cannot open shared object file" err &&
	test_exit 1 bare/bin/custos hold list 2>err &&
	grep "^custos: cannot load the policy module: $TEST_DIR/bare/lib/custos/policy.so: " err &&
	test_exit 1 bare/bin/custos export post --format dat --out prod 2>err &&
	grep "^custos: .*cannot load the export module: $TEST_DIR/bare/lib/custos/export.so: cannot open shared object file" err &&
	test ! -e prod &&
	test_exit 1 bare/bin/custos ingest p.ndjson 2>err &&
	grep "cannot load the import module: $TEST_DIR/bare/lib/custos/import.so: " err &&
	test_exit 1 bare/bin/custos serve --listen 127.0.0.1:0 2>err &&
	grep "cannot load the serve module: $TEST_DIR/bare/lib/custos/serve.so: " err &&
	# with the export module beside it, that binary produces
	cp "$MODDIR/export.so" bare/lib/custos/ &&
	bare/bin/custos export post --format dat --out prod >/dev/null &&
	bare/bin/custos export --verify prod >/dev/null &&
	test_exit 1 bare/bin/custos ingest p.ndjson 2>/dev/null
'

test_expect 'retention loads the policy module alone; compact and matters load none, and run without any' '
	custos init >/dev/null && gen_posts 20 >p.ndjson &&
	gen_posts 10 101 | sed "s/\"2023-/\"2026-/" >new.ndjson &&
	custos ingest p.ndjson new.ndjson >/dev/null &&
	printf "rules:\n  - name: default\n    match: \"*\"\n    retain: 2y\n" >r.yaml &&
	mkdir -p bare/bin bare/lib/custos && cp "$BIN" bare/bin/custos &&
	cp "$MODDIR/policy.so" bare/lib/custos/ &&
	bare/bin/custos policy set r.yaml >/dev/null &&
	loaded bare/bin/custos retention apply --yes >apply.libs &&
	test "$(bare/bin/custos stats --json | jq .records)" = 10 &&
	loaded bare/bin/custos compact >compact.libs &&
	bare/bin/custos matter create m1 --tag hot >/dev/null &&
	bare/bin/custos matter tag m1 hot --query topic1 >/dev/null &&
	loaded bare/bin/custos matter show m1 --json >matter.libs &&
	bare/bin/custos matter show m1 --json | jq -e ".name == \"m1\"" >/dev/null &&
	custos search --count post >expect && bare/bin/custos search --count post >actual &&
	test_cmp expect actual && test "$(cat actual)" -gt 0 &&
	bare/bin/custos verify >/dev/null &&
	grep -qx policy.so apply.libs &&
	for f in apply.libs compact.libs matter.libs; do
		if grep -E "^(export|import|serve)\\.so\$|^lib(cairo|pango|fontconfig|archive|xml2|curl|microhttpd|gnutls)" $f; then
			echo "$f: loaded the above"; exit 1
		fi
	done &&
	for f in compact.libs matter.libs; do
		if grep -E "^policy\\.so\$|^lib(git2|yaml)" $f; then
			echo "$f: loaded the above"; exit 1
		fi
	done
'

test_expect 'a file that is not a module of this build is refused, named' '
	custos init >/dev/null &&
	mkdir -p bare/bin bare/lib/custos && cp "$BIN" bare/bin/custos &&
	cp "$MODDIR/import.so" bare/lib/custos/export.so &&
	test_exit 1 bare/bin/custos export "*" --format dat --out prod 2>err &&
	grep "the export module ($TEST_DIR/bare/lib/custos/export.so) is not the one this custos was built with" err
'

test_done
