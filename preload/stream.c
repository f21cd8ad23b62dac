/*
 * fopen(3) of /dev/fd/N (and the /proc forms) where N is a secret file:
 * OpenSSL's BIO_new_file, and so nginx, haproxy, PostgreSQL, the openssl
 * command and Python's ssl, open key files this way. For reading, this
 * library opens a served descriptor of the file, as open(2) of the path
 * does (open.c), and returns an unbuffered stream (fopencookie(3)) that
 * reads through it: stdio keeps no buffer of the plaintext. fileno(3) of
 * the stream is that descriptor, as it would be for a regular file (glibc
 * marks a cookie stream's descriptor -2, which fileno reports as -1, and
 * reaches the file only through the callbacks, so fclose closes the
 * descriptor only through stream_close). Everything else goes to libc
 * untouched, errno included.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"

/*
 * The cookie is the descriptor. The callbacks go through the library's own
 * read, lseek and close, as stdio's would go through the kernel's: a
 * program that closes or replaces the descriptor under the stream sees
 * what it would see with a regular file.
 */
static int stream_fd(void *cookie)
{
	return (int)(intptr_t)cookie;
}

static ssize_t stream_read(void *cookie, char *buf, size_t n)
{
	return read(stream_fd(cookie), buf, n);
}

static int stream_seek(void *cookie, off64_t *off, int whence)
{
	off_t pos = lseek(stream_fd(cookie), *off, whence);
	if (pos < 0)
		return -1;
	*off = pos;
	return 0;
}

static int stream_close(void *cookie)
{
	return close(stream_fd(cookie));
}

static const cookie_io_functions_t stream_io = {
	.read = stream_read,
	.seek = stream_seek,
	.close = stream_close,
};

/*
 * read_only reports whether an fopen mode only reads: "r" and glibc's
 * modifiers (b, c, e, m), no "+" and no ",ccs=" conversion.
 */
static int read_only(const char *mode)
{
	return mode != NULL && mode[0] == 'r' && strpbrk(mode, "+,") == NULL;
}

/*
 * cloexec reports whether a mode asks for O_CLOEXEC: an "e" among the six
 * characters after the first that glibc's fopen reads.
 */
static int cloexec(const char *mode)
{
	for (int i = 1; i < 7 && mode[i] != '\0'; i++)
		if (mode[i] == 'e')
			return 1;
	return 0;
}

/*
 * stream opens the secret file secret as a stream with mode: it returns
 * the stream, or NULL and errno.
 */
static FILE *stream(int secret, const char *mode)
{
	int fd = sc_open_secret(secret, O_RDONLY | (cloexec(mode) ? O_CLOEXEC : 0));
	if (fd < 0)
		return NULL;
	FILE *f = fopencookie((void *)(intptr_t)fd, "r", stream_io);
	if (f == NULL) {
		int saved = errno;
		if (stream_close((void *)(intptr_t)fd) != 0)
			saved = errno;
		errno = saved;
		return NULL;
	}
	f->_fileno = fd;
	if (setvbuf(f, NULL, _IONBF, 0) != 0) {
		int saved = errno;
		if (fclose(f) != 0)
			saved = errno;
		errno = saved;
		return NULL;
	}
	return f;
}

/*
 * serve opens path as a stream when it names a secret descriptor and mode
 * only reads: it returns 1 with *f the stream, or NULL and errno on
 * failure; 0 for a call that is not its own.
 */
static int serve(const char *path, const char *mode, FILE **f)
{
	if (!read_only(mode))
		return 0;
	int secret = sc_secret_of_path(AT_FDCWD, path);
	if (secret < 0)
		return 0;
	*f = stream(secret, mode);
	return 1;
}

/*
 * passed returns f, libc's answer to an fopen that serve left to it. A
 * path that the kernel refused with ENXIO may be a symbolic link to a
 * secret descriptor (fdlink.c): that one is served.
 */
static FILE *passed(const char *path, const char *mode, FILE *f)
{
	if (f != NULL || errno != ENXIO || !read_only(mode))
		return f;
	int secret = sc_secret_of_link(AT_FDCWD, path);
	return secret >= 0 ? stream(secret, mode) : NULL;
}

#define SC_FOPEN(fn) \
	SC_EXPORT FILE *fn(const char *path, const char *mode) \
	{ \
		FILE *f; \
		if (serve(path, mode, &f)) \
			return f; \
		__typeof__(&fn) next = SC_NEXT(fn); \
		return next != NULL ? passed(path, mode, next(path, mode)) : NULL; \
	}

SC_FOPEN(fopen)
SC_FOPEN(fopen64)
