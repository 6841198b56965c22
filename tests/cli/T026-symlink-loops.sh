#!/bin/sh
# Symlink loops in an import folder: each file is read once and each loop
# is named; the walk is not exponential (two loops held the writer lock for
# minutes; one read the same file 40 times).
. tests/cli/lib.sh

rec() { printf '{"id":"x:%s","platform":"x","author":{"handle":"a"},"created_at":"2020-01-01","text":"%s"}\n' "$1" "$2"; }

test_expect 'two loops (ln -s . d1; ln -s . d2): each file once, both loops named, fast' '
	custos init >/dev/null && mkdir in && rec 1 once >in/a.ndjson && mkdir in/sub &&
	rec 2 deeper >in/sub/b.ndjson &&
	ln -s . in/d1 && ln -s . in/d2 && ln -s .. in/sub/up &&
	start=$(date +%s) &&
	timeout 60 "$CUSTOS" ingest --json in >out 2>err &&
	test $(($(date +%s) - start)) -lt 20 &&
	jq -e ".added == 2 and .unchanged == 0" out >/dev/null &&
	jq -r ".not_taken[] | .file + \"|\" + .why" out | sort >actual &&
	cat >expect <<-EOF &&
	in/d1|the folder '"'"'in'"'"' again (a link): walked once
	in/d2|the folder '"'"'in'"'"' again (a link): walked once
	in/sub/up|the folder '"'"'in'"'"' again (a link): walked once
	EOF
	test_cmp expect actual
'

test_expect 'a link to a file already read, or to nothing, is named and not read twice' '
	custos init >/dev/null && mkdir in && rec 1 once >in/a.ndjson &&
	ln -s a.ndjson in/b.ndjson && ln -s nowhere in/c.ndjson &&
	custos ingest --json in >out 2>err &&
	jq -e ".added == 1 and .unchanged == 0" out >/dev/null &&
	jq -r ".not_taken[] | .file + \"|\" + .why" out | sort >actual &&
	cat >expect <<-EOF &&
	in/b.ndjson|the file '"'"'in/a.ndjson'"'"' again (a link): read once
	in/c.ndjson|a link to nothing: not read
	EOF
	test_cmp expect actual
'
test_done
