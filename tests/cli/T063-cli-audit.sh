#!/bin/sh
# custos audit: filters by action, actor and time range (relative too), CSV,
# and docs/audit.md naming exactly the actions custos writes.
. tests/cli/lib.sh
. tests/cli/gen.sh

setup() {
	custos init >/dev/null && gen_posts 5 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	custos --actor Carla hold create --query post m >/dev/null &&
	custos --actor "=Eve" hold release m --reason done >/dev/null &&
	custos --actor Carla search post >/dev/null
}
actions() { jq -r .action "$@" | tr '\n' ' '; }

test_expect 'audit --action, a prefix with *, and --actor' '
	setup &&
	custos audit --json --action hold-create >out && test "$(actions out)" = "hold-create " &&
	custos audit --json --action "hold-*" >out2 && test "$(actions out2)" = "hold-create hold-release-begin hold-release " &&
	custos audit --json --actor Carla >out3 && test "$(actions out3)" = "hold-create search " &&
	custos audit --json --actor Carla --action search >out4 && test "$(actions out4)" = "search " &&
	custos audit --json --action audit-read | tail -n 1 | jq -c .params >p &&
	echo "{\"action\":\"search\",\"actor\":\"Carla\"}" >expect && test_cmp expect p
'
test_expect 'audit --since and --until, as dates or ages' '
	setup &&
	custos audit --json --since 7d >all && test "$(wc -l <all)" -ge 6 &&
	custos audit --json --since 2099-01-01 >none && test ! -s none &&
	custos audit --json --until 1h >old && test ! -s old &&
	custos audit --json --until 2099-01-01 --since 2000-01-01 >both && test "$(wc -l <both)" -ge 6 &&
	test_exit 1 custos audit --since 2024-02-01 --until 2024-01-01 2>err &&
	echo "custos: the end of the time range is before its start: nothing could match" >expect &&
	test_cmp expect err &&
	test_exit 2 custos audit --since yesterdayish 2>err2 && head -n 1 err2 >got &&
	echo "custos: --since: cannot read '"'"'yesterdayish'"'"' as a date, a time or an age (2024-01-31, 2024-01-31T09:00:00Z, 7d)" >expect &&
	test_cmp expect got
'
test_expect 'audit --csv: one row an entry, formulas guarded' '
	setup &&
	custos audit --csv --action hold-release >c &&
	head -n 1 c >h && echo "n,time,user,actor,action,status,params,result,prev" >expect && test_cmp expect h &&
	test "$(wc -l <c)" = 2 &&
	sed -n 2p c | grep -q "^[0-9]*,20[0-9-]*T[0-9:.]*Z,[^,]*,\"'"'"'=Eve\",hold-release,ok,\"{\"\"name\"\":\"\"m\"\",\"\"reason\"\":\"\"done\"\"}\",\"{\"\"commit\"\":\"\"[0-9a-f]*\"\"}\",[0-9a-f]\{64\}$" &&
	test_exit 2 custos audit --csv --json 2>/dev/null
'
test_expect 'an unknown action is refused with the list of actions' '
	setup &&
	test_exit 1 custos audit --action exports 2>err &&
	grep -q "^custos: no audit action .exports. (one of: init, ingest-begin, ingest, " err
'
test_expect 'docs/audit.md lists exactly the actions custos writes' '
	"$CUSTOS" --completion bash >comp &&
	bash -c ". ./comp && _custos_optarg audit --action" | sed "s/^values://" | tr " " "\n" | sort >written &&
	sed -n "/^| action |/,/^$/p" "$TOP/docs/audit.md" | sed -n "s/^| \`\([a-z-]*\)\` |.*/\1/p" | sort >documented &&
	test_cmp written documented &&
	grep -ohE "(__audit(_n)?\([a-z>-]+, |audit_job\([a-z]+, [a-z]+, |audit_note\([a-z]+, |custos_audit_entry_t [a-z]+ = \{ )\"[a-z-]+\"" \
		"$TOP"/lib/*.c "$TOP"/server/*.c "$TOP"/export/*.c 2>/dev/null | sed "s/.*\"\(.*\)\"/\1/" | sort -u >used &&
	comm -23 used written >missing && test ! -s missing
'
test_done
