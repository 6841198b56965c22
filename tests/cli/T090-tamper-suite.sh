#!/bin/sh
# The tamper suite: every file of an archive (store, key files, audit log,
# policy objects and refs, hold member files, index, lock files) changed
# behind custos's back in each way (a byte flipped, cut short, deleted,
# replaced by an older copy, appended to); custos verify must fail naming
# what was damaged (the part is compared, not only the exit status). Lock
# files hold no evidence: changing them is harmless, and verify says so by
# passing. docs/threat-model.md has the table this suite proves.
. tests/cli/lib.sh
. tests/cli/gen.sh

if ! command -v mdb_dump >/dev/null 2>&1; then
	test_skip 'the tamper suite' 'mdb_dump/mdb_load (lmdb-utils) not installed'
	test_done
	exit
fi

# flip FILE OFFSET: inverts the byte at OFFSET of FILE
flip() {
	chmod u+w "$1" &&
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d " ") &&
	printf "$(printf '\\%03o' $((255 - b)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# flip_hex FILE HEX: inverts the first byte of each place the bytes HEX are in FILE
flip_hex() {
	offs=$(od -An -v -tx1 "$1" | tr -d ' \n' | awk -v pat="$2" '{
		s = $0; base = 0
		while ((i = index(s, pat)) > 0) {
			if ((base + i) % 2 == 1) print (base + i - 1) / 2
			base += i; s = substr(s, i + 1)
		} }') &&
	[ -n "$offs" ] && for o in $offs; do flip "$1" "$o" || return 1; done
}
# value_hex DB KEYHEX: the value of KEYHEX in DB of the archive, as hex
value_hex() {
	mdb_dump -s "$1" archive/store | awk -v key=" $2" 'found { print substr($0, 2); exit } $0 == key { found = 1 }'
}
seq_key() { printf '%016x' "$1"; }
# mdb_edit DB SED: rewrites DB's dump through sed (LMDB's own tools: a
# change a careful attacker would make)
mdb_edit() {
	mdb_dump -s "$1" archive/store >dump && sed "$2" dump >dump2 && ! cmp -s dump dump2 &&
	mdb_load -s "$1" -f dump2 archive/store 2>/dev/null
}
# obj FILE-IN-TREE: the path of the loose object holding it in the policy repository
obj() {
	id=$(git -C archive/policy rev-parse "HEAD:$1") &&
	echo "archive/policy/objects/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-)"
}

# The archive every case starts from: records of two platforms, a media
# blob, a quarantined item, trained dictionaries, a hold that grew, a
# schedule and a document, a disposition run (tombstones, the dictionary
# trained on disposed records retired) and records after it. "old" is a
# copy from half-way. Seqs: 1-5 Mastodon (kept forever), 6-205 x:1-200 of
# 2023 (disposed under a 2-year rule but for the 16 that hold h1 covers),
# 206-305 x:201-300 and 306-325 x:301-320 of last month (kept).
base=$t_root/base
old=$t_root/old
export CUSTOS_TEST_DICT_AFTER=40
build() {
	CUSTOS_ARCHIVE=$base && export CUSTOS_ARCHIVE &&
	recent=$(date -u -d "-35 days" +%Y-%m) &&
	custos init >/dev/null &&
	custos ingest --skip-bad tests/data/import/mastodon >/dev/null 2>&1 &&
	gen_posts 200 >"$t_root/a.ndjson" && custos ingest "$t_root/a.ndjson" >/dev/null &&
	custos hold create h1 --query "#topic1" --reason "matter 1" >/dev/null &&
	printf 'rules:\n  - name: default\n    match: "*"\n    retain: 2y\n  - name: toots\n    match: "platform:mastodon"\n    retain: forever\n' >"$t_root/r.yaml" &&
	custos policy set "$t_root/r.yaml" >/dev/null &&
	echo "board minutes" >"$t_root/memo.txt" && custos policy doc add "$t_root/memo.txt" >/dev/null &&
	cp -a "$base" "$old" &&
	gen_posts 100 201 | sed "s/\"created_at\":\"2023-[0-9]*-/\"created_at\":\"$recent-/" >"$t_root/b.ndjson" &&
	custos ingest "$t_root/b.ndjson" >/dev/null &&
	custos retention apply --yes >/dev/null &&
	test "$(custos stats --json | jq .tombstones)" = 184 &&
	gen_posts 20 301 | sed "s/\"created_at\":\"2023-[0-9]*-/\"created_at\":\"$recent-/" >"$t_root/c.ndjson" &&
	custos ingest "$t_root/c.ndjson" >/dev/null &&
	custos verify >/dev/null
}
if ! (build) >"$t_root/build.log" 2>&1; then
	echo "not ok building the archive to tamper with"; sed 's/^/    /' "$t_root/build.log"
	t_fail=$((t_fail + 1))
	test_done
	exit 1
fi

# tamper NAME PATTERN COMMANDS: COMMANDS change a copy of the archive;
# verify fails, and its report names PATTERN (an extended regex)
tamper() {
	test_expect "$1" "cp -a '$base' archive && { $3
	} && test_exit 1 custos verify >out 2>err && { grep -qE -- '$2' err || { cat err; false; }; }"
}
# harmless NAME COMMANDS: the change touches no evidence: verify passes and
# the archive still takes records
harmless() {
	test_expect "$1" "cp -a '$base' archive && { $2
	} && custos verify >/dev/null && gen_posts 5 400 >d.ndjson && custos ingest d.ndjson >/dev/null &&
	custos verify >/dev/null"
}

# ---- store/data.mdb
tamper 'data.mdb: a byte of a live record flipped in the file' 'record x:250 version 1 \(seq 255\)' '
	v=$(value_hex records $(seq_key 255)) && flip_hex archive/store/data.mdb "$(echo "$v" | cut -c201-232)"'
tamper 'data.mdb: cut short' 'store/data.mdb is cut short' '
	truncate -s $(($(stat -c %s archive/store/data.mdb) / 2)) archive/store/data.mdb'
tamper 'data.mdb: deleted' 'store/data.mdb is missing' '
	rm archive/store/data.mdb'
tamper 'data.mdb: replaced by an older copy' 'the store was cut back or replaced by an older copy' '
	cp "$old/store/data.mdb" archive/store/data.mdb'
# a tombstone's record id ("x:" becomes "y:"): the run's digest in the audit
# trail no longer matches its tombstones
tamper 'data.mdb: a tombstone rewritten through LMDB' 'disposition run [0-9]+: its tombstones .* are not those its audit entry [0-9]+ recorded' '
	mdb_edit tombstones "0,/^ 01.*783a/s/^\( 01[0-9a-f]*\)783a/\1793a/"'
tamper 'data.mdb: the last anchor rewritten through LMDB' 'its last anchor is not the anchor of its last anchored batch' '
	k=$(printf anchor | od -An -tx1 | tr -d " \n") &&
	mdb_edit meta "/^ $k\$/{n;s/^ \(..\)./ \1f/}"'
# the last byte of the first source file entry's file name: its records
# would read another name; the entry no longer matches its lookup entry
tamper 'data.mdb: a source file entry rewritten through LMDB' 'source file entry 1 .*: its lookup entry is missing' '
	mdb_edit meta "/^ 66723a00000001\$/{n;s/..\$/41/}"'
harmless 'data.mdb: bytes appended (LMDB reads the pages its meta names)' '
	printf junk >>archive/store/data.mdb'

# ---- keys/slots
tamper 'keys/slots: a record key flipped' 'record x:270 version 1 \(seq 275\)' '
	flip archive/keys/slots $((32 * 275 + 7))'
tamper 'keys/slots: cut short' 'keys/slots: key slot [0-9]+ is missing' '
	truncate -s $((32 * 250)) archive/keys/slots'
tamper 'keys/slots: deleted' 'keys/slots. is missing' '
	rm archive/keys/slots'
tamper 'keys/slots: replaced by an older copy' 'keys/slots: key slot [0-9]+ is missing' '
	cp "$old/keys/slots" archive/keys/slots'
harmless 'keys/slots: bytes appended (slots past the last record)' '
	head -c 64 /dev/urandom >>archive/keys/slots'

# ---- keys/items: the blob, the dictionaries, the quarantined item
tamper 'keys/items: the media blob key flipped' 'blob [0-9a-f]+.*hash mismatch' '
	slot=$(( 0x$(mdb_dump -s blobs archive/store | awk "NR > 1 && /^ / { n++ } n == 2 { print substr(\$0, 6, 16); exit }") )) &&
	flip archive/keys/items $((32 * slot + 5))'
tamper 'keys/items: the quarantine item key flipped' 'quarantine item 1' '
	v=$(value_hex quarantine $(seq_key 1)) &&
	slot=$(echo "$v" | cut -c9- | xxd -r -p 2>/dev/null | grep -ao "\"slot\":[0-9]*" | cut -d: -f2) &&
	flip archive/keys/items $((32 * slot + 1))'
tamper 'keys/items: cut short' 'keys/items: key slot [0-9]+ is missing' '
	truncate -s 32 archive/keys/items'
tamper 'keys/items: deleted' 'keys/items. is missing' '
	rm archive/keys/items'
tamper 'keys/items: replaced by an older copy' 'dictionary [0-9]+' '
	cp "$old/keys/items" archive/keys/items'

# ---- audit/audit.log
tamper 'audit.log: the first entry.s prev flipped' 'audit log line 1: chain broken: it does not end with the 64 zeros' '
	flip archive/audit/audit.log $(($(head -n 1 archive/audit/audit.log | wc -c) - 4))'
tamper 'audit.log: a byte of entry 5 flipped: the next line names it' 'audit log line 6 \(byte [0-9]+\): chain broken' '
	flip archive/audit/audit.log $(($(head -n 4 archive/audit/audit.log | wc -c) + 40))'
tamper 'audit.log: a byte of entry 5 flipped: the anchor names it' 'audit log: entry 5 is not the entry the store.s chain anchored' '
	flip archive/audit/audit.log $(($(head -n 4 archive/audit/audit.log | wc -c) + 40))'
tamper 'audit.log: cut back by its last entries' 'audit log: it holds [0-9]+ entries, but the store.s chain anchored entry' '
	n=$(wc -l <archive/audit/audit.log) && head -n $((n - 6)) archive/audit/audit.log >a && cat a >archive/audit/audit.log'
tamper 'audit.log: deleted' 'audit log: it holds 0 entries' '
	rm archive/audit/audit.log'
tamper 'audit.log: replaced by an older copy' 'audit log: it holds [0-9]+ entries, but the store.s chain anchored entry' '
	cp "$old/audit/audit.log" archive/audit/audit.log'
tamper 'audit.log: a line appended' "audit log line $(($(wc -l <"$base/audit/audit.log") + 1)) \\(byte [0-9]+\\): chain broken" '
	echo "{\"n\":999,\"forged\":true}" >>archive/audit/audit.log'
tamper 'audit.log: cut short in the middle of an anchored entry' 'audit log: it holds [0-9]+ entries, but the store.s chain anchored entry' '
	n=$(wc -l <archive/audit/audit.log) && truncate -s $(($(head -n $((n - 2)) archive/audit/audit.log | wc -c) - 30)) archive/audit/audit.log'

# ---- policy/: objects and refs
tamper 'policy: the object of holds/h1.json flipped' 'holds/h1.json of commit' '
	flip "$(obj holds/h1.json)" 20'
tamper 'policy: the object of a document deleted' 'docs/memo.txt of commit' '
	rm -f "$(obj docs/memo.txt)"'
tamper 'policy: a commit object deleted' 'policy repository: the history of HEAD cannot be walked' '
	c=$(git -C archive/policy rev-parse HEAD~1) &&
	rm -f archive/policy/objects/$(echo $c | cut -c1-2)/$(echo $c | cut -c3-)'
tamper 'policy: the branch moved back with refs/custos/known' 'does not descend from commit' '
	git -C archive/policy update-ref refs/heads/main HEAD~2 &&
	git -C archive/policy update-ref refs/custos/known refs/heads/main'
tamper 'policy: HEAD pointed at a branch of an older commit' 'is not in the history of HEAD' '
	git -C archive/policy branch old HEAD~2 && git -C archive/policy symbolic-ref HEAD refs/heads/old'
tamper 'policy: the branch deleted' 'policy repository: .* has no commit on its branch' '
	git -C archive/policy update-ref -d refs/heads/main'
tamper 'policy: refs/custos/known deleted' 'refs/custos/known is missing' '
	git -C archive/policy update-ref -d refs/custos/known'
tamper 'policy: replaced by an older copy' 'is missing from the policy repository' '
	rm -rf archive/policy && cp -a "$old/policy" archive/policy'

# ---- holds/h1.members
tamper 'h1.members: a byte of an anchored entry flipped' 'the first [0-9]+ entries of holds/h1.members differ' '
	flip archive/holds/h1.members 10'
tamper 'h1.members: cut short' 'holds/h1.members has [0-9]+ entries, the policy repository recorded' '
	head -n 2 archive/holds/h1.members >m && cat m >archive/holds/h1.members'
tamper 'h1.members: deleted' 'holds/h1.members has 0 entries' '
	rm archive/holds/h1.members'
tamper 'h1.members: replaced by an older copy' 'holds/h1.members has [0-9]+ entries, the policy repository recorded' '
	cp "$old/holds/h1.members" archive/holds/h1.members'
tamper 'h1.members: a malformed line appended' 'holds/h1.members is malformed' '
	echo "x:1 not-a-hash" >>archive/holds/h1.members'

# ---- index/: a partition per year of created_at (2023, and the year of
# last month), each at its own generation, with its hash shards
ryear=$(date -u -d "-35 days" +%Y)
# part_dir YEAR: the directory of partition YEAR at the generation the
# MANIFEST names; fails when there is none, so no case damages nothing
part_dir() {
	g=$(awk -v y="$1" '$1 == "part" && $2 == y { print $3 }' archive/index/MANIFEST) &&
	[ -n "$g" ] && [ -d "archive/index/$1-$g" ] && echo "archive/index/$1-$g"
}
tamper 'index: MANIFEST names an older generation of a partition' 'index: the search index is missing shard 0 of [0-9]+ of partition 2023 \(.*/index/2023-1/shard0.\)' '
	d=$(part_dir 2023) && [ "$d" != archive/index/2023-1 ] &&
	sed -i "s/^part 2023 [0-9]* /part 2023 1 /" archive/index/MANIFEST && grep -q "^part 2023 1 " archive/index/MANIFEST'
tamper 'index: MANIFEST names a generation of a partition that does not exist' "index: the search index is missing shard 0 of [0-9]+ of partition $ryear \\(.*/index/$ryear-99/shard0.\\)" '
	part_dir $ryear >/dev/null &&
	sed -i "s/^generation .*/generation 99/; s/^part $ryear [0-9]* /part $ryear 99 /" archive/index/MANIFEST &&
	grep -q "^part $ryear 99 " archive/index/MANIFEST'
tamper 'index: MANIFEST generation set below a partition.s' 'index: the search index manifest .* is unreadable' '
	part_dir 2023 >/dev/null &&
	sed -i "s/^generation .*/generation 1/" archive/index/MANIFEST && grep -qx "generation 1" archive/index/MANIFEST'
tamper 'index: a partition dropped from the MANIFEST' 'index: it holds [0-9]+ documents for the store.s [0-9]+ live record versions: a partition of it is missing' '
	part_dir 2023 >/dev/null && sed -i "/^part 2023 /d" archive/index/MANIFEST && ! grep -q "^part 2023 " archive/index/MANIFEST'
tamper 'index: MANIFEST deleted' 'index: no search index at' '
	rm archive/index/MANIFEST'
tamper 'index: MANIFEST cut short' 'index: the search index manifest .* is unreadable' '
	truncate -s 10 archive/index/MANIFEST'
tamper 'index: a shard removed' "index: the search index is missing shard 1 of [0-9]+ of partition $ryear \\(.*/index/$ryear-[0-9]+/shard1.\\)" '
	d=$(part_dir $ryear) && test -d "$d/shard1" && rm -r "$d/shard1"'
tamper 'index: a shard table cut short' 'index: shard 0 of [0-9]+ of partition 2023 \(.*/index/2023-[0-9]+/shard0.\) is damaged' '
	d=$(part_dir 2023) && test -f "$d/shard0/postlist.glass" && truncate -s 1000 "$d/shard0/postlist.glass"'
# the last byte of each block is inside its last item in a glass table
tamper 'index: a byte flipped in each block of a shard table' "index: shard 1 of [0-9]+ of partition $ryear \\(.*/index/$ryear-[0-9]+/shard1.\\) is damaged" '
	d=$(part_dir $ryear) && f=$d/shard1/postlist.glass && test -f "$f" && blk=0 &&
	while [ $((blk * 8192)) -lt $(stat -c %s "$f") ]; do flip "$f" $((blk * 8192 + 8190)) || exit 1; blk=$((blk + 1)); done'
# an older index is derived data behind the store, not damage; what it still
# holds of records disposed since is named, and the next disposition run
# deletes it
test_expect 'index: replaced by an older copy: lag and disposed documents named, the next run removes them' "
	cp -a '$base' archive && custos search --count 'date:2023-01-01..2023-12-31' >before &&
	rm -rf archive/index && cp -a '$old/index' archive/index &&
	custos verify >out && grep -q 'lags by 120 record versions' out &&
	grep -q '^index: 184 documents of disposed records are still there' out &&
	custos retention apply --yes >/dev/null && custos verify >out2 && ! grep -q 'disposed records' out2 &&
	custos search --count 'date:2023-01-01..2023-12-31' >after 2>/dev/null && test_cmp before after"

# ---- lock files: no evidence in them
for f in lock audit/lock store/lock.mdb policy/custos.lock; do
	harmless "$f: flipped" "printf 'junk' | dd of=archive/$f bs=1 seek=0 conv=notrunc 2>/dev/null"
	harmless "$f: deleted" "rm -f archive/$f"
done
test_done
