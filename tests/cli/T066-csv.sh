#!/bin/sh
# Every --csv goes through the one writer (common/csv.c): quoted as RFC 4180
# has it, and a cell a spreadsheet would run as a formula prefixed with an
# apostrophe.
. tests/cli/lib.sh
. tests/cli/gen.sh

setup() {
	custos init >/dev/null &&
	printf '{"id":"x:1","platform":"x","account":"acme","author":{"handle":"=cmd"},"created_at":"2020-01-01T10:00:00Z","text":"=HYPERLINK(\\"http://evil\\",\\"click\\"), said @user2"}\n' >a.ndjson &&
	printf '{"id":"x:2","platform":"x","account":"acme","author":{"handle":"b"},"created_at":"2020-01-02T10:00:00Z","text":"plain, with a comma"}\n' >>a.ndjson &&
	custos ingest a.ndjson >/dev/null &&
	printf "rules:\n  - name: \"@sum\"\n    match: \"*\"\n    retain: 1y\n" >r.yaml &&
	custos policy set r.yaml >/dev/null
}

test_expect 'search --csv: formulas guarded, commas and quotes quoted' '
	setup &&
	custos search --csv --sort date "hyperlink OR plain" >out &&
	cat >expect <<-EOF &&
	id,created_at,platform,account,author,snippet,versions
	x:1,2020-01-01T10:00:00Z,x,acme,"'"'"'=cmd","[[HYPERLINK]](""http://evil"",""click""), said @user2",1
	x:2,2020-01-02T10:00:00Z,x,acme,b,"[[plain]], with a comma",1
	EOF
	test_cmp expect out
'
test_expect 'report terms, retention plan and retention log --csv: the same guard' '
	setup &&
	printf "@user2\nplain\n" >terms &&
	custos report terms --csv terms >rep &&
	cat >expect <<-EOF &&
	line,query,breakdown,key,hits,unique,family,error
	1,"'"'"'@user2",all,,1,1,1,
	1,"'"'"'@user2",account,acme,1,,,
	1,"'"'"'@user2",platform,x,1,,,
	2,plain,all,,1,1,1,
	2,plain,account,acme,1,,,
	2,plain,platform,x,1,,,
	,(all terms: distinct records),all,,2,,,
	EOF
	test_cmp expect rep &&
	commit=$(git -C archive/policy log -1 --format=%H -- retention.yaml) &&
	custos retention plan --csv >plan &&
	cat >expect <<-EOF &&
	id,created_at,expired_at,rule,policy_commit
	x:1,2020-01-01T10:00:00Z,2021-01-01T10:00:00Z,"'"'"'@sum",$commit
	x:2,2020-01-02T10:00:00Z,2021-01-02T10:00:00Z,"'"'"'@sum",$commit
	EOF
	test_cmp expect plan &&
	custos retention apply --yes >/dev/null &&
	custos retention log --csv | cut -d, -f2,7 >log &&
	printf "id,rule\nx:1,\"'"'"'@sum\"\nx:2,\"'"'"'@sum\"\n" >expect && test_cmp expect log
'
test_expect 'a production'"'"'s CSV files and the audit export'"'"'s: the same guard, nothing lost' '
	setup &&
	custos export "platform:x" --format csv --out prod >/dev/null &&
	grep -q ",\"'"'"'=HYPERLINK(\"\"http://evil\"\",\"\"click\"\"), said @user2\"," prod/records.csv &&
	custos --actor "'"'"'Eve" retention apply --yes >/dev/null &&
	custos audit --export aud >/dev/null &&
	grep -q ",\"'"'"''"'"'Eve\",[a-z]*,[^,]*,[^,]*,retention-apply," aud/audit.csv &&
	test "$(cut -d, -f7 aud/tombstones.csv | sort -u)" = "$(printf "\"'"'"'@sum\"\nrule")" &&
	python3 -c "
import csv, json
rows = list(csv.DictReader(open(\"prod/records.csv\", newline=\"\")))
back = [v[1:] if v.startswith(chr(39)) else v for v in (r[\"text\"] for r in rows)]
want = [json.loads(l)[\"text\"] for l in open(\"a.ndjson\")]
assert sorted(back) == sorted(want), (back, want)
"
'
test_done
