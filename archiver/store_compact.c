/* Compaction (issue 17): the store's databases rewritten in key order into
 * a new file with full pages and no free ones, then swapped in for
 * data.mdb. docs/storage.md ("Compaction") says why each step is where it
 * is and what a crash at each point leaves. */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define COMPACT_FILE "compact.mdb"   /* in store/, beside data.mdb */
enum { COMPACT_TXN_ENTRIES = 100000 };   /* entries per transaction of the copy */

static int sys_fail(custos_store_t *st, const char *what, const char *path)
{
	int e = errno;
	return custos_err_set(&st->err, CUSTOS_EIO, "cannot %s '%s': %s", what, path, strerror(e));
}

static int sync_path(custos_store_t *st, const char *path, bool dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return sys_fail(st, "open", path);
	if (fsync(fd) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return sys_fail(st, "sync", path);
	}
	if (close(fd) != 0)
		return sys_fail(st, "close", path);
	return CUSTOS_OK;
}

int custos_store__gate(const char *store_dir, bool exclusive, int *fd)
{
	*fd = open(store_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return -1;
	while (flock(*fd, exclusive ? LOCK_EX : LOCK_SH) != 0)
		if (errno != EINTR) {
			int e = errno;
			close(*fd);
			*fd = -1;
			errno = e;
			return -1;
		}
	return 0;
}

void custos_store__gate_release(int fd)
{
	if (fd >= 0)
		close(fd);   /* releases the flock */
}

/* Copies one named database, in key order, appending: LMDB then fills every
 * page. Commits every COMPACT_TXN_ENTRIES entries so that no transaction's
 * dirty pages grow with the store. */
static int copy_db(custos_store_t *st, MDB_txn *src, MDB_env *dst, MDB_txn **dtxn,
                   const char *name, uint64_t *entries)
{
	MDB_dbi sdbi, ddbi;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	unsigned flags = 0;
	size_t n = 0;
	int rc;
	if ((rc = mdb_dbi_open(src, name, 0, &sdbi)) != 0 ||
	    (rc = mdb_dbi_flags(src, sdbi, &flags)) != 0)
		return custos_store__mdb(st, rc, "cannot read a database to compact");
	flags &= MDB_REVERSEKEY | MDB_DUPSORT | MDB_INTEGERKEY | MDB_DUPFIXED | MDB_INTEGERDUP |
	         MDB_REVERSEDUP;
	if ((rc = mdb_dbi_open(*dtxn, name, flags | MDB_CREATE, &ddbi)) != 0)
		return custos_store__mdb(st, rc, "cannot create a database in the compacted copy");
	if ((rc = mdb_cursor_open(src, sdbi, &c)) != 0)
		return custos_store__mdb(st, rc, "cannot read a database to compact");
	MDB_val prev = { 0, NULL };
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		/* a key's further duplicates append to its own list */
		bool dup = (flags & MDB_DUPSORT) && prev.mv_data && prev.mv_size == k.mv_size &&
		           !memcmp(prev.mv_data, k.mv_data, k.mv_size);
		if ((rc = mdb_put(*dtxn, ddbi, &k, &v, dup ? MDB_APPENDDUP : MDB_APPEND)) != 0)
			break;
		prev = k;
		n++;
		if (n % COMPACT_TXN_ENTRIES == 0) {
			if ((rc = mdb_txn_commit(*dtxn)) != 0 ||
			    (rc = mdb_txn_begin(dst, NULL, 0, dtxn)) != 0) {
				*dtxn = NULL;
				break;
			}
		}
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return custos_store__mdb(st, rc, "cannot write the compacted copy");
	*entries += n;
	return CUSTOS_OK;
}

/* Writes the compacted copy of the snapshot src into path, synced. */
static int write_copy(custos_store_t *st, MDB_txn *src, const char *path, uint64_t *entries)
{
	MDB_env *dst = NULL;
	MDB_txn *dtxn = NULL;
	MDB_cursor *c = NULL;
	MDB_dbi main;
	MDB_val k, v;
	MDB_envinfo info;
	char name[512], lockpath[4300];
	int rc, err = CUSTOS_OK;

	snprintf(lockpath, sizeof lockpath, "%s-lock", path);
	mdb_env_info(st->env, &info);
	if ((rc = mdb_env_create(&dst)) != 0 || (rc = mdb_env_set_maxdbs(dst, 16)) != 0 ||
	    (rc = mdb_env_set_mapsize(dst, info.me_mapsize)) != 0 ||
	    (rc = mdb_env_open(dst, path, MDB_NOSUBDIR | MDB_NOSYNC | MDB_NOTLS, 0600)) != 0) {
		err = custos_store__mdb(st, rc, "cannot create the compacted copy");
		goto done;
	}
	if ((rc = mdb_txn_begin(dst, NULL, 0, &dtxn)) != 0 ||
	    (rc = mdb_dbi_open(src, NULL, 0, &main)) != 0 ||
	    (rc = mdb_cursor_open(src, main, &c)) != 0) {
		err = custos_store__mdb(st, rc, "cannot begin the compacted copy");
		goto done;
	}
	/* every named database the store holds, whatever this custos calls them */
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size >= sizeof name) {
			err = custos_err_set(&st->err, CUSTOS_ECORRUPT, "store: a database name of %zu "
			                     "bytes", k.mv_size);
			goto done;
		}
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = '\0';
		if ((err = copy_db(st, src, dst, &dtxn, name, entries)) < 0)
			goto done;
	}
	if (rc != MDB_NOTFOUND) {
		err = custos_store__mdb(st, rc, "cannot read the store's databases");
		goto done;
	}
	rc = mdb_txn_commit(dtxn);
	dtxn = NULL;
	if (rc || (rc = mdb_env_sync(dst, 1)) != 0) {
		err = custos_store__mdb(st, rc, "cannot write the compacted copy");
		goto done;
	}
done:
	if (c)
		mdb_cursor_close(c);
	if (dtxn)
		mdb_txn_abort(dtxn);
	if (dst)
		mdb_env_close(dst);
	unlink(lockpath);
	/* the file itself, its size included, before it can replace data.mdb */
	if (err == CUSTOS_OK)
		err = sync_path(st, path, false);
	return err;
}

int custos_store_compact(custos_store_t *st, custos_compact_summary_t *out)
{
	char dir[4096], data[4200], copy[4200], lock[4200];
	struct stat sb;
	MDB_txn *src = NULL;
	int gate = -1, err;

	memset(out, 0, sizeof *out);
	if (!(st->flags & CUSTOS_STORE_WRITE))
		return custos_err_set(&st->err, CUSTOS_EINVAL, "store is open read-only");
	if (st->sh->compacted)
		return custos_err_set(&st->err, CUSTOS_ESTOPPED, "the store was compacted: reopen "
		                      "the archive");
	if ((size_t)snprintf(dir, sizeof dir, "%s/store", st->dir) >= sizeof dir)
		return custos_err_set(&st->err, CUSTOS_EINVAL, "archive path is too long");
	snprintf(data, sizeof data, "%s/data.mdb", dir);
	snprintf(copy, sizeof copy, "%s/" COMPACT_FILE, dir);
	snprintf(lock, sizeof lock, "%s/lock.mdb", dir);
	if (stat(data, &sb) != 0)
		return sys_fail(st, "read", data);
	out->bytes_before = (uint64_t)sb.st_size;
	/* what an interrupted compaction left goes first */
	if (unlink(copy) != 0 && errno != ENOENT)
		return sys_fail(st, "remove", copy);

	/* pending shreds and retirements are finished before the copy, so that
	 * it holds no list of work the keys already reflect */
	if ((err = custos_store_dispose_complete(st, NULL)) < 0)
		return err;
	if ((err = custos_store__read_txn(st, &src)) < 0)
		return err;
	custos_store__state_t s;
	if ((err = custos_store__state_load(st, src, &s)) == CUSTOS_OK)
		err = write_copy(st, src, copy, &out->entries);
	custos_store__read_done(st, src);
	if (err < 0)
		goto fail;
	if (stat(copy, &sb) != 0) {
		err = sys_fail(st, "read", copy);
		goto fail;
	}
	out->bytes_after = (uint64_t)sb.st_size;
	/* crash tests stop here: the copy is whole, data.mdb untouched */
	custos_test_point("compact-before-swap");

	/* The swap. Readers of other processes open the environment under the
	 * shared gate (custos_store_open), so none opens between the two steps;
	 * those already open keep the old file until they close. lock.mdb goes
	 * first: the next opener makes a fresh one from the new file, rather
	 * than one whose transaction number belongs to the old. */
	if (custos_store__gate(dir, true, &gate) != 0) {
		err = sys_fail(st, "lock", dir);
		goto fail;
	}
	if (unlink(lock) != 0 && errno != ENOENT) {
		err = sys_fail(st, "remove", lock);
		goto fail;
	}
	if (rename(copy, data) != 0) {
		err = sys_fail(st, "rename the compacted copy to", data);
		goto fail;
	}
	/* from here this process's environment is the old file's: no more writes */
	pthread_mutex_lock(&st->sh->mu);
	st->sh->compacted = true;
	pthread_mutex_unlock(&st->sh->mu);
	err = sync_path(st, dir, true);
	custos_store__gate_release(gate);
	if (err < 0)
		return err;
	custos_test_point("compact-after-swap");
	/* the key files: blocks of slots all shredded (a disposition punches
	 * those it shreds; this also gives back what disposals before that
	 * left), up to the last slot assigned. Their zeros were synced when
	 * they were shredded. */
	if (s.v[ST_NEXT_SEQ] > 1)
		out->keys_punched += custos_store__punch_zeroed(st, STORE_KEYS_RECORDS, 0,
		                                                s.v[ST_NEXT_SEQ] - 1);
	if (s.v[ST_NEXT_ITEM_SLOT] > 1)
		out->keys_punched += custos_store__punch_zeroed(st, STORE_KEYS_ITEMS, 0,
		                                                s.v[ST_NEXT_ITEM_SLOT] - 1);
	return CUSTOS_OK;
fail:
	custos_store__gate_release(gate);
	unlink(copy);
	return err;
}
