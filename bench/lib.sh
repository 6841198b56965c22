# Helpers shared by the benchmark scripts (sourced; they use $LOG).
say() { printf '%s\n' "$*" >&2; printf '%s\n' "$*" >>"$LOG"; }
now_ns() { date +%s%N; }
# awk arithmetic: calc "expression"
calc() { awk "BEGIN { printf \"%s\", $1 }" 2>/dev/null || echo "?"; }
fmt() { awk -v x="$1" -v d="${2:-0}" 'BEGIN { if (x == "?" || x == "") print "?"; else printf "%.*f", d, x }'; }
# thousands separators for integers
thou() { printf '%s' "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|[,.]\)/\1,\2\3/; ta'; }
# the median of the numbers on stdin (space or newline separated)
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END {
	if (!NR) { print "?"; exit } if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
