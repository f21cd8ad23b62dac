/*
 * reader checks, inside a program run by "secretcat --preload", that the
 * preload library serves the paths of secret descriptor FD as a regular
 * file would be served, and leaves everything else to the kernel. Built
 * with _FORTIFY_SOURCE, so that the fortified entry points (__read_chk,
 * __open_2 ...) are the ones called. It prints one line per check and
 * exits 1 if any failed.
 *
 * usage: reader FD
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static int failed;

static void check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		failed = 1;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	int secret = atoi(argv[1]);
	char path[64], buf[8192];
	snprintf(path, sizeof path, "/dev/fd/%d", secret);
	struct stat st;
	if (fstat(secret, &st) != 0 || st.st_size < 64 || (size_t)st.st_size > sizeof buf)
		return 2;
	size_t size = (size_t)st.st_size;
	const char *want = mmap(NULL, size, PROT_READ, MAP_SHARED, secret, 0);
	if (want == MAP_FAILED)
		return 2;

	int fd = open(path, O_RDONLY | O_CLOEXEC);
	check(fd >= 0, "open /dev/fd/N");
	check((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, "O_CLOEXEC kept");
	struct stat fst;
	check(fstat(fd, &fst) == 0 && fst.st_size == st.st_size, "fstat gives the size");

	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, buf + got, 7);
		if (n <= 0) {
			check(n == 0, "read to the end in 7-byte steps");
			break;
		}
		got += (size_t)n;
	}
	check(got == size && memcmp(buf, want, size) == 0, "the bytes are the file's");
	check(lseek(fd, 0, SEEK_END) == (off_t)size && read(fd, buf, 1) == 0, "lseek SEEK_END, then end of file");
	check(lseek(fd, 5, SEEK_SET) == 5 && read(fd, buf, 10) == 10 && memcmp(buf, want + 5, 10) == 0, "lseek SEEK_SET and read");
	check(lseek(fd, -3, SEEK_CUR) == 12, "lseek SEEK_CUR");
	errno = 0;
	check(lseek(fd, -100, SEEK_SET) == -1 && errno == EINVAL, "lseek before the start: EINVAL");
	check(pread(fd, buf, 10, 3) == 10 && memcmp(buf, want + 3, 10) == 0 && lseek(fd, 0, SEEK_CUR) == 12, "pread leaves the position");
	errno = 0;
	check(pread(fd, buf, 10, -1) == -1 && errno == EINVAL, "pread at -1: EINVAL");
	char a[4], b[6];
	struct iovec iov[2] = {{a, sizeof a}, {b, sizeof b}};
	check(readv(fd, iov, 2) == 10 && memcmp(a, want + 12, 4) == 0 && memcmp(b, want + 16, 6) == 0, "readv");
	check(preadv(fd, iov, 2, 0) == 10 && memcmp(a, want, 4) == 0, "preadv");

	/* Flags and lengths the compiler cannot know make the fortified
	 * entry points the ones called. */
	volatile int vflags = O_RDONLY;
	volatile size_t vlen = 16;
	int ff = open(path, vflags), fa = openat(AT_FDCWD, path, vflags);
	check(ff >= 0 && read(ff, buf, vlen) == 16 && memcmp(buf, want, 16) == 0 &&
	      pread(ff, buf, vlen, 1) == 16 && memcmp(buf, want + 1, 16) == 0,
	      "fortified open, read, pread (__open_2, __read_chk, __pread_chk)");
	check(fa >= 0 && read(fa, buf, vlen) == 16 && memcmp(buf, want, 16) == 0, "fortified openat (__openat_2)");
	check(close(ff) == 0 && close(fa) == 0, "close them");

	int copy = dup(fd);
	check(copy >= 0 && read(copy, buf, 3) == 3 && memcmp(buf, want + 22, 3) == 0, "dup reads on from the position");
	check(dup2(fd, 40) == 40 && close(fd) == 0, "dup2, then close the original");
	check(lseek(40, 0, SEEK_SET) == 0 && read(40, buf, size) == (ssize_t)size && memcmp(buf, want, size) == 0, "the dup2 copy reads the file");
	check(close(40) == 0 && close(copy) == 0, "close");
	errno = 0;
	check(read(40, buf, 1) == -1 && errno == EBADF, "read after close: EBADF from the kernel");

	int again = 1;
	for (int i = 0; i < 200 && again; i++) {
		int f = open(path, O_RDONLY);
		again = f >= 0 && read(f, buf, size) == (ssize_t)size && close(f) == 0;
	}
	check(again, "200 opens in a row (a server's reloads)");

	int held[200], n = 0;
	for (; n < 200; n++)
		if ((held[n] = open(path, O_RDONLY)) < 0 || read(held[n], buf, 1) != 1)
			break;
	check(n == 200, "200 served at once: the table grows");
	while (n > 0)
		close(held[--n]);

	FILE *f = fopen(path, "re");
	check(f != NULL && fread(buf, 1, size, f) == size && memcmp(buf, want, size) == 0, "fopen and fread");
	check(f != NULL && fseek(f, 7, SEEK_SET) == 0 && ftell(f) == 7 && fgetc(f) == (unsigned char)want[7], "fseek, ftell, fgetc");
	check(f != NULL && fclose(f) == 0, "fclose");

	errno = 0;
	check(open(path, O_WRONLY) == -1 && errno == ENXIO, "open for writing: the kernel's ENXIO");
	errno = 0;
	check(fopen(path, "r+") == NULL && errno == ENXIO, "fopen r+: the kernel's ENXIO");
	errno = 0;
	check(open("/dev/fd/77", O_RDONLY) == -1 && errno == ENOENT, "a closed descriptor's path: ENOENT");
	errno = EDOM;
	int other = open("/dev/fd/1", O_WRONLY);
	check(other >= 0 && errno == EDOM, "another descriptor's path opens, errno untouched");
	close(other);

	/* The documented limit: stdio over a descriptor reads with glibc's
	 * internal read, which the library cannot see. */
	FILE *viafd = fdopen(open(path, O_RDONLY), "r");
	errno = 0;
	check(viafd != NULL && fread(buf, 1, 1, viafd) == 0 && ferror(viafd) && errno == EINVAL, "fdopen and stdio: EINVAL, as documented");

	printf("%s\n", failed ? "FAILED" : "all good");
	return failed;
}
