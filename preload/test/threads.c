/*
 * threads reads served descriptors in some threads while another closes,
 * reopens and duplicates them: close(2) must never unmap a view that a
 * reader is copying from (the reader gets the data, or EBADF), and every
 * byte a reader gets is the file's. Bounded: ROUNDS opens and closes. It
 * prints what failed and exits 1; a crash is a failure too.
 *
 * usage: threads [ROUNDS]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/uio.h>

#include "secret.h"

#define SIZE (1 << 20)
#define READERS 3

static unsigned char data[SIZE];
static _Atomic int target = -1, stop, bad;

/* reader preads the whole file from whatever descriptor target is. */
static void *reader(void *arg)
{
	unsigned char *buf = malloc(SIZE);
	if (buf == NULL)
		sc_die("malloc");
	long id = (long)arg;
	while (!atomic_load(&stop)) {
		int fd = atomic_load(&target);
		if (fd < 0)
			continue;
		off_t at = (off_t)(id * 4096);
		ssize_t n;
		if (id == 2) {
			/*
			 * read(2) at the file position, which the descriptor
			 * shares with its duplicates: the bytes are the file's
			 * from a position this thread cannot know.
			 */
			if (lseek(fd, at, SEEK_SET) < 0 && errno != EBADF && errno != ESPIPE) {
				fprintf(stderr, "FAIL: lseek: %s\n", strerror(errno));
				atomic_store(&bad, 1);
			}
			n = read(fd, buf, 4096);
			if (n < 0 && errno == EINVAL) /* read(2)'s ESPIPE, below */
				errno = ESPIPE;
			if (n > 0)
				n = 0;
		} else {
			n = id % 2 ? pread(fd, buf, SIZE, at) : preadv(fd, &(struct iovec){buf, SIZE}, 1, at);
		}
		/*
		 * The number may be closed (EBADF), or be a new descriptor of
		 * the secret file that open(2) has not returned yet, which
		 * the kernel refuses to read (EINVAL) and pread (ESPIPE): a
		 * program cannot know that number yet, but this reader uses a
		 * stale one.
		 */
		if (n < 0 && errno != EBADF && errno != ESPIPE) {
			fprintf(stderr, "FAIL: reader %ld: %s\n", id, strerror(errno));
			atomic_store(&bad, 1);
		}
		if (n > 0 && memcmp(buf, data + at, (size_t)n) != 0) {
			fprintf(stderr, "FAIL: pread gave bytes that are not the file's\n");
			atomic_store(&bad, 1);
		}
	}
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 2000;
	sc_fill(data, SIZE, 3);
	int secret = sc_secret_file(data, SIZE);
	int empty = sc_tmpfs_file(data, 0);
	char path[64];
	snprintf(path, sizeof path, "/dev/fd/%d", secret);
	pthread_t t[READERS];
	for (long i = 0; i < READERS; i++)
		if (pthread_create(&t[i], NULL, reader, (void *)i) != 0)
			sc_die("pthread_create");
	for (int i = 0; i < rounds && !atomic_load(&bad); i++) {
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			sc_die("open of the secret's path");
		atomic_store(&target, fd);
		switch (i % 4) {
		case 0: /* close */
			if (close(fd) != 0)
				sc_die("close");
			break;
		case 1: /* close_range */
			if (close_range((unsigned)fd, (unsigned)fd, 0) != 0)
				sc_die("close_range");
			break;
		case 2: { /* a duplicate replaces it, then goes */
			int copy = dup(fd);
			if (copy < 0 || dup2(copy, fd) != fd || close(copy) != 0 || close(fd) != 0)
				sc_die("dup, dup2, close");
			break;
		}
		default: /* another file, an empty one, replaces it */
			if (dup2(empty, fd) != fd || close(fd) != 0)
				sc_die("dup2 of another file");
			break;
		}
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < READERS; i++)
		if (pthread_join(t[i], NULL) != 0)
			sc_die("pthread_join");
	printf("%s: %d rounds of open and close under %d readers\n", atomic_load(&bad) ? "FAILED" : "all good", rounds,
	       READERS);
	return atomic_load(&bad);
}
