/* Stands in for the library's constructor in the standalone build. */
#include "../secheap.h"
__attribute__((constructor)) static void init(void) { sc_heap_init(); }
