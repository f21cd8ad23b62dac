/*
 * answers runs single calls on a served descriptor, opened read-only
 * through /dev/fd/9 where 9 is a secret-memory file, and on a descriptor
 * opened the same way where 9 is a tmpfs file with the same content: the
 * calls the library answers without reading (the write family, ftruncate,
 * fsync, fallocate, readahead, record locks, also while another process
 * holds one, ioctl, preadv2's flags, iovecs the kernel refuses) and opens through
 * symbolic links. Each must return the same in both runs: the result,
 * errno, the bytes in the buffer, the file position and size after it.
 * Then prctl(PR_SET_DUMPABLE), against the kernel's documented answers.
 * It prints each difference and exits 1 if there was one.
 *
 * usage: answers
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "secret.h"

/* The descriptor number the file sits at in both runs. */
#define BASE 9
#define PAGE 4096
#define SIZE 3000
/* Links in a chain that the kernel follows, and in one it refuses (ELOOP). */
#define CHAIN 30
#define LONG_CHAIN 45

enum kind {
	WRITE, PWRITE, PWRITE64, WRITEV, PWRITEV, PWRITEV2, FTRUNCATE, FTRUNCATE64, FSYNC, FDATASYNC,
	READV, PREADV, PREADV2, OPEN, OPENAT, OPEN64, FOPEN, FALLOCATE, POSIX_FALLOCATE, READAHEAD, LOCKF, SETLK, IOCTL
};

static const char *const kind_names[] = {
	"write", "pwrite", "pwrite64", "writev", "pwritev", "pwritev2", "ftruncate", "ftruncate64", "fsync",
	"fdatasync", "readv", "preadv", "preadv2", "open", "openat", "open64", "fopen", "fallocate",
	"posix_fallocate", "readahead", "lockf", "fcntl", "ioctl",
};

struct call {
	enum kind kind;
	int v;          /* which iovecs (vector); fcntl's lock command */
	long long pos;  /* position, count or length; the position first moved to */
	long long len;  /* a length */
	int flags;      /* RWF_* flags; open flags; fallocate's mode, lockf's command, a lock's type */
	int empty;      /* the file is empty, not SIZE bytes */
	int held;       /* another process holds a write lock on bytes 0 to 99 */
	const char *path; /* in the links' directory */
};

struct result {
	long long r;
	int err;
	unsigned char buf[64];
	long long pos, size;
};

/* The process that holds a lock, if any. */
static pid_t holder;
/* Two writable pages, then one that is not. */
static unsigned char *buf;
static struct iovec iov[4];
/* The links' directory, and a descriptor of it. */
static char links[] = "/tmp/sc-answers-XXXXXX";
static int links_fd;

/* vector points iov at buf as kind v says; it returns the count. */
static int vector(int v)
{
	void *kernel = (void *)(uintptr_t)0xffff800000001000ULL;
	struct iovec k[][3] = {
		{{buf, 10}, {buf + 10, 20}},
		{{buf, 10}, {buf, SSIZE_MAX}},
		{{buf, SSIZE_MAX / 2 + 1}, {buf, SSIZE_MAX / 2 + 1}},
		{{buf, 0x7ffff000}, {buf, SSIZE_MAX}},
		{{buf, SSIZE_MAX}},
		{{buf, (size_t)SSIZE_MAX + 1}},
		{{buf, 1ULL << 46}, {buf, 1ULL << 46}},
		{{buf, 1ULL << 47}},
		{{buf, 10}, {buf, 1ULL << 47}},
		{{kernel, 10}, {buf, (size_t)SSIZE_MAX + 1}},
		{{kernel, 10}, {buf, 10}},
		{{buf, 0}, {buf, SSIZE_MAX}},
		{{buf, 0x7ffff000}, {buf, 0x7ffff000}, {buf, 0x7ffff000}},
		{{(void *)8, 10}},
		{{buf, 0}},
	};
	static const int n[] = {2, 2, 2, 2, 1, 1, 2, 1, 2, 2, 2, 2, 3, 1, 1};
	memset(iov, 0, sizeof iov);
	memcpy(iov, k[v], sizeof k[v]);
	return n[v];
}
enum { NVECTORS = 15 };

/* opened reads what an open of a link gave, and closes it. */
static long long opened(int fd)
{
	if (fd < 0)
		return -1;
	long long r = read(fd, buf, 64);
	int err = errno;
	if (close(fd) != 0)
		sc_die("close");
	errno = err;
	return r;
}

static long long fopened(FILE *f)
{
	if (f == NULL)
		return -1;
	long long r = (long long)fread(buf, 1, 64, f);
	if (fclose(f) != 0)
		sc_die("fclose");
	return r;
}

/* run performs c on fd and returns its result, with errno as it left it. */
static long long run(const struct call *c, int fd)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", links, c->path != NULL ? c->path : "");
	switch (c->kind) {
	case WRITE: return write(fd, c->v ? NULL : buf, (size_t)c->pos);
	case PWRITE: return pwrite(fd, buf, 10, (off_t)c->pos);
	case PWRITE64: return pwrite64(fd, buf, 10, (off64_t)c->pos);
	case WRITEV: return writev(fd, iov, c->v ? -1 : vector(0));
	case PWRITEV: return pwritev(fd, iov, vector(0), (off_t)c->pos);
	case PWRITEV2: return pwritev2(fd, iov, vector(0), (off_t)c->pos, c->flags);
	case FTRUNCATE: return ftruncate(fd, (off_t)c->pos);
	case FTRUNCATE64: return ftruncate64(fd, (off64_t)c->pos);
	case FSYNC: return fsync(fd);
	case FDATASYNC: return fdatasync(fd);
	case READV: return readv(fd, iov, vector(c->v));
	case PREADV: return preadv(fd, iov, vector(c->v), (off_t)c->pos);
	case PREADV2: return preadv2(fd, iov, vector(c->v), (off_t)c->pos, c->flags);
	case OPEN: return opened(open(path, c->flags));
	case OPENAT: return opened(openat(links_fd, c->path, c->flags));
	case OPEN64: return opened(open64(path, c->flags));
	case FOPEN: return fopened(fopen(path, c->flags ? "re" : "r"));
	case FALLOCATE: return fallocate(fd, c->flags, (off_t)c->pos, (off_t)c->len);
	case POSIX_FALLOCATE: return -posix_fallocate(fd, (off_t)c->pos, (off_t)c->len);
	case READAHEAD: return readahead(fd, (off64_t)c->pos, (size_t)c->len);
	case LOCKF: return lseek(fd, (off_t)c->pos, SEEK_SET) < 0 ? -1 : lockf(fd, c->flags, (off_t)c->len);
	case IOCTL:
		if (lseek(fd, (off_t)c->pos, SEEK_SET) < 0)
			return -1;
		return ioctl(fd, (unsigned long)c->len, c->v == 0 ? (void *)buf : c->v == 1 ? NULL : (void *)(buf + 2 * PAGE));
	default: { /* SETLK */
		struct flock fl = {.l_type = (short)c->flags, .l_whence = SEEK_CUR, .l_len = (off_t)c->len};
		if (lseek(fd, (off_t)c->pos, SEEK_SET) < 0)
			return -1;
		long long r = fcntl(fd, c->v, c->len == -9 ? NULL : &fl);
		int err = errno;
		if (fl.l_pid == holder && holder != 0)
			fl.l_pid = -7; /* the same in both runs */
		memcpy(buf, &fl, sizeof fl); /* what F_GETLK wrote */
		errno = err;
		return r;
	}
	}
}

static void describe(const struct call *c, FILE *out)
{
	fprintf(out, "%s v=%d pos=%lld len=%lld flags=%#x, file of %d bytes", kind_names[c->kind], c->v, c->pos,
		c->len, c->flags, c->empty ? 0 : SIZE);
	if (c->path != NULL)
		fprintf(out, ", path %s", c->path);
}

/*
 * hold forks a process that takes a write lock on bytes 0 to 99 of BASE and
 * holds it until release closes go[1].
 */
static void hold(int go[2])
{
	int ready[2];
	if (pipe2(ready, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0)
		sc_die("pipe");
	holder = fork();
	if (holder < 0)
		sc_die("fork");
	if (holder == 0) {
		struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 100};
		char c = fcntl(BASE, F_SETLK, &l) == 0 ? 'y' : 'n';
		if (close(go[1]) != 0 || write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 0)
			_exit(1);
		_exit(0);
	}
	char c = 'n';
	if (close(ready[1]) != 0 || close(go[0]) != 0 || read(ready[0], &c, 1) != 1 || c != 'y' || close(ready[0]) != 0)
		sc_die("the lock holder");
}

static void release(int go[2])
{
	int status;
	if (close(go[1]) != 0 || waitpid(holder, &status, 0) != holder || status != 0)
		sc_die("the lock holder's end");
	holder = 0;
}

/* play runs c on a descriptor of /dev/fd/BASE, BASE a secret or tmpfs file. */
static void play(const struct call *c, int secret, struct result *out)
{
	static unsigned char data[SIZE];
	size_t size = c->empty ? 0 : SIZE;
	sc_fill(data, size, 7);
	int file = secret ? sc_secret_file(data, size) : sc_tmpfs_file(data, size);
	if (dup2(file, BASE) != BASE || close(file) != 0)
		sc_die("dup2 to BASE");
	char path[32];
	snprintf(path, sizeof path, "/dev/fd/%d", BASE);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		sc_die("open of /dev/fd/BASE");
	int go[2] = {-1, -1};
	if (c->held)
		hold(go);
	memset(buf, 0, 2 * PAGE);
	errno = 0;
	out->r = run(c, fd);
	out->err = out->r < 0 ? errno : 0;
	if (c->held)
		release(go);
	memcpy(out->buf, buf, sizeof out->buf);
	struct stat st;
	out->pos = lseek(fd, 0, SEEK_CUR);
	out->size = fstat(fd, &st) == 0 ? st.st_size : -1;
	if (close(fd) != 0 || close(BASE) != 0)
		sc_die("close");
}

static int failures, checked;

static void compare(const struct call *c)
{
	struct result s, t;
	play(c, 1, &s);
	play(c, 0, &t);
	checked++;
	const char *what = NULL;
	if (s.r != t.r || s.err != t.err)
		what = "result";
	else if (memcmp(s.buf, t.buf, sizeof s.buf) != 0)
		what = "buffer";
	else if (s.pos != t.pos || s.size != t.size)
		what = "file position or size";
	if (what == NULL)
		return;
	printf("FAIL ");
	describe(c, stdout);
	printf(": %s differs: secret %lld (%s) at %lld of %lld, tmpfs %lld (%s) at %lld of %lld\n", what, s.r,
	       strerror(s.err), s.pos, s.size, t.r, strerror(t.err), t.pos, t.size);
	failures++;
}

#define CALL(...) compare(&(struct call){__VA_ARGS__})

static void report(const char *what, int before)
{
	if (failures == before)
		printf("ok: %s\n", what);
}

static void writes(void)
{
	int before = failures;
	CALL(.kind = WRITE, .pos = 10);
	CALL(.kind = WRITE, .pos = 0);
	CALL(.kind = WRITE, .pos = 10, .v = 1);
	for (long long pos = -2; pos <= 0; pos++) {
		CALL(.kind = PWRITE, .pos = pos);
		CALL(.kind = PWRITE64, .pos = pos);
		CALL(.kind = PWRITEV, .pos = pos);
		CALL(.kind = PWRITEV2, .pos = pos);
		CALL(.kind = PWRITEV2, .pos = pos, .flags = 0x1000);
	}
	CALL(.kind = WRITEV);
	CALL(.kind = WRITEV, .v = 1);
	report("write, pwrite, writev, pwritev, pwritev2 on a read-only descriptor", before);
	before = failures;
	for (int empty = 0; empty < 2; empty++) {
		static const long long lengths[] = {0, 100, SIZE, -1};
		for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
			CALL(.kind = FTRUNCATE, .pos = lengths[i], .empty = empty);
			CALL(.kind = FTRUNCATE64, .pos = lengths[i], .empty = empty);
		}
		CALL(.kind = FSYNC, .empty = empty);
		CALL(.kind = FDATASYNC, .empty = empty);
	}
	report("ftruncate, fsync, fdatasync", before);
	before = failures;
	static const int modes[] = {0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				    FALLOC_FL_ZERO_RANGE, FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, 0x1000, -1};
	static const long long ranges[][2] = {{0, 100}, {0, 0}, {-1, 10}, {10, -1}, {LLONG_MAX, 10}, {4096, 4096}};
	for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
		for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++)
			CALL(.kind = FALLOCATE, .flags = modes[m], .pos = ranges[r][0], .len = ranges[r][1]);
		CALL(.kind = POSIX_FALLOCATE, .pos = ranges[r][0], .len = ranges[r][1]);
		CALL(.kind = READAHEAD, .pos = ranges[r][0], .len = ranges[r][1]);
	}
	report("fallocate, posix_fallocate, readahead", before);
	before = failures;
	static const int lockf_cmds[] = {F_LOCK, F_TLOCK, F_TEST, F_ULOCK, 77};
	static const long long lock_at[][2] = {{0, 0}, {0, 100}, {100, -50}, {100, -200}, {LLONG_MAX - 5, 10}, {5, LLONG_MAX}};
	static const int cmds[] = {F_SETLK, F_SETLKW, F_OFD_SETLK, F_GETLK};
	static const int types[] = {F_WRLCK, F_RDLCK, F_UNLCK, 9};
	for (size_t l = 0; l < sizeof lock_at / sizeof lock_at[0]; l++) {
		for (size_t k = 0; k < sizeof lockf_cmds / sizeof lockf_cmds[0]; k++)
			CALL(.kind = LOCKF, .flags = lockf_cmds[k], .pos = lock_at[l][0], .len = lock_at[l][1]);
		for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
			for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
				CALL(.kind = SETLK, .v = cmds[k], .flags = types[t], .pos = lock_at[l][0], .len = lock_at[l][1]);
	}
	for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
		CALL(.kind = SETLK, .v = cmds[k], .flags = F_WRLCK, .len = -9); /* no struct flock: EFAULT */
	for (long long at = 50; at <= 200; at += 150) {
		CALL(.kind = LOCKF, .held = 1, .flags = F_TEST, .pos = at, .len = 10);
		CALL(.kind = LOCKF, .held = 1, .flags = F_TLOCK, .pos = at, .len = 10);
		for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
			for (size_t t = 0; t < 2 && cmds[k] != F_SETLKW; t++) /* F_SETLKW would wait */
				CALL(.kind = SETLK, .held = 1, .v = cmds[k], .flags = types[t], .pos = at, .len = 10);
	}
	report("lockf and fcntl locks", before);
	before = failures;
	static const unsigned long requests[] = {FIONREAD, FIOQSIZE, FIGETBSZ, FIONBIO, TCGETS, 0x12345678};
	static const long long ioctl_at[] = {0, 100, SIZE, SIZE + 5000, LLONG_MAX - 1};
	for (size_t q = 0; q < sizeof requests / sizeof requests[0]; q++)
		for (size_t p = 0; p < sizeof ioctl_at / sizeof ioctl_at[0]; p++)
			for (int v = 0; v < 3; v++)
				for (int empty = 0; empty < 2; empty++)
					CALL(.kind = IOCTL, .len = (long long)requests[q], .pos = ioctl_at[p], .v = v,
					     .empty = empty);
	report("ioctl FIONREAD, FIOQSIZE and others", before);
}

static void reads(void)
{
	int before = failures;
	for (int v = 0; v < NVECTORS; v++) {
		CALL(.kind = READV, .v = v);
		CALL(.kind = PREADV, .v = v, .pos = 0);
		CALL(.kind = PREADV, .v = v, .pos = -1);
		CALL(.kind = PREADV2, .v = v, .pos = -1);
		CALL(.kind = PREADV2, .v = v, .pos = 0, .flags = 0x1000);
	}
	report("readv and preadv with iovecs the kernel checks", before);
	before = failures;
	/* Every bit, and the pairs the kernel checks together. */
	int flags[32 + 4];
	for (int b = 0; b < 32; b++)
		flags[b] = (int)(1U << b);
	flags[32] = RWF_APPEND | RWF_NOAPPEND;
	flags[33] = RWF_APPEND | RWF_NOAPPEND | 0x200;
	flags[34] = RWF_NOWAIT | RWF_APPEND | RWF_NOAPPEND;
	flags[35] = RWF_HIPRI | RWF_DSYNC | RWF_SYNC;
	static const long long positions[] = {0, -1, -2, 1 << 20, LLONG_MAX - 5, SIZE - 5};
	for (int f = 0; f < 36; f++) {
		for (size_t p = 0; p < sizeof positions / sizeof positions[0]; p++)
			CALL(.kind = PREADV2, .v = 0, .pos = positions[p], .flags = flags[f]);
		CALL(.kind = PREADV2, .v = 14, .pos = 0, .flags = flags[f]); /* empty */
		CALL(.kind = PREADV2, .v = 13, .pos = 0, .flags = flags[f]); /* unmapped buffer */
		CALL(.kind = PREADV2, .v = 0, .pos = 0, .flags = flags[f], .empty = 1);
	}
	report("preadv2 with each RWF_* flag and unknown ones", before);
}

/* link_at makes a symbolic link name, in the links' directory, to target. */
static void link_at(const char *target, const char *name)
{
	if (symlinkat(target, links_fd, name) != 0)
		sc_die("symlink");
}

/*
 * make_links fills the links' directory: key is a link to /dev/fd/BASE;
 * rel a relative one to key; sub/up goes to ../key; c1 to c45 a chain
 * ending at key; dangling leads nowhere, other to a descriptor that is not
 * open, sock to a socket (which the kernel refuses with ENXIO too).
 */
static void make_links(void)
{
	if (mkdtemp(links) == NULL || (links_fd = open(links, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		sc_die("the links' directory");
	char target[32], name[32];
	snprintf(target, sizeof target, "/dev/fd/%d", BASE);
	link_at(target, "key");
	link_at("key", "rel");
	link_at("./sub/../key", "dotted");
	if (mkdirat(links_fd, "sub", 0700) != 0)
		sc_die("mkdir");
	link_at("../key", "sub/up");
	for (int i = 1; i <= LONG_CHAIN; i++) {
		snprintf(target, sizeof target, "c%d", i - 1);
		snprintf(name, sizeof name, "c%d", i);
		link_at(i == 1 ? "key" : target, name);
	}
	link_at("/nonexistent/key", "dangling");
	link_at("/dev/fd/77", "other");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/socket", links);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 || close(s) != 0)
		sc_die("a socket");
	link_at("socket", "sock");
}

static void remove_links(void)
{
	static const char *const names[] = {"key", "rel", "dotted", "sub/up", "dangling", "other", "sock", "socket"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (unlinkat(links_fd, names[i], 0) != 0)
			sc_die("unlink");
	for (int i = 1; i <= LONG_CHAIN; i++) {
		char name[32];
		snprintf(name, sizeof name, "c%d", i);
		if (unlinkat(links_fd, name, 0) != 0)
			sc_die("unlink");
	}
	if (unlinkat(links_fd, "sub", AT_REMOVEDIR) != 0 || close(links_fd) != 0 || rmdir(links) != 0)
		sc_die("rmdir");
}

static void symlinks(void)
{
	make_links();
	int before = failures;
	char chain[16], long_chain[16];
	snprintf(chain, sizeof chain, "c%d", CHAIN);
	snprintf(long_chain, sizeof long_chain, "c%d", LONG_CHAIN);
	const char *const paths[] = {"key", "rel", "dotted", "sub/up", chain, long_chain, "dangling", "other", "sock",
				     "key/", "sub/../key"};
	static const int open_flags[] = {O_RDONLY, O_RDONLY | O_CLOEXEC | O_NONBLOCK, O_RDONLY | O_NOFOLLOW,
					 O_RDONLY | O_DIRECTORY};
	for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
		for (size_t f = 0; f < sizeof open_flags / sizeof open_flags[0]; f++) {
			CALL(.kind = OPEN, .path = paths[p], .flags = open_flags[f]);
			CALL(.kind = OPENAT, .path = paths[p], .flags = open_flags[f]);
		}
		CALL(.kind = OPEN64, .path = paths[p]);
		CALL(.kind = FOPEN, .path = paths[p]);
		CALL(.kind = FOPEN, .path = paths[p], .flags = 1);
	}
	report("open, openat, open64 and fopen through symbolic links", before);
	remove_links();
}

/* expect checks a prctl's result against the kernel's documented one. */
static void expect(const char *what, long r, int want_err)
{
	int err = r < 0 ? errno : 0;
	if ((r == 0 && want_err == 0) || (r == -1 && err == want_err))
		return;
	printf("FAIL %s: %ld (%s), the kernel gives %s\n", what, r, strerror(err),
	       want_err ? strerror(want_err) : "0");
	failures++;
}

/*
 * dumpable: the kernel takes PR_SET_DUMPABLE with 0 and 1 only (EINVAL
 * otherwise); the library turns 1 into nothing, and the process stays
 * non-dumpable.
 */
static void dumpable(void)
{
	int before = failures;
	static const long values[] = {2, 3, -1, 0x100000001};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		errno = 0;
		expect("prctl(PR_SET_DUMPABLE, not 0 or 1)", prctl(PR_SET_DUMPABLE, values[i], 0, 0, 0), EINVAL);
		errno = 0;
		expect("syscall(SYS_prctl, PR_SET_DUMPABLE, not 0 or 1)",
		       syscall(SYS_prctl, PR_SET_DUMPABLE, values[i], 0, 0, 0), EINVAL);
	}
	expect("prctl(PR_SET_DUMPABLE, 1)", prctl(PR_SET_DUMPABLE, 1L, 0, 0, 0), 0);
	expect("syscall(SYS_prctl, PR_SET_DUMPABLE, 1)", syscall(SYS_prctl, PR_SET_DUMPABLE, 1L, 0, 0, 0), 0);
	expect("prctl(PR_SET_DUMPABLE, 0)", prctl(PR_SET_DUMPABLE, 0L, 0, 0, 0), 0);
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) {
		printf("FAIL: prctl(PR_SET_DUMPABLE, 1) made the process dumpable\n");
		failures++;
	}
	report("prctl(PR_SET_DUMPABLE)", before);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	buf = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || mprotect(buf + 2 * PAGE, PAGE, PROT_NONE) != 0)
		sc_die("mmap of the buffer");
	writes();
	reads();
	symlinks();
	dumpable();
	printf("%d calls compared; %s\n", checked, failures ? "FAILED" : "all good");
	return failures != 0;
}
