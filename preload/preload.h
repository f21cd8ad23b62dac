/*
 * libsecretcat-preload: runs inside a program started by
 * "secretcat --preload" and serves the paths /dev/fd/N, /proc/self/fd/N and
 * /proc/<own pid>/fd/N of its secret-memory descriptors (memfd_secret(2)),
 * which the kernel refuses to reopen, from a read-only shared mapping.
 *
 * Only libc and libdl. Names not marked SC_EXPORT stay inside the library.
 */
#ifndef SECRETCAT_PRELOAD_H
#define SECRETCAT_PRELOAD_H

#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>

/* An interposed libc function, visible to the program. */
#define SC_EXPORT __attribute__((visibility("default")))

/* next.c: the definition of a libc function that this library hides. */
void *sc_next(const char *name, void *_Atomic *cache);

/*
 * SC_NEXT(fn) is the next definition of the libc function fn, with fn's
 * type, or NULL (errno ENOSYS) if the dynamic linker has none.
 */
#define SC_NEXT(fn) \
	({ \
		static void *_Atomic sc_cache_; \
		(__typeof__(&fn))sc_next(#fn, &sc_cache_); \
	})

/* Calls fn's next definition, or fails with ENOSYS if there is none. */
#define SC_CALL_NEXT(fn, ...) \
	({ \
		__typeof__(&fn) next_ = SC_NEXT(fn); \
		next_ != NULL ? next_(__VA_ARGS__) : -1; \
	})

/* detect.c: whether fd is a secret-memory (memfd_secret) file. */
int sc_is_secret(int fd);

/*
 * fdpath.c: N of a path that names this process's descriptor N as
 * written, or -1; N of a path's last component.
 */
int sc_fd_of_path(const char *path);
int sc_fd_of_last(const char *path, size_t *dir_len);

/*
 * fdpath_at.c: N of a path, relative to dirfd, that names this process's
 * descriptor N when N is a secret-memory file, or the descriptor taken for
 * SECRETCAT_PRELOAD_SOCKET's path (socket.c), or -1.
 */
int sc_secret_of_path(int dirfd, const char *path);

/*
 * fdlink.c: N of a symbolic link, relative to dirfd, that leads to this
 * process's secret descriptor N, or -1.
 */
int sc_secret_of_link(int dirfd, const char *path);

/*
 * socket.c: the secret descriptor served for the path that
 * SECRETCAT_PRELOAD_SOCKET names, taken from a secretcat open --socket
 * listening there; -1 for any other path or when none can be taken.
 */
int sc_secret_of_socket(const char *path);

/* view.c: a read-only shared mapping of a whole secret file. */
struct sc_view {
	const unsigned char *base; /* NULL when size is 0 */
	size_t size;
};
int sc_view_map(int fd, size_t size, struct sc_view *v);
int sc_view_unmap(struct sc_view *v);
struct iovec;
/*
 * secheap_freeze.c: a count of the secret heap's freezes and thaws (a fork
 * makes it read-only for a moment); and whether it was frozen at before or
 * since, after waiting for the heap to be writable again.
 */
unsigned sc_heap_freezes(void);
int sc_heap_thawed(unsigned before);

/*
 * SC_THAWED(call) evaluates call, and again while it fails with EFAULT and
 * the secret heap was frozen meanwhile: the kernel's copy into it failed,
 * having consumed nothing (secheap_freeze.c). Bounded, should a buffer be
 * bad for another reason too.
 */
#define SC_THAWED(call) \
	({ \
		__typeof__(call) t_; \
		for (int i_ = 0;; i_++) { \
			unsigned g_ = sc_heap_freezes(); \
			t_ = (call); \
			if (t_ >= 0 || errno != EFAULT || i_ == 100 || !sc_heap_thawed(g_)) \
				break; \
		} \
		t_; \
	})

/* secheap_openssl.c: told when a read has handed out bytes of a secret file. */
void sc_key_served(void);
ssize_t sc_view_check(off_t pos, const struct iovec *iov, int n, int vectored);
ssize_t sc_view_read(const struct sc_view *v, off_t pos, const struct iovec *iov, int n, int vectored);
off_t sc_view_seek(const struct sc_view *v, off_t cur, off_t off, int whence);

/*
 * user.c: the caller's memory as the kernel checks it. SC_MAX_RW is the
 * most one read(2) moves (the kernel's MAX_RW_COUNT).
 */
#define SC_MAX_RW ((size_t)0x7ffff000)
int sc_user_ok(const void *buf, size_t n);
ssize_t sc_copy_out(void *buf, const void *src, size_t n);

/*
 * shared.c: an open file description's position and status flags, shared
 * with forked children as the kernel shares them.
 */
struct sc_shared {
	_Atomic off_t pos;
	_Atomic int flags; /* as F_GETFL gives them */
};
struct sc_shared *sc_shared_new(int flags);
void sc_shared_free(struct sc_shared *s);

/* fdtable.c: descriptors handed out by the open family, served by read. */
struct sc_open;
struct sc_open *sc_table_add(int fd, int flags);
int sc_table_copy(struct sc_open *o, int newfd);
struct sc_open *sc_table_find(int fd);
void sc_open_put(struct sc_open *o);
ssize_t sc_open_read(struct sc_open *o, const struct iovec *iov, int n, off_t pos, int vectored);
off_t sc_open_seek(struct sc_open *o, off_t off, int whence);
int sc_open_getfl(struct sc_open *o);
int sc_open_setfl(struct sc_open *o, int arg);
void sc_table_remove(unsigned lo, unsigned hi);
int sc_fresh(int fd);
void sc_table_recount(void);

/* open.c: a new served descriptor of the secret file secret. */
int sc_open_secret(int secret, int flags);

/* adopt.c: a secret descriptor the library did not open, once the kernel refused to read it. */
struct sc_open *sc_adopt(int fd);

/* say.c: writes s to standard error, whole, without allocating. */
void sc_stderr(const char *s);

/* dumpable.c: makes the process non-dumpable unless opted out. */
void sc_dumpable_init(void);

/*
 * rwf.c: 0 when a read with preadv2(2)'s flags is taken, as by a regular
 * file, or the errno with which the kernel refuses them.
 */
int sc_rwf_refused(int flags);

/*
 * twin.c: a new descriptor of an empty tmpfs file opened with the access
 * mode of flags, at position pos, to ask the kernel what it answers for a
 * regular file.
 */
int sc_twin(int flags, off_t pos);

/*
 * lock.c: 1, with *r fcntl's answer, for a lock command on a served
 * descriptor; 0 otherwise.
 */
int sc_lock(int fd, int cmd, void *arg, int *r);

#endif
