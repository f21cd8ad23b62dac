/*
 * For the secret heap's test programs: whether memory lies in a
 * memfd_secret mapping. The including file defines die.
 */
#ifndef SECRETMAPS_H
#define SECRETMAPS_H

#include <stdio.h>
#include <string.h>

static void die(const char *msg);

/*
 * secret_range finds the memfd_secret mapping that holds p: it returns 1
 * and its bounds, or 0 when p is elsewhere.
 */
static inline int secret_range(const void *p, unsigned long *lo, unsigned long *hi)
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (f == NULL)
		die("cannot read /proc/self/maps");
	char line[512];
	int found = 0;
	while (fgets(line, sizeof line, f) != NULL) {
		unsigned long a, b;
		if (sscanf(line, "%lx-%lx", &a, &b) == 2 && (unsigned long)p >= a && (unsigned long)p < b &&
		    strstr(line, "/secretmem") != NULL) {
			*lo = a, *hi = b;
			found = 1;
		}
	}
	fclose(f);
	return found;
}

static inline int in_secret(const void *p)
{
	unsigned long lo, hi;
	return secret_range(p, &lo, &hi);
}

#endif
