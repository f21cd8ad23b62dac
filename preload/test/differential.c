/*
 * differential runs the same calls twice: on a secret-memory file, which
 * the preload library serves, and on an ordinary tmpfs file with the same
 * content, which the kernel serves; the file sits at the same descriptor
 * number both times. Every call must return the same in both runs: the
 * result, errno, the bytes in the caller's buffers and the file positions
 * after it. It prints each difference and exits 1 if there was one.
 *
 * usage: differential edges           the edge cases, one by one
 *        differential many            300 served descriptors open at once
 *        differential calls N SEED    N random call sequences (read paths)
 *        differential paths N SEED    N random paths (the path parser)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "secret.h"

/* The descriptor number the file sits at in both runs. */
#define BASE 9
/* Handles (descriptors) and streams a sequence works with. */
#define NH 6
#define NS 2
/* The first dup2 target. */
#define TARGET 40
/* The buffers: two writable pages, then one that is not. */
#define PAGE 4096
#define BUFLEN (2 * PAGE)
#define MAXOPS 64
#define MAXSIZE 5000

enum kind {
	OPEN, READ, PREAD, READV, PREADV, PREADV2, LSEEK, FSTAT, DUP, DUP2, DUP3, DUP2_ONTO,
	FCNTL_DUP, GETFD, GETFL, SETFL, CLOSE, CLOSE_RANGE, RAW_CLOSE, FOPEN, FREAD, FSEEK, FTELL, FGETC, FCLOSE,
	FILENO, FILENO_FSTAT, FILENO_PREAD, FILENO_GETFL, FCLOSE_FILENO, FORK, NKINDS
};

static const char *const kind_names[] = {
	"open", "read", "pread", "readv", "preadv", "preadv2", "lseek", "fstat", "dup", "dup2", "dup3", "dup2(invalid, h)",
	"fcntl(F_DUPFD)", "fcntl(F_GETFD)", "fcntl(F_GETFL)", "fcntl(F_SETFL)", "close", "close_range", "syscall(close)", "fopen", "fread", "fseek",
	"ftell", "fgetc", "fclose", "fileno", "fstat(fileno)", "pread(fileno)", "fcntl(fileno, F_GETFL)",
	"fclose, then fcntl(fileno, F_GETFD)", "fork, then in the child",
};

struct op {
	enum kind kind;
	int h, h2;  /* handles */
	int c;      /* flags, whence, count, form, kind of buffer */
	int fn;     /* which open function; with at, chdir (even) or a dirfd (odd) */
	int at;     /* where a relative path starts: bases[at] */
	long long a, b; /* counts, positions, offsets */
	char path[PATH_MAX + 64];
};

struct outcome {
	long long r;
	int err;
	unsigned char buf[BUFLEN];
	long long pos[NH];
};

/*
 * Where a relative path starts: a directory to chdir to or to open as the
 * dirfd; the last two are dirfds only, the file itself (ENOTDIR) and a
 * bad one (EBADF).
 */
static const char *const bases[] = {
	NULL, "/", "/dev", "/dev/fd", "/proc", "/proc/self", "/proc/self/fd", "/proc/thread-self", "/dev/fd/9", "(bad)",
};
enum { NBASES = sizeof bases / sizeof bases[0], AT_FILE = 8, AT_BAD = 9 };
/* Relative paths, which name the file from some of the bases. */
static const char *const relatives[] = {
	"9", "./9", "fd/9", "fd//9", "self/fd/9", "thread-self/fd/9", "dev/fd/9", "proc/self/fd/9", "../fd/9",
	"fd/../fd/9", "../../proc/self/fd/9", "../dev/fd/9", "9/", "09", "fd/9/.", "77", "fd/77", "",
};
enum { NRELATIVES = sizeof relatives / sizeof relatives[0] };
/*
 * The directory the test runs in, to come back to: an empty one of its
 * own, which must be empty at the end.
 */
static char home[] = "/tmp/sc-differential-XXXXXX";

/* One run's state. */
static int fd[NH];
static FILE *stream[NS];
static unsigned char *buf, *rdonly;
static struct iovec iov[IOV_MAX + 2];

static const size_t counts[] = {
	0, 1, 7, 100, 4095, 4096, 5000, 8192, 1 << 20, 0x7ffff000, 0x80000000, (size_t)SSIZE_MAX,
	(size_t)SSIZE_MAX + 1, SIZE_MAX,
};
static const long long positions[] = {
	0, 1, 99, 100, 4095, 4096, 4999, 5000, 5001, -1, -2, LLONG_MAX, LLONG_MAX - 5, LLONG_MAX - 0x7ffff000,
	1LL << 40, LLONG_MIN,
};
static const int whences[] = {SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE, 5, -1};
static const int open_flags[] = {
	O_RDONLY, O_RDONLY | O_CLOEXEC, O_NONBLOCK, O_NOCTTY, O_LARGEFILE, O_APPEND, O_NOATIME, O_CREAT,
	O_CREAT | O_EXCL, O_EXCL, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_SYNC, O_CLOEXEC | O_NONBLOCK,
	O_DIRECTORY | O_CLOEXEC, O_ASYNC, O_DIRECT, O_DSYNC, O_TMPFILE, /* O_TMPFILE last */
};
/*
 * Not "rm": glibc then reads a real file through mmap, and its fseek past
 * the end of such a stream differs from a read(2) stream's.
 */
static const char *const modes[] = {"r", "re", "rb", "rce"};
static const int status_flags[] = {0, O_NONBLOCK, O_APPEND, O_NOATIME, O_ASYNC, O_DIRECT, O_NONBLOCK | O_APPEND, O_RDWR, O_SYNC};

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The buffer kinds: where read(2) is asked to write. */
enum { NBUFS = 7 };
static void *buffer(int kind)
{
	switch (kind) {
	case 0: return buf;
	case 1: return NULL;
	case 2: return buf + BUFLEN - 10; /* 10 writable bytes */
	case 3: return buf + BUFLEN; /* PROT_NONE */
	case 4: return rdonly;
	case 5: return (void *)(uintptr_t)0xffff800000001000ULL; /* the kernel's */
	default: return buf + PAGE - 3; /* across a page boundary */
	}
}

/* The iovec kinds, pointing into this run's buffers; returns the count. */
enum { NIOVS = 8 };
static int vector(int kind, int n)
{
	memset(iov, 0, sizeof iov);
	switch (kind) {
	case 0:
		iov[0] = (struct iovec){buf, 10};
		iov[1] = (struct iovec){buf + 10, 20};
		iov[2] = (struct iovec){buf + 30, MAXSIZE};
		return 3;
	case 1:
		iov[0] = (struct iovec){NULL, 0};
		iov[1] = (struct iovec){buf, 100};
		return 2;
	case 2:
		iov[0] = (struct iovec){buf, 10};
		iov[1] = (struct iovec){buf + BUFLEN, 10};
		iov[2] = (struct iovec){buf + 20, 10};
		return 3;
	case 3:
		iov[0] = (struct iovec){buf + BUFLEN - 5, 100};
		iov[1] = (struct iovec){buf, 10};
		return 2;
	case 4:
		iov[0] = (struct iovec){buf, SIZE_MAX / 2};
		return 1;
	case 5:
		iov[0] = (struct iovec){buf, SIZE_MAX};
		return 1;
	case 6:
		iov[0] = (struct iovec){buf, 0x7ffff000};
		iov[1] = (struct iovec){buf, 0x7ffff000};
		return 2;
	default:
		for (int i = 0; i < IOV_MAX + 2; i++)
			iov[i] = (struct iovec){buf + 4 * (i % 1000), 4};
		return n;
	}
}
static const int iov_counts[] = {0, 1, 2, 3, -1, IOV_MAX, IOV_MAX + 1, INT_MIN};

/* Handle NH is the file's own descriptor, BASE. */
static int handle(int h)
{
	if (h == NH)
		return BASE;
	return h >= 0 && h < NH ? fd[h] : -1;
}

/* keep stores a new descriptor in handle h, closing what was there. */
static long long keep(int h, int r)
{
	if (r >= 0) {
		if (fd[h] >= 0 && fd[h] != r)
			close(fd[h]);
		fd[h] = r;
	}
	return r >= 0 ? 0 : -1;
}

static long long do_open(const struct op *o)
{
	int r;
	if (o->at != 0 && o->fn % 2 == 1) {
		int dir = o->at == AT_FILE ? BASE : o->at == AT_BAD ? -5 : open(bases[o->at], O_PATH | O_DIRECTORY);
		r = openat(dir, o->path, o->c, 0600);
		if (dir >= 0 && dir != BASE)
			close(dir);
		return keep(o->h, r);
	}
	/* A base that is not a directory leaves the test's own. */
	if (o->at != 0 && o->at < AT_FILE && chdir(bases[o->at]) != 0)
		sc_die("chdir");
	switch (o->fn) {
	case 0: r = open(o->path, o->c, 0600); break;
	case 1: r = openat(AT_FDCWD, o->path, o->c, 0600); break;
	case 2: r = open64(o->path, o->c, 0600); break;
	default: r = openat(BASE, o->path, o->c, 0600); break; /* absolute: dirfd unused */
	}
	if (o->at != 0 && chdir(home) != 0)
		sc_die("chdir back");
	return keep(o->h, r);
}

/* do_fopen opens stream s, from o->at when it is a directory. */
static long long do_fopen(const struct op *o, FILE **s)
{
	if (*s != NULL)
		fclose(*s);
	if (o->at != 0 && o->at < AT_FILE && chdir(bases[o->at]) != 0)
		sc_die("chdir");
	*s = fopen(o->path, modes[o->c % LEN(modes)]);
	int err = errno;
	if (o->at != 0 && chdir(home) != 0)
		sc_die("chdir back");
	errno = err;
	return *s != NULL ? 0 : -1;
}

static long long run(const struct op *o);

/*
 * in_child forks a child that performs o's call o->c (read, lseek,
 * fcntl(F_SETFL), close, readv) on handle h and exits; it returns the
 * child's result and errno. The parent's file positions and flags after it
 * show what the child shares with it. Not the file's own descriptor, BASE:
 * the library takes it in (adopt.c) in each process that reads it, with a
 * position of its own, which is documented.
 */
static long long in_child(const struct op *o)
{
	static const enum kind calls[] = {READ, LSEEK, SETFL, CLOSE, READV};
	struct op sub = *o;
	sub.kind = calls[o->c % (int)(sizeof calls / sizeof calls[0])];
	sub.c = sub.kind == LSEEK ? SEEK_CUR : sub.kind == SETFL ? O_NONBLOCK | O_APPEND : 0;
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		sc_die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		sc_die("fork");
	if (pid == 0) {
		long long r[2];
		errno = 0;
		r[0] = run(&sub);
		r[1] = errno;
		_exit(write(p[1], r, sizeof r) == (ssize_t)sizeof r ? 0 : 1);
	}
	long long r[2] = {-9, 0};
	int status;
	if (close(p[1]) != 0 || read(p[0], r, sizeof r) != (ssize_t)sizeof r || close(p[0]) != 0 ||
	    waitpid(pid, &status, 0) != pid || status != 0)
		sc_die("the forked child");
	errno = (int)r[1];
	return r[0];
}

/* run performs o and returns its result, with errno as it left it. */
static long long run(const struct op *o)
{
	int d = handle(o->h);
	FILE *f = stream[o->h % NS];
	struct stat st;
	switch (o->kind) {
	case OPEN: return do_open(o);
	case READ: return read(d, buffer(o->c), (size_t)o->a);
	case PREAD: return pread(d, buffer(o->c), (size_t)o->a, (off_t)o->b);
	case READV: return readv(d, iov, vector(o->c, (int)o->a));
	case PREADV: return preadv(d, iov, vector(o->c, (int)o->a), (off_t)o->b);
	case PREADV2: return preadv2(d, iov, vector(o->c, (int)o->a), (off_t)o->b, 0);
	case LSEEK: return lseek(d, (off_t)o->a, o->c);
	case FSTAT:
		if (fstat(d, &st) != 0)
			return -1;
		return S_ISREG(st.st_mode) ? (long long)st.st_size : -2;
	case DUP: return keep(o->h2, dup(d));
	case DUP2: return keep(o->h2, dup2(d, TARGET + o->h2));
	case DUP3: return keep(o->h2, dup3(d, TARGET + o->h2, o->c));
	case DUP2_ONTO: return dup2(990, d);
	case FCNTL_DUP: return keep(o->h2, fcntl(d, o->c ? F_DUPFD_CLOEXEC : F_DUPFD, (int)o->a));
	case GETFD: return fcntl(d, F_GETFD);
	case GETFL: return fcntl(d, F_GETFL);
	case SETFL: return fcntl(d, F_SETFL, o->c);
	case CLOSE:
		fd[o->h] = -1;
		return close(d);
	case CLOSE_RANGE:
		fd[o->h] = -1;
		return d < 0 ? 0 : close_range((unsigned)d, (unsigned)d, 0);
	case RAW_CLOSE:
		fd[o->h] = -1;
		return syscall(SYS_close, d);
	case FOPEN: return do_fopen(o, &stream[o->h % NS]);
	case FREAD:
		if (f == NULL)
			return -3;
		return (long long)fread(buf, 1, (size_t)o->a, f) * 10 + !!feof(f) * 2 + !!ferror(f);
	case FSEEK: return f == NULL ? -3 : fseeko(f, (off_t)o->a, o->c);
	case FTELL: return f == NULL ? -3 : ftello(f);
	case FGETC: return f == NULL ? -3 : fgetc(f);
	case FCLOSE:
		stream[o->h % NS] = NULL;
		return f == NULL ? -3 : fclose(f);
	case FILENO: { /* the number, and whether it is close-on-exec */
		int n = f == NULL ? -3 : fileno(f);
		return n < 0 ? n : n * 2 + (fcntl(n, F_GETFD) == FD_CLOEXEC);
	}
	case FILENO_FSTAT:
		if (f == NULL)
			return -3;
		if (fstat(fileno(f), &st) != 0)
			return -1;
		return S_ISREG(st.st_mode) ? (long long)st.st_size : -2;
	case FILENO_PREAD: return f == NULL ? -3 : pread(fileno(f), buffer(o->c), (size_t)o->a, (off_t)o->b);
	case FILENO_GETFL: return f == NULL ? -3 : fcntl(fileno(f), F_GETFL);
	case FORK: return in_child(o);
	case FCLOSE_FILENO: {
		/* The stream's descriptor goes with it. */
		if (f == NULL)
			return -3;
		int n = fileno(f);
		stream[o->h % NS] = NULL;
		if (fclose(f) != 0)
			return -4;
		return n < 0 ? -5 : fcntl(n, F_GETFD);
	}
	default: return -4;
	}
}

static void describe(const struct op *o, FILE *out)
{
	fprintf(out, "%s h=%d h2=%d c=%d fn=%d a=%lld b=%lld", kind_names[o->kind], o->h, o->h2, o->c, o->fn, o->a,
		o->b);
	if (o->at != 0)
		fprintf(out, " from %s (%s)", bases[o->at], o->fn % 2 ? "dirfd" : "cwd");
	if (o->kind == OPEN || o->kind == FOPEN)
		fprintf(out, " path=%.80s%s (%zu bytes)", o->path, strlen(o->path) > 80 ? "..." : "", strlen(o->path));
}

/* play runs ops on the file at BASE, recording each outcome. */
static void play(const struct op *ops, int n, struct outcome *out)
{
	for (int i = 0; i < NH; i++)
		fd[i] = -1;
	for (int i = 0; i < n; i++) {
		memset(buf, 0, BUFLEN);
		errno = 0;
		out[i].r = run(&ops[i]);
		out[i].err = out[i].r < 0 ? errno : 0;
		memcpy(out[i].buf, buf, BUFLEN);
		for (int h = 0; h < NH; h++)
			out[i].pos[h] = fd[h] < 0 ? -1 : (long long)lseek(fd[h], 0, SEEK_CUR);
	}
	for (int i = 0; i < NH; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	for (int i = 0; i < NS; i++)
		if (stream[i] != NULL)
			fclose(stream[i]);
	memset(stream, 0, sizeof stream);
	if (close_range(TARGET, TARGET + NH, 0) != 0)
		sc_die("close_range");
}

static struct outcome secret_out[MAXOPS], tmpfs_out[MAXOPS];
static int failures;

/*
 * compare plays ops on a secret file and on a tmpfs file of size bytes and
 * reports every difference; it returns 0 when there is none.
 */
static int compare(const char *label, const struct op *ops, int n, size_t size, unsigned seed)
{
	static unsigned char data[MAXSIZE];
	sc_fill(data, size, seed);
	struct outcome *outs[2] = {secret_out, tmpfs_out};
	for (int side = 0; side < 2; side++) {
		/* Only BASE is open, so that no other path leads to a file. */
		int file = side == 0 ? sc_secret_file(data, size) : sc_tmpfs_file(data, size);
		if (dup2(file, BASE) != BASE || close(file) != 0)
			sc_die("dup2 to BASE");
		play(ops, n, outs[side]);
		if (close(BASE) != 0)
			sc_die("close");
	}
	for (int i = 0; i < n; i++) {
		const struct outcome *s = &secret_out[i], *t = &tmpfs_out[i];
		const char *what = NULL;
		if (s->r != t->r || s->err != t->err)
			what = "result";
		else if (memcmp(s->buf, t->buf, BUFLEN) != 0)
			what = "buffer";
		else if (memcmp(s->pos, t->pos, sizeof s->pos) != 0)
			what = "file position";
		if (what == NULL)
			continue;
		printf("FAIL %s (file of %zu bytes), call %d: ", label, size, i);
		describe(&ops[i], stdout);
		printf(": %s differs: secret %lld (%s), tmpfs %lld (%s)\n", what, s->r, strerror(s->err), t->r,
		       strerror(t->err));
		for (int k = 0; k < i; k++) {
			printf("  after call %d: ", k);
			describe(&ops[k], stdout);
			printf(": %lld (%s)\n", secret_out[k].r, strerror(secret_out[k].err));
		}
		if (what[0] == 'f')
			for (int h = 0; h < NH; h++)
				printf("  handle %d: secret at %lld, tmpfs at %lld\n", h, s->pos[h], t->pos[h]);
		failures++;
		return 1;
	}
	return 0;
}

/* path writes the path form form of descriptor BASE into p. */
enum { NFORMS = 25 };
static void path(char *p, int form)
{
	int pid = getpid(), tid = gettid();
	switch (form) {
	case 0: sprintf(p, "/dev/fd/%d", BASE); break;
	case 1: sprintf(p, "/proc/self/fd/%d", BASE); break;
	case 2: sprintf(p, "/proc/%d/fd/%d", pid, BASE); break;
	case 3: sprintf(p, "/proc/thread-self/fd/%d", BASE); break;
	case 4: sprintf(p, "//dev/./fd//%d", BASE); break;
	case 5: sprintf(p, "/dev/fd/%d/", BASE); break;
	case 6: sprintf(p, "/dev/fd/%d/.", BASE); break;
	case 7: sprintf(p, "/proc/self/task/%d/fd/%d", tid, BASE); break;
	case 8: sprintf(p, "/proc/%d/task/%d/fd/%d", pid, tid, BASE); break;
	case 9: sprintf(p, "/dev/fd/%d/..", BASE); break;
	case 10: sprintf(p, "/dev/fd/0%d", BASE); break;
	case 11: /* PATH_MAX bytes and the NUL: too long */
	case 12: { /* one byte shorter: opens */
		size_t tail = strlen("dev/fd/9"), len = form == 11 ? PATH_MAX : PATH_MAX - 1;
		p[0] = '/';
		for (size_t i = 1; i < len - tail; i++)
			p[i] = '/';
		sprintf(p + len - tail, "dev/fd/%d", BASE);
		break;
	}
	case 13: sprintf(p, "/dev/fd/%d", 77); break;
	case 14: sprintf(p, "/proc/1/fd/%d", BASE); break;
	case 15: sprintf(p, "/dev/../dev/fd/%d", BASE); break;
	case 16: sprintf(p, "/proc/self/../self/fd/%d", BASE); break;
	case 17: sprintf(p, "/dev/fd/../fd/%d", BASE); break; /* /dev/fd is /proc/self/fd */
	case 18: sprintf(p, "/dev/fd/../%d", BASE); break; /* /proc/self/9: ENOENT */
	case 19: sprintf(p, "/proc/self/fd/../../self/fd/%d", BASE); break;
	case 20: sprintf(p, "/dev/stdin/../fd/%d", BASE); break; /* ENOTDIR */
	case 21: sprintf(p, "/proc/%d/fd/../fd/%d", pid, BASE); break;
	case 22: sprintf(p, "/proc/self/root/dev/fd/%d", BASE); break; /* a link on the way */
	case 23: sprintf(p, "/proc/1/fd/../../self/fd/%d", BASE); break;
	default: sprintf(p, "/dev/fd/%d/../%d", BASE, BASE); break; /* ENOTDIR */
	}
}

static unsigned long long rng;
static unsigned long long next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}
static int pick(int n)
{
	return (int)(next() % (unsigned)n);
}

/* random_op fills o with a random call. */
static void random_op(struct op *o)
{
	memset(o, 0, sizeof *o);
	o->kind = (enum kind)pick(NKINDS);
	o->h = pick(NH);
	o->h2 = pick(NH);
	switch (o->kind) {
	case OPEN:
	case FOPEN:
		o->c = o->kind == OPEN ? open_flags[pick(LEN(open_flags))] : pick(LEN(modes));
		o->fn = pick(4);
		if (pick(6) == 0) {
			/* Nothing that creates: "9" from / would be /9. */
			if (o->kind == OPEN)
				o->c = open_flags[pick(LEN(open_flags) - 1)] & ~O_CREAT;
			o->at = 1 + pick(NBASES - 1);
			strcpy(o->path, relatives[pick(NRELATIVES)]);
		} else {
			path(o->path, pick(4) == 0 ? pick(NFORMS) : pick(5));
		}
		break;
	case READ:
	case PREAD:
		o->c = pick(NBUFS);
		o->a = (long long)counts[pick(LEN(counts))];
		o->b = positions[pick(LEN(positions))];
		break;
	case READV:
	case PREADV:
	case PREADV2:
		o->c = pick(NIOVS);
		o->a = iov_counts[pick(LEN(iov_counts))];
		o->b = pick(3) == 0 ? -1 : positions[pick(LEN(positions))];
		break;
	case LSEEK:
		o->a = pick(2) ? positions[pick(LEN(positions))] : pick(200) - 100;
		o->c = whences[pick(LEN(whences))];
		break;
	case FSEEK:
		/*
		 * Not near the end of off_t: stdio reads a real file a buffer at
		 * a time there, and fails with EINVAL where the library's
		 * unbuffered stream finds the end of the file.
		 */
		o->a = pick(200) - 100;
		o->c = whences[pick(LEN(whences))];
		break;
	case DUP3: o->c = pick(3) == 0 ? 1 : (pick(2) ? O_CLOEXEC : 0); break;
	case FCNTL_DUP:
		o->c = pick(2);
		o->a = pick(3) == 0 ? 60 : 0;
		break;
	case FREAD: o->a = (long long)counts[pick(7)]; break;
	case FORK:
		o->c = pick(5);
		o->a = pick(2) ? pick(200) : (long long)counts[pick(7)];
		break;
	case FILENO_PREAD:
		o->c = pick(NBUFS);
		o->a = (long long)counts[pick(7)];
		o->b = positions[pick(LEN(positions))];
		break;
	case SETFL: o->c = status_flags[pick(LEN(status_flags))]; break;
	default: break;
	}
	/*
	 * Now and then, reads of the file's own descriptor, which the library
	 * did not open (one a program inherited, "prog < /dev/fd/3").
	 */
	if (o->kind >= READ && o->kind <= FSTAT && pick(8) == 0)
		o->h = NH;
}

/* An edge case: a few calls, and what they are about. */
struct edge {
	const char *what;
	size_t size;
	struct op ops[8];
	int n;
};

#define OP(...) ((struct op){__VA_ARGS__})

static int edges(void)
{
	static struct edge e[64];
	int n = 0;
	/* Open each path form, then read it all. */
	for (int form = 0; form < NFORMS; form++) {
		e[n] = (struct edge){.what = "path form", .size = 3000, .n = 3};
		e[n].ops[0] = OP(.kind = OPEN, .c = O_RDONLY);
		path(e[n].ops[0].path, form);
		e[n].ops[1] = OP(.kind = READ, .a = 8192);
		e[n].ops[2] = OP(.kind = FOPEN, .c = 0);
		strcpy(e[n].ops[2].path, e[n].ops[0].path);
		n++;
	}
	struct op open0 = OP(.kind = OPEN, .c = O_RDONLY);
	path(open0.path, 0);
#define EDGE(label, sz, ...) \
	do { \
		struct op ops_[] = {open0, __VA_ARGS__}; \
		e[n] = (struct edge){.what = label, .size = sz, .n = (int)LEN(ops_)}; \
		memcpy(e[n].ops, ops_, sizeof ops_); \
		n++; \
	} while (0)
	EDGE("read past off_t: EINVAL", 100, OP(.kind = LSEEK, .a = LLONG_MAX - 5, .c = SEEK_SET),
	     OP(.kind = READ, .a = 10));
	EDGE("pread past off_t: EINVAL", 100, OP(.kind = PREAD, .a = 10, .b = LLONG_MAX - 5));
	EDGE("read into NULL: EFAULT", 100, OP(.kind = READ, .c = 1, .a = 10));
	EDGE("read into a PROT_NONE page: EFAULT", 100, OP(.kind = READ, .c = 3, .a = 10));
	EDGE("read into a read-only page: EFAULT", 100, OP(.kind = READ, .c = 4, .a = 10));
	EDGE("read into the kernel's addresses: EFAULT", 100, OP(.kind = READ, .c = 5, .a = 10));
	EDGE("read into 10 writable bytes: short", 100, OP(.kind = READ, .c = 2, .a = 100),
	     OP(.kind = READ, .a = 8192));
	EDGE("read SIZE_MAX", 100, OP(.kind = READ, .a = (long long)SIZE_MAX));
	EDGE("read SSIZE_MAX + 1", 100, OP(.kind = READ, .a = (long long)((size_t)SSIZE_MAX + 1)));
	EDGE("read into NULL at the end: 0", 100, OP(.kind = LSEEK, .c = SEEK_END), OP(.kind = READ, .c = 1, .a = 10));
	EDGE("readv with a bad buffer", 3000, OP(.kind = READV, .c = 2), OP(.kind = READV, .c = 3));
	EDGE("readv counts", 3000, OP(.kind = READV, .c = 7, .a = IOV_MAX), OP(.kind = READV, .c = 7, .a = IOV_MAX + 1),
	     OP(.kind = READV, .c = 7, .a = -1), OP(.kind = READV, .c = 7, .a = 0));
	EDGE("preadv past off_t", 3000, OP(.kind = PREADV, .c = 0, .b = LLONG_MAX - 5),
	     OP(.kind = PREADV2, .c = 0, .b = -1), OP(.kind = PREADV2, .c = 0, .b = -2));
	EDGE("SEEK_DATA and SEEK_HOLE", 3000, OP(.kind = LSEEK, .a = -1, .c = SEEK_DATA),
	     OP(.kind = LSEEK, .a = -1, .c = SEEK_HOLE), OP(.kind = LSEEK, .a = 5, .c = SEEK_DATA),
	     OP(.kind = LSEEK, .a = 5, .c = SEEK_HOLE), OP(.kind = LSEEK, .a = 3000, .c = SEEK_DATA),
	     OP(.kind = LSEEK, .a = 3000, .c = SEEK_HOLE));
	EDGE("SEEK_DATA in an empty file", 0, OP(.kind = LSEEK, .a = 0, .c = SEEK_DATA),
	     OP(.kind = LSEEK, .a = 0, .c = SEEK_HOLE), OP(.kind = READ, .a = 10));
	EDGE("lseek overflow", 3000, OP(.kind = LSEEK, .a = LLONG_MAX, .c = SEEK_END),
	     OP(.kind = LSEEK, .a = LLONG_MAX, .c = SEEK_SET), OP(.kind = LSEEK, .a = 1, .c = SEEK_CUR),
	     OP(.kind = LSEEK, .a = 0, .c = 7));
	EDGE("dup shares the position", 3000, OP(.kind = DUP, .h2 = 1), OP(.kind = READ, .h = 1, .a = 100),
	     OP(.kind = READ, .a = 7), OP(.kind = CLOSE), OP(.kind = READ, .h = 1, .a = 7));
	EDGE("dup2 and dup3 share the position", 3000, OP(.kind = DUP2, .h2 = 1), OP(.kind = DUP3, .h2 = 2, .c = O_CLOEXEC),
	     OP(.kind = READ, .h = 2, .a = 9), OP(.kind = GETFD, .h = 2), OP(.kind = READ, .h = 1, .a = 9));
	EDGE("dup2(invalid, served) keeps it", 3000, OP(.kind = READ, .a = 5), OP(.kind = DUP2_ONTO),
	     OP(.kind = READ, .a = 5));
	EDGE("dup3 with bad flags keeps the target", 3000, OP(.kind = DUP2, .h2 = 1), OP(.kind = READ, .h = 1, .a = 5),
	     OP(.kind = DUP3, .h = 1, .h2 = 1, .c = 1), OP(.kind = READ, .h = 1, .a = 5));
	EDGE("close_range, then open the same number", 3000, OP(.kind = READ, .a = 2000), OP(.kind = CLOSE_RANGE),
	     open0, OP(.kind = READ, .a = 8192));
	EDGE("raw close, then open the same number", 3000, OP(.kind = READ, .a = 2000), OP(.kind = RAW_CLOSE),
	     open0, OP(.kind = READ, .a = 8192));
	EDGE("F_GETFL and F_SETFL", 3000, OP(.kind = GETFL), OP(.kind = SETFL, .c = O_NONBLOCK | O_APPEND), OP(.kind = GETFL),
	     OP(.kind = DUP, .h2 = 1), OP(.kind = SETFL, .h = 1, .c = O_NOATIME), OP(.kind = GETFL),
	     OP(.kind = SETFL, .c = O_RDWR | O_SYNC), OP(.kind = GETFL, .h = 1));
	EDGE("F_GETFL after open with flags", 3000, OP(.kind = OPEN, .h = 1, .c = O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_CREAT, .path = "/dev/fd/9"),
	     OP(.kind = GETFL, .h = 1), OP(.kind = OPEN, .h = 2, .c = O_SYNC | O_APPEND | O_NOATIME, .path = "/dev/fd/9"),
	     OP(.kind = GETFL, .h = 2));
	EDGE("the file's own descriptor, inherited", 3000, OP(.kind = READ, .h = NH, .a = 100), OP(.kind = LSEEK, .h = NH, .c = SEEK_CUR),
	     OP(.kind = PREAD, .h = NH, .a = 10, .b = 2990), OP(.kind = READV, .h = NH, .c = 0),
	     OP(.kind = GETFL, .h = NH), OP(.kind = LSEEK, .h = NH, .a = 5, .c = SEEK_HOLE));
	EDGE("fcntl F_DUPFD", 3000, OP(.kind = FCNTL_DUP, .h2 = 3, .a = 60), OP(.kind = READ, .h = 3, .a = 10),
	     OP(.kind = READ, .a = 10), OP(.kind = GETFD, .h = 3));
	EDGE("fopen, fread, fseek, ftell, fgetc", 3000, OP(.kind = FOPEN, .c = 1, .path = "/dev/fd/9"),
	     OP(.kind = FREAD, .a = 100), OP(.kind = FSEEK, .a = 7, .c = SEEK_SET), OP(.kind = FTELL),
	     OP(.kind = FGETC), OP(.kind = FSEEK, .a = -1, .c = SEEK_SET), OP(.kind = FREAD, .a = 8192));
	EDGE("fileno of a stream, and its descriptor", 3000, OP(.kind = FOPEN, .c = 1, .path = "/dev/fd/9"),
	     OP(.kind = FILENO), OP(.kind = FILENO_FSTAT), OP(.kind = FILENO_PREAD, .a = 100, .b = 7),
	     OP(.kind = FILENO_GETFL), OP(.kind = OPEN, .h = 1, .path = "/dev/fd/9"), OP(.kind = FCLOSE_FILENO));
	EDGE("fopen with \"e\": the stream's descriptor is close-on-exec", 3000,
	     OP(.kind = FOPEN, .c = 3, .path = "/dev/fd/9"), OP(.kind = FILENO), OP(.kind = FCLOSE_FILENO));
	EDGE("a forked child's read moves the parent's position", 3000, OP(.kind = READ, .a = 10),
	     OP(.kind = FORK, .c = 0, .a = 100), OP(.kind = READ, .a = 10), OP(.kind = FORK, .c = 1, .a = 50),
	     OP(.kind = READ, .a = 10));
	EDGE("a forked child's F_SETFL reaches the parent", 3000, OP(.kind = DUP, .h2 = 1), OP(.kind = FORK, .h = 1, .c = 2),
	     OP(.kind = GETFL), OP(.kind = GETFL, .h = 1));
	EDGE("a forked child closes its copy: the parent's stays", 3000, OP(.kind = READ, .a = 10),
	     OP(.kind = FORK, .c = 3, .a = 20), OP(.kind = READ, .a = 10), OP(.kind = FORK, .c = 4),
	     OP(.kind = READ, .a = 10));
	int relative = 0, before = failures;
	for (int at = 1; at < NBASES; at++)
		for (int r = 0; r < NRELATIVES; r++)
			for (int how = 0; how < 2; how++) {
				struct op ops[3] = {
					OP(.kind = OPEN, .c = O_RDONLY, .fn = 2 + how, .at = at),
					OP(.kind = READ, .a = 8192),
					OP(.kind = FOPEN, .c = 1, .at = at),
				};
				strcpy(ops[0].path, relatives[r]);
				strcpy(ops[2].path, relatives[r]);
				compare("relative path", ops, 3, 3000, (unsigned)r);
				relative++;
			}
	if (failures == before)
		printf("ok: %d relative paths, from a working directory and from a dirfd\n", relative);
	for (int i = 0; i < n; i++) {
		if (compare(e[i].what, e[i].ops, e[i].n, e[i].size, (unsigned)i) == 0)
			printf("ok: %s%s%s\n", e[i].what, e[i].ops[0].kind == OPEN ? ": " : "",
			       e[i].ops[0].kind == OPEN && strlen(e[i].ops[0].path) < 80 ? e[i].ops[0].path : "");
	}
	return n;
}

/*
 * many opens more served descriptors at once than a fixed table held, and
 * than RLIMIT_MEMLOCK would allow if each open mapped the file again; then
 * closes half with close_range(2) and the rest with closefrom(3), after
 * which no mapping of the file may be left.
 */
static void many(void)
{
	enum { N = 300, HIGH = 900 };
	static unsigned char data[100];
	int secret = sc_secret_file(data, sizeof data);
	if (dup2(secret, HIGH) != HIGH || close(secret) != 0)
		sc_die("dup2");
	char path[32];
	snprintf(path, sizeof path, "/dev/fd/%d", HIGH);
	int anonymous = sc_shared_anonymous();
	int held[N], k = 0;
	for (; k < N; k++)
		if ((held[k] = open(path, O_RDONLY)) < 0 || read(held[k], buf, 1) != 1)
			break;
	if (k < N) {
		printf("FAIL: served open %d of %d failed: %s\n", k + 1, N, strerror(errno));
		failures++;
		while (k > 0)
			close(held[--k]);
		if (close(HIGH) != 0)
			sc_die("close");
		return;
	}
	printf("ok: %d served descriptors open at once\n", N);
	/* Opens take the lowest free numbers: held is a run, HIGH above it. */
	if (close_range((unsigned)held[0], (unsigned)held[N / 2 - 1], 0) != 0)
		sc_die("close_range");
	closefrom(held[N / 2]);
	int left = sc_secret_mappings(), positions = sc_shared_anonymous() - anonymous;
	if (left != 0 || positions != 0) {
		printf("FAIL: close_range and closefrom left %d mappings of the file and %d of positions\n", left,
		       positions);
		failures++;
	} else {
		printf("ok: close_range and closefrom unmap the file and the positions\n");
	}
}

/* random_paths mutates path forms at random and opens the results. */
static void random_paths(int n)
{
	static const char alphabet[] = "/./../dev/fd/proc/self/thread-self/task/0123456789";
	for (int i = 0; i < n && failures < 5; i++) {
		/*
		 * O_NONBLOCK and fstat: a mutated path may name standard input,
		 * output or error, which a read would wait for.
		 */
		struct op o = OP(.kind = OPEN, .c = open_flags[pick(4)] | O_NONBLOCK, .fn = pick(4));
		if (pick(3) == 0) {
			o.at = 1 + pick(NBASES - 1);
			strcpy(o.path, relatives[pick(NRELATIVES)]);
		} else {
			path(o.path, pick(NFORMS));
		}
		for (int m = pick(4); m > 0; m--) {
			size_t len = strlen(o.path), at = len > 0 ? (size_t)pick((int)len + 1) : 0;
			if (len + 8 >= sizeof o.path)
				break;
			switch (pick(4)) {
			case 0: /* insert a character */
				memmove(o.path + at + 1, o.path + at, len - at + 1);
				o.path[at] = alphabet[pick((int)sizeof alphabet - 1)];
				break;
			case 1: /* delete one */
				if (at < len)
					memmove(o.path + at, o.path + at + 1, len - at);
				break;
			case 2: /* replace one */
				if (at < len)
					o.path[at] = alphabet[pick((int)sizeof alphabet - 1)];
				break;
			default: /* insert "/." or "//" */
				memmove(o.path + at + 2, o.path + at, len - at + 1);
				memcpy(o.path + at, pick(2) ? "/." : "//", 2);
				break;
			}
		}
		struct op ops[2] = {o, OP(.kind = FSTAT)};
		compare("random path", ops, 2, 100, (unsigned)i);
	}
}

static void random_calls(int n)
{
	static struct op ops[40];
	for (int i = 0; i < n && failures < 5; i++) {
		int len = 5 + pick(35);
		for (int k = 0; k < len; k++)
			random_op(&ops[k]);
		/* Most sequences begin with an open that is served. */
		if (pick(4) != 0) {
			ops[0] = OP(.kind = OPEN, .c = open_flags[pick(2)]);
			path(ops[0].path, pick(5));
		}
		static const size_t sizes[] = {0, 1, 100, 4096, MAXSIZE};
		char label[64];
		snprintf(label, sizeof label, "random sequence %d", i);
		compare(label, ops, len, sizes[pick(LEN(sizes))], (unsigned)i);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	buf = mmap(NULL, BUFLEN + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rdonly = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || rdonly == MAP_FAILED || mprotect(buf + BUFLEN, PAGE, PROT_NONE) != 0)
		sc_die("mmap of the buffers");
	if (mkdtemp(home) == NULL || chdir(home) != 0)
		sc_die("a working directory");
	int n = argc > 2 ? atoi(argv[2]) : 1000;
	rng = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
	if (rng == 0)
		rng = 1;
	if (strcmp(argv[1], "edges") == 0) {
		edges();
		many();
	} else if (strcmp(argv[1], "many") == 0) {
		many();
	} else if (strcmp(argv[1], "calls") == 0) {
		random_calls(n);
		printf("%d random call sequences, seed %s\n", n, argc > 3 ? argv[3] : "1");
	} else if (strcmp(argv[1], "paths") == 0) {
		random_paths(n);
		printf("%d random paths, seed %s\n", n, argc > 3 ? argv[3] : "1");
	} else {
		rmdir(home);
		return 2;
	}
	if (rmdir(home) != 0) {
		printf("FAIL: an open created files in %s: %s\n", home, strerror(errno));
		failures++;
	}
	printf("%s\n", failures ? "FAILED" : "all good");
	return failures != 0;
}
