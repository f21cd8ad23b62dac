/*
 * Symbolic links to a descriptor path: an operator replaces a key file by
 * a link to /dev/fd/3 (ln -s /dev/fd/3 /etc/ssl/private/server.key). The
 * kernel follows the link and refuses the secret file at its end with
 * ENXIO, as it refuses /dev/fd/3 itself. Only then, so that no other open
 * pays for it, the library follows the chain of links itself: it reads
 * each link (readlinkat(2)), takes a relative target from the link's
 * directory, and stops at the first path that names a secret descriptor
 * (fdpath.c, fdpath_at.c), at anything that is not a link, or after 40
 * links (the kernel's MAXSYMLINKS, which it counts over the whole path and
 * so reaches first); then the kernel's ENXIO stands.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"

#define SC_MAXSYMLINKS 40

/*
 * sc_secret_of_link returns N when path, relative to dirfd, is a symbolic
 * link that leads, through links, to a path naming this process's secret
 * descriptor N; -1 otherwise. errno is kept.
 */
int sc_secret_of_link(int dirfd, const char *path)
{
	if (path == NULL)
		return -1;
	size_t len = strnlen(path, PATH_MAX);
	if (len == PATH_MAX)
		return -1;
	int saved = errno;
	char cur[PATH_MAX], target[PATH_MAX];
	memcpy(cur, path, len + 1);
	int n = -1;
	for (int links = 0; links < SC_MAXSYMLINKS && n < 0; links++) {
		ssize_t t = readlinkat(dirfd, cur, target, sizeof target);
		if (t <= 0 || (size_t)t >= sizeof target)
			break;
		target[t] = '\0';
		/* A relative target starts in the link's directory. */
		char *slash = strrchr(cur, '/');
		size_t dir = target[0] == '/' || slash == NULL ? 0 : (size_t)(slash - cur) + 1;
		if (dir + (size_t)t >= sizeof cur)
			break;
		memcpy(cur + dir, target, (size_t)t + 1);
		n = sc_secret_of_path(dirfd, cur);
	}
	errno = saved;
	return n;
}
