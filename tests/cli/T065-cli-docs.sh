#!/bin/sh
# --help of every command lists every option with a sentence; the man pages
# and the completion scripts come from the same table and say the same;
# make install installs them; completion offers commands, options, hold
# names and formats.
. tests/cli/lib.sh
. tests/cli/gen.sh

# the long options of command NAME that its --help and its man page name
help_opts() { "$CUSTOS" "$1" --help | sed -n 's/^    \(-., \)\{0,1\}--\([a-z-]*\).*/\2/p' | sort -u; }
man_opts() { "$CUSTOS" --man "$1" | sed -n 's/.*\\fB\\-\\-\([a-z\\-]*\)\\fR.*/\1/p' | sed 's/\\-/-/g' | sort -u; }
# the keys of a command's subcommands for the completion tables ("hold create")
keys() {
	bash -c '. ./comp; n=$(_custos_next "$1"); [ -z "$n" ] && { echo "$1"; exit; }
		for s in $n; do m=$(_custos_next "$1 $s"); if [ -n "$m" ]; then for t in $m; do echo "$1 $s $t"; done; else echo "$1 $s"; fi; done' x "$1"
}

test_expect 'every option in --help has its sentence; --help, man page and completion agree' '
	"$CUSTOS" --completion bash >comp && "$CUSTOS" --commands >cmds && test "$(wc -l <cmds)" -ge 13 &&
	while read c; do
		"$CUSTOS" "$c" --help >h || exit 1
		grep -q "^usage: custos $c" h || { echo "$c: no usage"; exit 1; }
		if grep -E "^    (-., )?--[a-z-]+( [A-Z|,.]+)? *$" h; then echo "$c: an option without its sentence"; exit 1; fi
		help_opts "$c" >ho && man_opts "$c" >mo &&
		test_cmp ho mo || { echo "$c: --help and man page differ"; exit 1; }
		keys "$c" >k && : >co &&
		while read key; do bash -c ". ./comp; _custos_options \"\$1\"" x "$key" | tr " " "\n" | sed -n "s/^--//p" >>co; done <k &&
		sort -u co >cos && test_cmp ho cos || { echo "$c: --help and completion differ"; exit 1; }
	done <cmds &&
	"$CUSTOS" search --help | grep -q "^    --limit N  *Show at most N hits (default 20, up to 1000000).$" &&
	"$CUSTOS" hold --help | grep -q "^    --with-thread  *Also hold every record of the conversation of each$"
'
test_expect 'the man pages render without a warning' '
	for p in custos $("$CUSTOS" --commands); do
		"$CUSTOS" --man "$p" >"$p.1" &&
		groff -man -Tutf8 -ww -z "$p.1" 2>w && test ! -s w || { echo "$p"; cat w; exit 1; }
	done &&
	groff -man -Tascii -P-cbou custos.1 2>/dev/null | grep -q "^ *custos-hold(1)$" &&
	groff -man -Tascii -P-cbou hold.1 2>/dev/null | grep -q "^ *custos-hold - legal holds$"
'
test_expect 'make install puts the man pages and completions in place' '
	(cd "$TOP" && make -s install DESTDIR="$TEST_DIR/root" PREFIX=/usr >/dev/null) &&
	test -x root/usr/bin/custos && test -f root/usr/share/man/man1/custos.1 &&
	for c in $("$CUSTOS" --commands); do test -f root/usr/share/man/man1/custos-$c.1 || exit 1; done &&
	test -f root/usr/share/bash-completion/completions/custos &&
	test -f root/usr/share/zsh/site-functions/_custos &&
	head -n 1 root/usr/share/zsh/site-functions/_custos | grep -qx "#compdef custos" &&
	# the modules beside the binary, found by it where it is installed
	for m in export import serve; do test -f root/usr/lib/custos/$m.so || exit 1; done &&
	root/usr/bin/custos --archive inst init >/dev/null && gen_posts 2 >i.ndjson &&
	root/usr/bin/custos --archive inst ingest i.ndjson >/dev/null &&
	test "$(root/usr/bin/custos --archive inst search --count post)" = 2
'
test_expect 'bash completion: commands, subcommands, options, hold names, formats' '
	custos init >/dev/null && gen_posts 3 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	custos hold create --query post acme-matter >/dev/null &&
	custos hold create --query "#topic1" beta >/dev/null &&
	"$CUSTOS" --completion bash >comp &&
	cat >drive <<-EOF &&
	PATH="$(dirname "$CUSTOS"):\$PATH"
	. ./comp
	c() { COMP_WORDS=("\$@"); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _custos; echo "\${COMPREPLY[*]}"; }
	c custos ho
	c custos hold ""
	c custos hold release ""
	c custos hold show a
	c custos ingest --format m
	c custos retention plan --a
	c custos --archive "$TEST_DIR/archive" hold scope ""
	c custos policy doc ""
	EOF
	bash drive >got &&
	cat >expect <<-EOF &&
	hold
	create list show scope release
	acme-matter beta
	acme-matter
	mastodon mastodon-api
	--as-of
	acme-matter beta
	add list show
	EOF
	test_cmp expect got
'
test_expect 'zsh completion: the same tables, read by zsh' '
	if ! command -v zsh >/dev/null; then echo "zsh not installed: syntax only by bash"; exit 0; fi
	"$CUSTOS" --completion zsh >_custos && zsh -n _custos &&
	cat >drive.zsh <<-EOF &&
	compadd() { [[ \$1 == -- ]] && shift; print -r -- "\$*"; }
	_files() { print -r -- "(files)"; }
	source ./_custos >/dev/null
	t() { words=("\$@"); CURRENT=\${#words}; _custos; }
	t custos hold ""
	t custos ingest --format ""
	t custos policy set ""
	EOF
	zsh -f drive.zsh >got &&
	printf "create list show scope release\nndjson x-archive twitter-api mastodon mastodon-api facebook slack linkedin feed\n(files)\n" >expect &&
	test_cmp expect got
'
test_done
