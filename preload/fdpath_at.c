/*
 * Paths to a descriptor that only the kernel can resolve: relative ones
 * ("fd/3" from /dev, "3" from /dev/fd or with the dirfd of /proc/self/fd),
 * ".." ("/dev/../dev/fd/3"), and symbolic links on the way. The kernel
 * refuses them for a secret file (ENXIO) as it refuses /dev/fd/3. Nothing
 * is resolved unless the last component is the number N of an open
 * secret-memory descriptor: an ordinary open costs at most one fstatfs(2).
 * Then the directory before N is opened (O_PATH) as the kernel would open
 * it, and the path the kernel gives it must be this process's descriptor
 * directory. Any failure on the way leaves the call to the kernel, which
 * gives its own answer (ENOENT, ENOTDIR, EBADF ...).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"

/*
 * fd_dir reports whether dir, relative to dirfd, is this process's
 * descriptor directory, with n the number to look up in it: the kernel's
 * path of the directory, with "/n" after it, must name descriptor n.
 */
static int fd_dir(int dirfd, const char *dir, int n)
{
	int d = SC_CALL_NEXT(openat, dirfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (d < 0)
		return 0;
	char proc[32], link[PATH_MAX];
	ssize_t len = -1;
	if (snprintf(proc, sizeof proc, "/proc/self/fd/%d", d) < (int)sizeof proc)
		len = readlink(proc, link, sizeof link - 16);
	int closed = SC_CALL_NEXT(close, d) == 0;
	if (!closed || len <= 0 || (size_t)len >= sizeof link - 16 || snprintf(link + len, 16, "/%d", n) >= 16)
		return 0;
	return sc_fd_of_path(link) == n;
}

/*
 * sc_secret_of_path returns N when path, relative to dirfd, names this
 * process's descriptor N and N is a secret-memory file, or the descriptor
 * taken for path from SECRETCAT_PRELOAD_SOCKET (socket.c); -1 otherwise.
 * errno is kept.
 */
int sc_secret_of_path(int dirfd, const char *path)
{
	if (path == NULL)
		return -1;
	int saved = errno;
	int n = sc_fd_of_path(path);
	if (n >= 0) {
		n = sc_is_secret(n) ? n : -1;
	} else {
		size_t len;
		n = sc_fd_of_last(path, &len);
		if (n >= 0 && sc_is_secret(n)) {
			char dir[PATH_MAX] = ".";
			if (len > 0) {
				memcpy(dir, path, len);
				dir[len] = '\0';
			}
			n = fd_dir(dirfd, dir, n) ? n : -1;
		} else {
			n = sc_secret_of_socket(path);
		}
	}
	errno = saved;
	return n;
}
