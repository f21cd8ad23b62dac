/*
 * The descriptors that the open family handed out for secret files, with
 * each one's mapping and file position, so that read(2) and friends can be
 * served from the mapping (the kernel refuses read(2) on secret memory).
 *
 * A fixed table, no allocation, no lock: slots are claimed and released
 * with atomic compare-and-swap, so that every function here is safe in a
 * signal handler and after fork.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>

#include "preload.h"

/* How many such descriptors may be open at once: a key and a few copies. */
#define SC_TABLE_SIZE 64

/* Slot states, besides fd + 1 for a slot in use. */
enum { SC_FREE = 0, SC_BUSY = -1 };

struct sc_open {
	_Atomic int state; /* SC_FREE, SC_BUSY, or the descriptor + 1 */
	dev_t dev;
	ino_t ino;
	struct sc_view view;
	_Atomic off_t pos;
};

static struct sc_open table[SC_TABLE_SIZE];

/* How many slots are in use: read(2) of other descriptors costs one load. */
static _Atomic int live;

/* identify records which file fd is open on, keeping errno. */
static int identify(int fd, dev_t *dev, ino_t *ino)
{
	int saved = errno;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		errno = saved;
		return -1;
	}
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

/*
 * sc_table_add records fd, a descriptor of a secret file mapped as v, at
 * file position pos. It
 * fails with EMFILE when the table is full.
 */
int sc_table_add(int fd, const struct sc_view *v, off_t pos)
{
	dev_t dev;
	ino_t ino;
	if (identify(fd, &dev, &ino) != 0)
		return -1;
	for (int i = 0; i < SC_TABLE_SIZE; i++) {
		struct sc_open *o = &table[i];
		int want = SC_FREE;
		if (!atomic_compare_exchange_strong(&o->state, &want, SC_BUSY))
			continue;
		o->dev = dev;
		o->ino = ino;
		o->view = *v;
		atomic_store(&o->pos, pos);
		atomic_fetch_add(&live, 1);
		atomic_store_explicit(&o->state, fd + 1, memory_order_release);
		return 0;
	}
	errno = EMFILE;
	return -1;
}

/*
 * release unmaps and frees slot o, which held fd, unless another thread
 * released it first. errno is kept.
 */
static void release(struct sc_open *o, int fd)
{
	int want = fd + 1;
	if (!atomic_compare_exchange_strong(&o->state, &want, SC_BUSY))
		return;
	/*
	 * munmap of a mapping this library made cannot fail; if it did, the
	 * mapping would stay, unreachable, which is all that can be done.
	 */
	int saved = errno;
	if (sc_view_unmap(&o->view) != 0)
		errno = saved;
	atomic_fetch_sub(&live, 1);
	atomic_store_explicit(&o->state, SC_FREE, memory_order_release);
}

static struct sc_open *lookup(int fd)
{
	if (fd < 0 || atomic_load_explicit(&live, memory_order_acquire) == 0)
		return NULL;
	for (int i = 0; i < SC_TABLE_SIZE; i++)
		if (atomic_load_explicit(&table[i].state, memory_order_acquire) == fd + 1)
			return &table[i];
	return NULL;
}

/*
 * sc_table_find returns fd's slot, or NULL when fd is not one this library
 * handed out. A slot whose descriptor was closed behind the library's back
 * (close_range(2), dup2(2) over it, a raw system call) and whose number now
 * names another file is stale: it is released, and NULL returned.
 */
struct sc_open *sc_table_find(int fd)
{
	struct sc_open *o = lookup(fd);
	if (o == NULL)
		return NULL;
	dev_t dev;
	ino_t ino;
	if (identify(fd, &dev, &ino) != 0 || dev != o->dev || ino != o->ino) {
		release(o, fd);
		return NULL;
	}
	return o;
}

/*
 * sc_table_copy records newfd, a duplicate of o's descriptor, with a
 * mapping of its own and o's file position.
 */
int sc_table_copy(struct sc_open *o, int newfd)
{
	struct sc_view v;
	if (sc_view_map(newfd, &v) != 0)
		return -1;
	if (sc_table_add(newfd, &v, atomic_load(&o->pos)) == 0)
		return 0;
	int saved = errno;
	if (sc_view_unmap(&v) != 0)
		saved = errno;
	errno = saved;
	return -1;
}

/* sc_table_remove forgets fd and unmaps its view, if fd is in the table. */
void sc_table_remove(int fd)
{
	struct sc_open *o = lookup(fd);
	if (o != NULL)
		release(o, fd);
}

/*
 * sc_open_read reads up to n bytes at pos, or at and past the file position
 * when pos is -1, as read(2) and pread(2) do.
 */
ssize_t sc_open_read(struct sc_open *o, void *buf, size_t n, off_t pos)
{
	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	if (pos >= 0)
		return (ssize_t)sc_view_copy(&o->view, pos, buf, n);
	off_t cur = atomic_load(&o->pos);
	size_t got;
	do
		got = sc_view_copy(&o->view, cur, buf, n);
	while (!atomic_compare_exchange_weak(&o->pos, &cur, cur + (off_t)got));
	return (ssize_t)got;
}

/* sc_open_seek moves the file position as lseek(2) does. */
off_t sc_open_seek(struct sc_open *o, off_t off, int whence)
{
	off_t cur = atomic_load(&o->pos), next;
	do {
		next = sc_view_seek(&o->view, cur, off, whence);
		if (next < 0)
			return -1;
	} while (!atomic_compare_exchange_weak(&o->pos, &cur, next));
	return next;
}
