/*
 * The descriptors that the open family handed out for secret files, with
 * each one's mapping and file position, so that read(2) and friends can be
 * served from the mapping (the kernel refuses read(2) on secret memory).
 *
 * No lock: slots are claimed and released with atomic compare-and-swap,
 * so that lookups are safe in a signal handler and after fork. A slot is
 * reference-counted: the table holds one reference while the descriptor is
 * open, and every call that reads through the slot holds one more, so that
 * close(2) in one thread never unmaps the view that another thread is
 * copying from; the last one out unmaps it and frees the slot.
 *
 * The table starts with SC_TABLE_FIRST slots and grows, one segment of
 * twice the size of the last at a time, as descriptors are handed out:
 * every slot in use is an open descriptor, so it never grows past
 * RLIMIT_NOFILE. Segments are never freed, so a slot never moves.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "preload.h"

/* The first segment's slots; segment k has SC_TABLE_FIRST << k. */
#define SC_TABLE_FIRST 64
/* Enough segments for more slots than the kernel's largest fs.nr_open. */
#define SC_SEGMENTS 26

/*
 * The kernel's O_LARGEFILE, which it sets on every file a 64-bit process
 * opens and F_GETFL shows; a 64-bit libc defines O_LARGEFILE as 0.
 */
#if defined(__aarch64__) || defined(__arm__)
#define SC_O_LARGEFILE 0400000
#elif defined(__powerpc__)
#define SC_O_LARGEFILE 0200000
#else
#define SC_O_LARGEFILE 0100000
#endif

/* Slot states, besides fd + 1 for a slot in use. */
enum { SC_FREE = 0, SC_BUSY = -1, SC_CLOSING = -2 };

/*
 * A slot binds a descriptor number to an open file description, which
 * holds the file position and a view. Duplicates share one, as they share
 * the kernel's: the slot of the descriptor that open.c handed out is the
 * description, and each duplicate's slot holds a reference to it, so that
 * the description outlives the original descriptor as long as a duplicate
 * is open. Descriptions of the same secret file share one view, held by
 * the slot that mapped it (each mapping of a secret file counts against
 * RLIMIT_MEMLOCK again). A description's position and flags are in shared
 * memory (shared.c), so that a forked child shares them as it shares the
 * kernel's description.
 */
struct sc_open {
	_Atomic int state; /* SC_FREE, SC_BUSY, SC_CLOSING, or the descriptor + 1 */
	_Atomic unsigned refs; /* 0 while free; the table's 1, readers', duplicates', sharers' */
	dev_t dev;
	ino_t ino;
	struct sc_open *desc; /* this slot, or the description it shares */
	struct sc_open *viewer; /* a description's: this slot, or the one whose view it shares */
	struct sc_view view; /* the viewer's */
	struct sc_shared *shared; /* the description's */
};

static struct sc_open first[SC_TABLE_FIRST];
static struct sc_open *_Atomic segments[SC_SEGMENTS] = {first};

/* How many slots are in use: read(2) of other descriptors costs one load. */
static _Atomic int live;

static size_t segment_size(int k)
{
	return (size_t)SC_TABLE_FIRST << k;
}

/* SC_EACH(o) visits every slot of every segment there is. */
#define SC_EACH(o) \
	for (int k_ = 0; k_ < SC_SEGMENTS; k_++) \
		for (struct sc_open *seg_ = atomic_load_explicit(&segments[k_], memory_order_acquire), \
				    *o = seg_; \
		     seg_ != NULL && o < seg_ + segment_size(k_); o++)

/*
 * grow adds the first missing segment, unless another thread did. It fails
 * with EMFILE when all segments are there, and with mmap's errno.
 */
static int grow(void)
{
	for (int k = 1; k < SC_SEGMENTS; k++) {
		if (atomic_load_explicit(&segments[k], memory_order_acquire) != NULL)
			continue;
		size_t len = segment_size(k) * sizeof(struct sc_open);
		void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -1;
		struct sc_open *want = NULL;
		if (!atomic_compare_exchange_strong(&segments[k], &want, (struct sc_open *)p) &&
		    munmap(p, len) != 0)
			return -1;
		return 0;
	}
	errno = EMFILE;
	return -1;
}

/*
 * identify fstats fd, a descriptor of a file whose size fits a size_t. It
 * fails with fstat's errno, or EOVERFLOW for a negative size.
 */
static int identify(int fd, struct stat *st)
{
	if (fstat(fd, st) != 0)
		return -1;
	if (st->st_size < 0) {
		errno = EOVERFLOW;
		return -1;
	}
	return 0;
}

/* get takes a reference to o unless o is free; it reports whether it did. */
static int get(struct sc_open *o)
{
	unsigned r = atomic_load(&o->refs);
	do
		if (r == 0)
			return 0;
	while (!atomic_compare_exchange_weak(&o->refs, &r, r + 1));
	return 1;
}

/*
 * sc_open_put gives back a reference to o; the last one unmaps the view
 * and frees the slot. errno is kept.
 */
void sc_open_put(struct sc_open *o)
{
	if (atomic_fetch_sub(&o->refs, 1) != 1)
		return;
	/*
	 * munmap of a mapping this library made cannot fail; if it did, the
	 * mapping would stay, unreachable, which is all that can be done.
	 */
	int saved = errno;
	if (o->desc != o) {
		sc_open_put(o->desc);
	} else {
		sc_shared_free(o->shared);
		if (o->viewer != o)
			sc_open_put(o->viewer);
		else if (sc_view_unmap(&o->view) != 0)
			errno = saved;
	}
	atomic_fetch_sub(&live, 1);
	atomic_store_explicit(&o->state, SC_FREE, memory_order_release);
}

/*
 * release drops the table's reference to slot o, which held fd, unless
 * another thread released it first.
 */
static void release(struct sc_open *o, int fd)
{
	int want = fd + 1;
	if (atomic_compare_exchange_strong(&o->state, &want, SC_CLOSING))
		sc_open_put(o);
}

/* release_range forgets every descriptor from lo to hi but keep's slot. */
static void release_range(unsigned lo, unsigned hi, const struct sc_open *keep)
{
	if (atomic_load_explicit(&live, memory_order_acquire) == 0)
		return;
	SC_EACH(o)
	{
		int s = atomic_load_explicit(&o->state, memory_order_acquire);
		if (s > 0 && (unsigned)(s - 1) >= lo && (unsigned)(s - 1) <= hi && o != keep)
			release(o, s - 1);
	}
}

/* claim takes a free slot and marks it SC_BUSY, or returns NULL. */
static struct sc_open *claim(void)
{
	SC_EACH(o)
	{
		int want = SC_FREE;
		if (atomic_compare_exchange_strong(&o->state, &want, SC_BUSY))
			return o;
	}
	return NULL;
}

/*
 * viewer returns a slot, with a reference, whose view maps the file dev,
 * ino of size bytes, or NULL.
 */
static struct sc_open *viewer(dev_t dev, ino_t ino, size_t size)
{
	SC_EACH(o)
	{
		int st = atomic_load_explicit(&o->state, memory_order_acquire);
		if ((st <= 0 && st != SC_CLOSING) || !get(o))
			continue;
		if (o->viewer == o && o->dev == dev && o->ino == ino && o->view.size == size)
			return o;
		sc_open_put(o);
	}
	return NULL;
}

/*
 * add records fd with the description desc, or, when desc is NULL, as a
 * new description at position 0, opened with flags, with the view of
 * another description of the same file or a mapping of its own. The
 * kernel has just handed fd out, so whatever the table held for that
 * number (closed behind the library's back) is forgotten. It returns fd's
 * slot with a reference for the caller, or NULL with mmap's errno
 * (RLIMIT_MEMLOCK) or EMFILE when the table cannot grow.
 */
static struct sc_open *add(int fd, int flags, struct sc_open *desc)
{
	struct stat st;
	int saved = errno;
	if (identify(fd, &st) != 0)
		return NULL;
	errno = saved;
	struct sc_open *sharer = NULL;
	struct sc_view v = {NULL, 0};
	struct sc_shared *common = NULL;
	if (desc == NULL && (sharer = viewer(st.st_dev, st.st_ino, (size_t)st.st_size)) == NULL &&
	    sc_view_map(fd, (size_t)st.st_size, &v) != 0)
		return NULL;
	/* What the kernel keeps of the flags, on a 64-bit system. */
	if (desc == NULL)
		common = sc_shared_new((flags | SC_O_LARGEFILE) & ~(O_CLOEXEC | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC));
	struct sc_open *o = NULL;
	if (desc != NULL || common != NULL)
		while ((o = claim()) == NULL && grow() == 0)
			;
	if (o == NULL) {
		saved = errno;
		if (common != NULL)
			sc_shared_free(common);
		if (sharer != NULL)
			sc_open_put(sharer);
		else if (sc_view_unmap(&v) != 0)
			saved = errno;
		errno = saved;
		return NULL;
	}
	o->dev = st.st_dev;
	o->ino = st.st_ino;
	if (desc != NULL) {
		atomic_fetch_add(&desc->refs, 1); /* the caller holds one */
		o->desc = desc;
		o->viewer = NULL;
	} else {
		o->desc = o;
		o->viewer = sharer != NULL ? sharer : o; /* sharer's reference is o's now */
		o->view = v;
		o->shared = common;
	}
	atomic_fetch_add(&live, 1);
	atomic_store(&o->refs, 2); /* the table's and the caller's */
	atomic_store_explicit(&o->state, fd + 1, memory_order_release);
	/* Then the old entry goes: a reader of fd always finds one. */
	release_range((unsigned)fd, (unsigned)fd, o);
	return o;
}

/* acquire returns fd's slot with a reference taken, or NULL. */
static struct sc_open *acquire(int fd)
{
	if (fd < 0 || atomic_load_explicit(&live, memory_order_acquire) == 0)
		return NULL;
	SC_EACH(o)
	{
		if (atomic_load_explicit(&o->state, memory_order_acquire) != fd + 1 || !get(o))
			continue;
		if (atomic_load_explicit(&o->state, memory_order_acquire) == fd + 1)
			return o;
		sc_open_put(o);
	}
	return NULL;
}

/*
 * sc_table_find returns fd's slot with a reference the caller gives back
 * with sc_open_put, or NULL when fd is not one this library handed out. A
 * slot whose descriptor was closed behind the library's back (a raw system
 * call) and whose number now names another file is stale: it is released,
 * and NULL returned.
 */
struct sc_open *sc_table_find(int fd)
{
	struct sc_open *o = acquire(fd);
	if (o == NULL)
		return NULL;
	struct stat st;
	int saved = errno;
	int same = identify(fd, &st) == 0 && st.st_dev == o->dev && st.st_ino == o->ino;
	errno = saved;
	if (!same) {
		release(o, fd);
		sc_open_put(o);
		return NULL;
	}
	return o;
}

/*
 * sc_table_add records fd, a new descriptor of a secret file opened with
 * flags, at file position 0, and returns its slot with a reference the
 * caller gives back with sc_open_put; NULL with errno if it cannot.
 */
struct sc_open *sc_table_add(int fd, int flags)
{
	return add(fd, flags, NULL);
}

/*
 * sc_table_copy records newfd, a duplicate of o's descriptor, sharing its
 * view and file position.
 */
int sc_table_copy(struct sc_open *o, int newfd)
{
	struct sc_open *copy = add(newfd, 0, o->desc);
	if (copy == NULL)
		return -1;
	sc_open_put(copy);
	return 0;
}

/*
 * sc_table_remove forgets the descriptors from lo to hi (close(2) of one,
 * close_range(2)); each view goes when its last reader leaves.
 */
void sc_table_remove(unsigned lo, unsigned hi)
{
	release_range(lo, hi, NULL);
}

/*
 * sc_fresh forgets what the table held for fd, a descriptor the kernel has
 * just handed out (an open the library does not serve, a duplicate of one
 * it does not serve): the number was closed behind the library's back, and
 * the file there now is not served, even if it is the same secret file (an
 * O_PATH descriptor of it, say). It returns fd.
 */
int sc_fresh(int fd)
{
	if (fd >= 0)
		release_range((unsigned)fd, (unsigned)fd, NULL);
	return fd;
}

/*
 * sc_open_read reads into iov as readv(2) (vectored) or read(2) (iov[0]
 * only) do, at pos, or at and past the file position when pos is -1.
 */
ssize_t sc_open_read(struct sc_open *o, const struct iovec *iov, int n, off_t pos, int vectored)
{
	o = o->desc;
	const struct sc_view *v = &o->viewer->view;
	if (pos >= 0)
		return sc_view_read(v, pos, iov, n, vectored);
	off_t cur = atomic_load(&o->shared->pos);
	ssize_t got;
	do {
		got = sc_view_read(v, cur, iov, n, vectored);
		if (got < 0)
			return -1;
	} while (!atomic_compare_exchange_weak(&o->shared->pos, &cur, cur + (off_t)got));
	return got;
}

/* sc_open_seek moves the file position as lseek(2) does. */
off_t sc_open_seek(struct sc_open *o, off_t off, int whence)
{
	o = o->desc;
	off_t cur = atomic_load(&o->shared->pos), next;
	do {
		next = sc_view_seek(&o->viewer->view, cur, off, whence);
		if (next < 0)
			return -1;
	} while (!atomic_compare_exchange_weak(&o->shared->pos, &cur, next));
	return next;
}


/*
 * The file status flags F_SETFL changes (the kernel's SETFL_MASK, less
 * O_ASYNC, which a regular file does not keep); the descriptor's own
 * description keeps them, as the kernel's would, instead of the secret
 * file's, which the original descriptor shares.
 */
#define SC_SETFL_MASK (O_APPEND | O_NONBLOCK | O_NDELAY | O_DIRECT | O_NOATIME)

/* sc_open_getfl gives o's file status flags, as fcntl(F_GETFL) does. */
int sc_open_getfl(struct sc_open *o)
{
	return atomic_load(&o->desc->shared->flags);
}

/* sc_open_setfl sets o's file status flags, as fcntl(F_SETFL) does. */
int sc_open_setfl(struct sc_open *o, int arg)
{
	if (arg & O_NDELAY)
		arg |= O_NONBLOCK;
	_Atomic int *flags = &o->desc->shared->flags;
	int cur = atomic_load(flags);
	while (!atomic_compare_exchange_weak(flags, &cur, (arg & SC_SETFL_MASK) | (cur & ~SC_SETFL_MASK)))
		;
	return 0;
}

/*
 * sc_table_recount counts every slot's references again from the table
 * alone (each descriptor's, each duplicate's on its description, each
 * sharer's on its view), frees what nothing holds, and counts the slots in
 * use. Only for a process where no other thread runs (a forked child).
 */
void sc_table_recount(void)
{
	SC_EACH(o)
	{
		int st = atomic_load(&o->state);
		if (st > 0 || st == SC_CLOSING)
			atomic_store(&o->refs, st > 0 ? 1 : 0);
	}
	SC_EACH(o)
	{
		int st = atomic_load(&o->state);
		if (st <= 0 && st != SC_CLOSING)
			continue;
		if (o->desc != o)
			atomic_fetch_add(&o->desc->refs, 1);
		else if (o->viewer != o)
			atomic_fetch_add(&o->viewer->refs, 1);
	}
	SC_EACH(o)
	{
		if (atomic_load(&o->state) == SC_CLOSING && atomic_load(&o->refs) == 0) {
			atomic_store(&o->refs, 1);
			sc_open_put(o);
		}
	}
	int n = 0;
	SC_EACH(o)
	{
		if (atomic_load(&o->state) != SC_FREE)
			n++;
	}
	atomic_store(&live, n);
}
