/* A fixed-size cache of decoded image bytes under the file-system readers (imgcache.c). */
#ifndef HUSK_IMGCACHE_H
#define HUSK_IMGCACHE_H

#include <stddef.h>
#include <stdint.h>

#include <tsk/libtsk.h>

/* A libtsk image reading through `bytes` of cache (64 KiB blocks) from under, which it owns
 * from then on (closed with it). NULL, with under untouched and still the caller's, when the
 * cache cannot be made. */
TSK_IMG_INFO *husk_imgcache_wrap(TSK_IMG_INFO *under, size_t bytes);
/* Blocks found in and read into the cache so far (0 and 0 for any other image). */
void husk_imgcache_stats(TSK_IMG_INFO *img, uint64_t *hits, uint64_t *misses);

#endif
