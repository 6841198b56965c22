#!/bin/sh
# policy doc add and policy set read regular files only, and only up to a
# limit: a symbolic link, a device or a FIFO is refused by name, and nothing
# is committed for anyone who can read the repository.
. tests/cli/lib.sh

test_expect 'a symbolic link is refused, not followed into what it names' '
	custos init >/dev/null &&
	echo "secret: not for the archive" >secret &&
	ln -s "$TEST_DIR/secret" memo.txt &&
	test_exit 1 custos policy doc add memo.txt 2>err &&
	echo "custos: '"'"'memo.txt'"'"' is a symbolic link: give the file it points to (custos commits only regular files)" >expect &&
	test_cmp expect err &&
	test $(git -C archive/policy rev-list --count HEAD) = 1 &&
	test_exit 1 git -C archive/policy grep -q "not for the archive" HEAD &&
	ln -s "$TEST_DIR/secret" r.yaml &&
	test_exit 1 custos policy set r.yaml 2>err && grep -q "is a symbolic link" err &&
	cp secret memo2.txt && custos policy doc add memo2.txt >/dev/null &&
	custos policy doc show memo2.txt >shown && test_cmp secret shown
'
test_expect 'a device, a FIFO or a directory is refused without reading it' '
	custos init >/dev/null &&
	test_exit 1 custos policy doc add /dev/zero 2>err &&
	echo "custos: '"'"'/dev/zero'"'"' is not a regular file (a device): custos commits only regular files" >expect &&
	test_cmp expect err &&
	mkfifo pipe &&
	test_exit 1 timeout 10 "$CUSTOS" policy doc add pipe 2>err && grep -q "(a FIFO)" err &&
	test_exit 1 timeout 10 "$CUSTOS" policy set pipe 2>err && grep -q "(a FIFO)" err &&
	mkdir d && test_exit 1 custos policy doc add d 2>err && grep -q "(a directory)" err &&
	test $(git -C archive/policy rev-list --count HEAD) = 1
'
test_expect 'a document over 64 MiB and a schedule over 1 MiB are refused by their size' '
	custos init >/dev/null &&
	truncate -s 67108865 big.pdf &&
	test_exit 1 custos policy doc add big.pdf 2>err &&
	echo "custos: '"'"'big.pdf'"'"' is 67108865 bytes, over the limit of 67108864" >expect &&
	test_cmp expect err &&
	truncate -s 1048577 big.yaml &&
	test_exit 1 custos policy set big.yaml 2>err &&
	echo "custos: '"'"'big.yaml'"'"' is 1048577 bytes, over the limit of 1048576" >expect &&
	test_cmp expect err &&
	test $(git -C archive/policy rev-list --count HEAD) = 1 &&
	truncate -s 67108864 edge.bin && custos policy doc add edge.bin >/dev/null &&
	custos policy doc list >list && grep -q "^edge.bin  *67108864 " list
'
test_done
