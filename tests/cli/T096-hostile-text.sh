#!/bin/sh
# A hostile export cannot drive a reviewer's terminal: record text, authors,
# ids, URLs and threads holding ESC sequences (CSI, OSC 8 links, OSC 52
# clipboard writes), BEL, CR, backspace, DEL, C1 controls (U+009B, CSI on
# some terminals) and bidi overrides (U+202E) are printed by show, search,
# show --thread/--versions, hold show and matter show as visible escapes
# (\x1b, \u009b, \u202e), whether or not stdout is a terminal; newlines and
# tabs of a text stay as they are where the layout keeps the text's lines.
# --json gives the same fields back exactly. Quarantined bytes are shown
# escaped too; --raw writes bytes exactly, and to a terminal only when they
# hold no control character. An id itself may not hold a C0 control (ESC,
# newline): ingest refuses it by name, or quarantines it under --skip-bad.
. tests/cli/lib.sh

# the bytes that must never reach a terminal: ESC, BEL, CR, BS, DEL, U+009B, U+202E
no_controls() {
	if LC_ALL=C grep -nP '\x1b|\x07|\r|\x08|\x7f|\xc2\x9b|\xe2\x80\xae' "$1"; then
		echo "control bytes printed in $1"; return 1
	fi
}
hostile() {
	cat <<'JSON'
{"id":"x:1","platform":"x","account":"acme","author":{"handle":"root\u001b[31m","name":"Eve\u202egnp.exe\u0007"},"created_at":"2023-01-01T10:00:00Z","text":"hostile post\u001b]52;c;ZXZpbA==\u0007 line\rFAKE\nsecond line\u009b2J \u001b]8;;http://evil\u001b\\link\u001b]8;;\u001b\\ tab\there","url":"https://x.com/\u001b[2Jroot","thread":"x:1\u202e","lang":"en"}
{"id":"x:2\u009b1m","platform":"x","account":"acme","author":{"handle":"bob"},"created_at":"2023-01-02T10:00:00Z","text":"reply hostile\b\b\bok\u007f","in_reply_to":"x:1","thread":"x:1\u202e","lang":"en"}
JSON
}
# the same without CR, which a terminal (script(1)) adds at each line end
no_controls_but_cr() {
	if LC_ALL=C grep -nP '\x1b|\x07|\x08|\x7f|\xc2\x9b|\xe2\x80\xae' "$1"; then
		echo "control bytes printed in $1"; return 1
	fi
}
gen_clean() {
	printf '{"id":"x:9","platform":"x","author":{"handle":"ok"},"created_at":"2023-01-01","text":"plain\\nlines"}\n'
}
setup() {
	custos init >/dev/null && hostile >h.ndjson && custos ingest h.ndjson >/dev/null &&
	custos index >/dev/null
}
expect_show() {
	cat <<'EOF2'
author        @root\x1b[31m (Eve\u202egnp.exe\x07)
thread        x:1\u202e
url           https://x.com/\x1b[2Jroot

hostile post\x1b]52;c;ZXZpbA==\x07 line\x0dFAKE
second line\u009b2J \x1b]8;;http://evil\x1b\link\x1b]8;;\x1b\ tab	here
EOF2
}
expect_thread() {
	cat <<'EOF2'
> 2023-01-01T10:00:00Z  x:1  @root\x1b[31m (post)
    hostile post\x1b]52;c;ZXZpbA==\x07 line\x0dFAKE
    second line\u009b2J \x1b]8;;http://evil\x1b\link\x1b]8;;\x1b\ tab	here
  2023-01-02T10:00:00Z  x:2\u009b1m  @bob (reply) in reply to x:1
    reply hostile\x08\x08\x08ok\x7f
EOF2
}
expect_search() {
	cat <<'EOF2'
id                               created              platform  author           snippet
x:1                              2023-01-01T10:00:00Z x         root\x1b[31m     [[hostile]] post\x1b]52;c;ZXZpbA==\x07 line FAKE second line\u009b2J \x1b]8;;http://evil\x1b\link\x1b]8;;\x1b\ tab here
x:2\u009b1m                      2023-01-02T10:00:00Z x         bob              reply [[hostile]]\x08\x08\x08ok...

2 records, showing 1-2
EOF2
}

test_expect 'show prints a hostile record escaped, its text still as lines' '
	setup &&
	custos show x:1 >out && no_controls out &&
	grep -E "^(author|thread|url) |^$" out >got && tail -n 2 out >>got &&
	expect_show >expect && test_cmp expect got
'
test_expect 'search hit lines and snippets are escaped' '
	setup &&
	custos search hostile >out && no_controls out &&
	expect_search >expect && test_cmp expect out
'
test_expect 'show --thread and --versions are escaped; the thread keeps the text lines indented' '
	setup &&
	custos show --thread x:1 >out && no_controls out &&
	expect_thread >expect && test_cmp expect out &&
	custos show --versions "$(printf "x:2\302\2331m")" >v && no_controls v &&
	grep -q "a[0-9a-f]* reply hostile\\\\x08\\\\x08\\\\x08ok\\\\x7f$" v
'
test_expect 'hold show and matter show name hostile records escaped' '
	setup &&
	CUSTOS_ACTOR="Jane Doe" custos hold create h1 --query hostile --reason r >/dev/null &&
	custos hold show h1 >out && no_controls out &&
	tail -n 2 out >got && printf "x:1\nx:2\\\\u009b1m\n" >expect && test_cmp expect got &&
	CUSTOS_ACTOR="Jane Doe" custos matter create m1 --tag hot >/dev/null &&
	CUSTOS_ACTOR="Jane Doe" custos matter tag m1 hot --query hostile >/dev/null &&
	custos matter show m1 >m && no_controls m && grep -q "^hot  *2$" m
'
test_expect 'an error quoting a hostile id escapes it' '
	setup &&
	test_exit 1 custos show "$(printf "x:9\033]52;c;ZQ==\007")" 2>err && no_controls err &&
	echo "custos: no record '"'"'x:9\\x1b]52;c;ZQ==\\x07'"'"'" >expect && test_cmp expect err
'
test_expect '--json gives every hostile field back exactly' '
	setup &&
	custos show --json x:1 | jq -e ".author.handle == \"root\u001b[31m\" and
		.author.name == \"Eve\u202egnp.exe\u0007\" and .url == \"https://x.com/\u001b[2Jroot\" and
		.thread == \"x:1\u202e\" and
		.text == \"hostile post\u001b]52;c;ZXZpbA==\u0007 line\rFAKE\nsecond line\u009b2J \u001b]8;;http://evil\u001b\\\\link\u001b]8;;\u001b\\\\ tab\there\"" >/dev/null &&
	custos show --json "$(printf "x:2\302\2331m")" | jq -e ".id == \"x:2\u009b1m\" and
		.text == \"reply hostile\b\b\bok\u007f\"" >/dev/null &&
	custos search --json hostile | jq -e "[.hits[].id] == [\"x:1\", \"x:2\u009b1m\"] and
		.hits[0].author == \"root\u001b[31m\"" >/dev/null &&
	custos show --thread --json x:1 | jq -e "[.thread[].text] | length == 2" >/dev/null
'
test_expect 'an id holding ESC or a newline is refused by name, or quarantined' '
	custos init >/dev/null &&
	printf "{\"id\":\"x:7\\u001b[1m\",\"platform\":\"x\",\"author\":{\"handle\":\"a\"},\"created_at\":\"2023-01-01\",\"text\":\"t\"}\n" >esc.ndjson &&
	test_exit 1 custos ingest esc.ndjson 2>err && no_controls err &&
	grep -q "esc.ndjson:1: id has a control character (0x1b) at byte 3" err &&
	custos ingest --skip-bad esc.ndjson >out && grep -q "^quarantined  *1$" out &&
	custos stats --json | jq -e ".records == 0" >/dev/null
'
test_expect 'quarantine show escapes what ingest refused; --raw gives it back exactly' '
	custos init >/dev/null &&
	printf "{\"id\":\"x:5\",\"broken \\033[2J\\377\n" >bad.ndjson &&
	custos ingest --skip-bad bad.ndjson >/dev/null &&
	custos quarantine show 1 >out && no_controls out && ! LC_ALL=C grep -qP "\xff" out &&
	tail -n 1 out >got && echo "{\"id\":\"x:5\",\"broken \\x1b[2J\\xff" >expect &&
	test_cmp expect got &&
	custos quarantine show --raw 1 >raw && head -c "$(wc -c <raw)" bad.ndjson | cmp - raw && test -s raw
'
# a record whose JSON carries DEL, U+009B and U+202E unescaped, as JSON allows
raw_record() {
	printf '{"id":"x:8","platform":"x","author":{"handle":"ok"},"created_at":"2023-01-01","text":"raw \342\200\256 bidi \302\2332J and DEL \177"}\n'
}
tty() { script -qec "$*" /dev/null; }
if command -v script >/dev/null 2>&1; then
test_expect 'show --raw writes the bytes exactly, but to a terminal only when they hold no control' '
	custos init >/dev/null && raw_record >r.ndjson && gen_clean >c.ndjson &&
	custos ingest r.ndjson c.ndjson >/dev/null &&
	custos show --raw x:8 >raw && test -s raw && head -c "$(wc -c <raw)" r.ndjson | cmp - raw &&
	tty "$CUSTOS" show --raw x:8 ";" echo rc=\$? >t && no_controls_but_cr t &&
	grep -q "not written to a terminal" t && grep -q "rc=1" t &&
	tty "$CUSTOS" show --raw x:9 >t2 && grep -q "plain" t2
'
else
	test_skip 'show --raw to a terminal' 'script(1) is not installed'
fi
test_done
