/* A C consumer of a secretcat descriptor: fstat for the size, mmap shared
 * read-only (read(2) is refused on secret memory), use, unmap.
 *   secretcat -i key.txt secret.age -- ./consumer
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>

int main(void) {
	const char *env = getenv("SECRETCAT_FD");
	if (env == NULL) { fprintf(stderr, "SECRETCAT_FD is not set\n"); return 1; }
	int fd = atoi(env);
	struct stat st;
	if (fstat(fd, &st) != 0) { perror("fstat"); return 1; }
	if (st.st_size == 0) return 0;
	void *p = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) { perror("mmap"); return 1; }
	fwrite(p, 1, st.st_size, stdout); /* a real program would use it in place */
	munmap(p, st.st_size);
	return 0;
}
