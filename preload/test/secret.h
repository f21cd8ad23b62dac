/*
 * Helpers of the preload library's C tests: a secret-memory file and an
 * ordinary tmpfs file (memfd_create) with the same content, and checks
 * that say what failed. The tests run with the library preloaded, or with
 * its sources linked in (the sanitizer builds).
 */
#ifndef SECRETCAT_TEST_SECRET_H
#define SECRETCAT_TEST_SECRET_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif

/* sc_die reports a failure of the test's own set-up and exits 2. */
static inline void sc_die(const char *what)
{
	fprintf(stderr, "set-up failed: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* sc_secret_file returns a memfd_secret descriptor holding data. */
static inline int sc_secret_file(const unsigned char *data, size_t n)
{
	int fd = (int)syscall(SYS_memfd_secret, 0);
	if (fd < 0)
		sc_die("memfd_secret");
	if (ftruncate(fd, (off_t)n) != 0)
		sc_die("ftruncate of the secret file");
	if (n > 0) {
		void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			sc_die("mmap of the secret file");
		memcpy(p, data, n);
		if (munmap(p, n) != 0)
			sc_die("munmap");
	}
	return fd;
}

/* sc_tmpfs_file returns a tmpfs (memfd_create) descriptor holding data. */
static inline int sc_tmpfs_file(const unsigned char *data, size_t n)
{
	int fd = memfd_create("sc-test", 0);
	if (fd < 0)
		sc_die("memfd_create");
	if (n > 0 && pwrite(fd, data, n, 0) != (ssize_t)n)
		sc_die("pwrite of the tmpfs file");
	return fd;
}

/* sc_fill fills data with a pattern that differs at every offset mod 251. */
static inline void sc_fill(unsigned char *data, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)((i * 7 + seed) % 251);
}

/* sc_mappings counts this process's mappings whose line in maps has what. */
static inline int sc_mappings(const char *what)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (f == NULL)
		sc_die("fopen of /proc/self/maps");
	char line[512];
	int n = 0;
	while (fgets(line, sizeof line, f) != NULL)
		n += strstr(line, what) != NULL;
	fclose(f);
	return n;
}

/* sc_secret_mappings counts this process's mappings of secret memory. */
static inline int sc_secret_mappings(void)
{
	return sc_mappings("/secretmem");
}

/*
 * sc_shared_anonymous counts this process's shared anonymous mappings,
 * where the library keeps each description's file position.
 */
static inline int sc_shared_anonymous(void)
{
	return sc_mappings("/dev/zero (deleted)");
}

#endif
