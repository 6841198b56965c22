#!/bin/sh
# verify goes on through the whole archive and reports every problem, with
# their number: a byte changed late in the store is named even when an
# earlier one was changed too; policy objects deleted or damaged, a hold's
# member file edited, an index shard removed and the audit log emptied or
# cut back are each named.
. tests/cli/lib.sh
. tests/cli/gen.sh

# flip FILE OFFSET: inverts the byte at OFFSET of FILE
flip() {
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d " ") &&
	printf "$(printf '\\%03o' $((255 - b)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# flip_record SEQ: changes one byte near the end of the stored value of SEQ
flip_record() {
	key=$(printf ' %016x' "$1")
	mdb_dump -s records archive/store >dump &&
	awk -v key="$key" '
		found { n = length($0); c = substr($0, n - 9, 1); c = (c == "0") ? "1" : "0";
		        $0 = substr($0, 1, n - 10) c substr($0, n - 8); found = 0 }
		$0 == key { found = 1 }
		{ print }' dump >dump2 &&
	mdb_load -s records -f dump2 archive/store 2>/dev/null
}
setup() {
	custos init >/dev/null && gen_posts 300 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	custos hold create h1 --query "#topic1" --reason r >/dev/null
}

if command -v mdb_dump >/dev/null 2>&1; then
	test_expect 'every damaged record is named, the first and the last, with the count' '
		setup && flip_record 3 && flip_record 290 && flip archive/keys/slots $((32 * 150 + 9)) &&
		test_exit 1 custos verify 2>err && cat err &&
		grep -q "^custos: verification failed: 3 problems:" err &&
		grep -q "record x:3 version 1 (seq 3)" err &&
		grep -q "record x:150 version 1 (seq 150)" err &&
		grep -q "record x:290 version 1 (seq 290)" err &&
		test_exit 1 custos verify --json >v.json &&
		jq -e ".ok == false and .problems == 3 and (.problem_list | length) == 3" v.json >/dev/null
	'
else
	test_skip 'every damaged record is named' 'mdb_dump/mdb_load (lmdb-utils) not installed'
fi
test_expect 'policy objects deleted or damaged are named by path and commit' '
	setup &&
	blob=$(git -C archive/policy rev-parse HEAD:holds/h1.json) &&
	readme=$(git -C archive/policy rev-parse HEAD:README.md) &&
	f=archive/policy/objects/$(echo $blob | cut -c1-2)/$(echo $blob | cut -c3-) &&
	r=archive/policy/objects/$(echo $readme | cut -c1-2)/$(echo $readme | cut -c3-) &&
	rm -f "$f" && chmod u+w "$r" && flip "$r" 12 &&
	test_exit 1 custos verify 2>err && cat err &&
	grep -q "holds/h1.json of commit" err && grep -q "README.md of commit" err
'
test_expect 'a hold member file edited within what the repository recorded is named' '
	setup && sed -i "1s/ ./ 0/" archive/holds/h1.members &&
	test_exit 1 custos verify 2>err &&
	grep -q "the first 24 entries of holds/h1.members differ" err
'
test_expect 'an index shard removed is named' '
	setup && gen=$(awk "\$1 == \"part\" && \$2 == \"2023\" { print \$3 }" archive/index/MANIFEST) &&
	test -n "$gen" && test -d archive/index/2023-$gen/shard1 && rm -r archive/index/2023-$gen/shard1 &&
	test_exit 1 custos verify 2>err && cat err &&
	grep -q "index: the search index is missing shard 1 of [0-9]* of partition 2023 (.*/index/2023-$gen/shard1.)" err
'
test_expect 'an audit log emptied or cut back is named against the anchors' '
	setup && cp archive/audit/audit.log full.log &&
	head -n 2 full.log >archive/audit/audit.log &&
	test_exit 1 custos verify 2>err &&
	grep -q "audit log: it holds 2 entries, but the store.s chain anchored entry" err &&
	: >archive/audit/audit.log &&
	test_exit 1 custos verify 2>err &&
	grep -q "audit log: it holds 0 entries" err
'
test_done
