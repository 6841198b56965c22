#!/bin/sh
# A search narrowed by a matter's review tags and its tag facet: exact over
# the whole match (every sort, every page, several years' partitions, a
# record with several matching versions counted once), checked against
# counts made independently from plain searches and `custos matter show`;
# a tag or matter that is not there is refused, never zero hits.
. tests/cli/lib.sh
. tests/cli/gen.sh

# ids QUERY [OPTIONS]: the sorted ids of every record the search finds
ids() { q=$1; shift; custos search --json --limit 1000000 "$@" "$q" | jq -r ".hits[].id" | sort; }
# n FILE: its number of lines
n() { wc -l <"$1" | tr -d " "; }

setup() {
	custos init >/dev/null && gen_years 2600 2021 3 >a.ndjson &&
	custos ingest a.ndjson >/dev/null &&
	# x:22 (#topic0, violet) edited: both versions match "violet"
	sed -n "/\"x:22\"/p" a.ndjson | sed "s/about/edited about/" >e.ndjson &&
	custos ingest e.ndjson >/dev/null &&
	custos matter create m --tag hot >/dev/null &&
	custos matter tag m responsive --query "#topic0 OR #topic1 OR #topic2" >/dev/null &&
	custos matter tag m hot --query "#topic2 OR #topic3 OR green" >/dev/null &&
	custos matter tag m privileged x:22 x:23 x:24 x:2500 >/dev/null &&
	custos matter tag m responsive --remove x:24 >/dev/null &&
	# the coded sets, from plain searches: what the tags must select
	ids "#topic0 OR #topic1 OR #topic2" | grep -vx "x:24" >responsive &&
	ids "#topic2 OR #topic3 OR green" >hot &&
	printf "x:22\nx:23\nx:24\nx:2500\n" | sort >privileged
}

test_expect 'narrowed by tags: exactly the coded records that match, in every sort and page' '
	setup &&
	custos matter show m --json >show.json &&
	test "$(jq .tags.responsive show.json)" = "$(n responsive)" &&
	test "$(jq .tags.hot show.json)" = "$(n hot)" &&
	for q in post red "year 2022" "#topic2" "blue OR amber"; do
		ids "$q" >match &&
		comm -12 match responsive >want1 && comm -12 want1 hot >want2 &&
		test -s want2 &&
		ids "$q" --matter m --tag responsive >got1 && test_cmp want1 got1 &&
		ids "$q" --matter m --tag responsive,hot >got2 && test_cmp want2 got2 &&
		ids "$q" --matter m --tag hot --tag responsive >got3 && test_cmp want2 got3 &&
		test "$(custos search --count --matter m --tag responsive "$q")" = "$(n want1)" &&
		test "$(custos search --json --limit 3 --matter m --tag responsive,hot "$q" | jq .total)" = "$(n want2)" &&
		for sort in relevance date -date; do
			# every page of 7, joined, is the whole narrowed match once
			: >pages && off=0 &&
			while [ $off -lt $(($(n want1) + 7)) ]; do
				custos search --json --sort $sort --limit 7 --offset $off --matter m --tag responsive "$q" |
					jq -r ".hits[].id" >>pages || exit 1
				off=$((off + 7))
			done &&
			sort pages >pages.s && test_cmp want1 pages.s &&
			test "$(sort -u pages | wc -l)" = "$(n pages)" || { echo "sort $sort, query $q"; exit 1; }
		done || exit 1
	done &&
	# a record whose two versions match counts once, and carries its tags
	custos search --json --matter m --tag privileged "violet #topic0" >j &&
	jq -e ".total == 1 and .hits[0].id == \"x:22\" and .hits[0].matched_versions == [1, 2] and .hits[0].tags == [\"responsive\", \"privileged\"]" j >/dev/null
'

test_expect 'the tag facet counts every matching record per tag, exactly, over the whole match' '
	setup &&
	# over every record it is the matter'"'"'s own count of each tag
	custos search --json --limit 1 --matter m --facets tag post >j &&
	custos matter show m --json | jq -S .tags >want && jq -S .facets.tag j >got && test_cmp want got &&
	for q in red "year 2023" "#topic1 OR blue"; do
		ids "$q" >match &&
		for t in responsive hot privileged; do
			echo "$t $(comm -12 match $t | wc -l)" || exit 1
		done >want && echo "confidential 0" >>want && echo "non-responsive 0" >>want &&
		custos search --json --limit 2 --matter m --facets tag,year "$q" >j &&
		jq -r ".facets.tag | to_entries[] | \"\(.key) \(.value)\"" j | sort >got && sort want >want.s &&
		test_cmp want.s got &&
		test "$(jq "[.facets.year[]] | add" j)" = "$(n match)" &&
		# narrowed by hot: each count is the three-way intersection
		comm -12 match hot >mh &&
		for t in responsive hot privileged; do
			echo "$t $(comm -12 mh $t | wc -l)" || exit 1
		done >want && echo "confidential 0" >>want && echo "non-responsive 0" >>want &&
		custos search --json --limit 2 --matter m --tag hot --facets tag,year "$q" >j &&
		jq -r ".facets.tag | to_entries[] | \"\(.key) \(.value)\"" j | sort >got && sort want >want.s &&
		test_cmp want.s got &&
		test "$(jq .total j)" = "$(n mh)" && test "$(jq "[.facets.year[]] | add" j)" = "$(n mh)" || exit 1
	done &&
	# the table shows it too
	ids red >r && k=$(comm -12 r responsive | wc -l) &&
	custos search --limit 1 --matter m --facets tag red >t &&
	grep -q "^tag:" t && grep -Eq "^  responsive +$k\$" t
'

test_expect 'an unknown tag or matter, or tags without a matter, are refused with the reason' '
	setup &&
	test_exit 2 custos search --matter m --tag responsive,nosuch post 2>err &&
	grep -q "matter .m. has no tag .nosuch. (its tags: responsive, non-responsive, privileged, confidential, hot)" err &&
	test_exit 2 custos search --matter m --tag "" post 2>err && grep -q "has no tag" err &&
	test_exit 1 custos search --matter nosuch --tag hot post 2>err && grep -q "no matter named .nosuch." err &&
	test_exit 1 custos search --matter nosuch --facets tag post 2>err && grep -q "no matter named .nosuch." err &&
	test_exit 2 custos search --tag hot post 2>err && grep -q "needs a matter" err &&
	test_exit 2 custos search --facets platform,tag post 2>err && grep -q "needs a matter" err &&
	test_exit 2 custos search --count --matter m --facets tag post 2>err && grep -q "a count has no facets" err &&
	custos audit --json | jq -s -e "map(select(.action == \"search\" and .params.matter == \"m\" and .params.tags == [\"responsive\", \"nosuch\"] and (.result.error | test(\"no tag\")))) | length == 1" >/dev/null
'

test_done
