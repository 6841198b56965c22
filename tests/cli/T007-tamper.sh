#!/bin/sh
# Changes made behind custos's back, with the LMDB tools as an independent
# client: verify names what changed and exits 1.
. tests/cli/lib.sh
. tests/cli/gen.sh

if ! command -v mdb_dump >/dev/null 2>&1; then
	test_skip 'tampering through the LMDB tools' 'mdb_dump/mdb_load (lmdb-utils) not installed'
	test_done
	exit
fi

# flip_record SEQ: changes one byte near the end of the stored value of SEQ
flip_record() {
	key=$(printf ' %016x' "$1")
	mdb_dump -s records archive/store >dump &&
	awk -v key="$key" '
		found { n = length($0); c = substr($0, n - 9, 1); c = (c == "0") ? "1" : "0";
		        $0 = substr($0, 1, n - 10) c substr($0, n - 8); found = 0 }
		$0 == key { found = 1 }
		{ print }' dump >dump2 &&
	! cmp -s dump dump2 &&
	mdb_load -s records -f dump2 archive/store
}

test_expect 'a byte changed in a stored record is found and named' '
	custos init >/dev/null && gen_posts 5 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	custos verify >/dev/null &&
	flip_record 3 &&
	test_exit 1 custos verify 2>err &&
	grep -q "x:3" err && grep -q "seq 3" err &&
	test_exit 1 custos show x:3 2>err2 && grep -qi "corrupt\|hash\|decompress" err2 &&
	custos show x:2 >/dev/null
'
test_expect 'a byte changed in the key slots is found' '
	custos init >/dev/null && gen_posts 5 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	python3 -c "import sys; f = open(sys.argv[1], \"r+b\"); f.seek(32 * 2 + 5); b = f.read(1); f.seek(32 * 2 + 5); f.write(bytes([b[0] ^ 0xFF]))" archive/keys/slots &&
	test_exit 1 custos verify 2>err &&
	grep -q "seq 2" err
'
test_expect 'a store written by a newer format is refused, and left untouched' '
	custos init >/dev/null && gen_posts 2 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	printf "VERSION=3\nformat=print\ntype=btree\nHEADER=END\n format\n \\\\00\\\\00\\\\00\\\\09\nDATA=END\n" >newer &&
	mdb_load -T -s meta -f newer archive/store 2>/dev/null || mdb_load -s meta -f newer archive/store &&
	sha256sum archive/store/data.mdb >before &&
	test_exit 1 custos stats 2>err && grep -qi "newer" err &&
	test_exit 1 custos ingest a.ndjson 2>err && grep -qi "newer" err &&
	sha256sum archive/store/data.mdb >after && test_cmp before after
'
test_done
