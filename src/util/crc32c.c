/* Table-driven CRC-32C and CRC-32 (big-endian), raw as the kernel computes them
 * (include/husk/crc32c.h). One table each, built once; a byte at a time is fast enough for
 * a journal of a few hundred MiB. */
#include "husk/crc32c.h"

#include <pthread.h>

static uint32_t tab_c[256];  /* reflected, for crc32c */
static uint32_t tab_be[256]; /* MSB first, for crc32_be */
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void build_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        tab_c[i] = c;
        uint32_t b = i << 24;
        for (int k = 0; k < 8; k++)
            b = (b & 0x80000000u) ? (b << 1) ^ 0x04C11DB7u : b << 1;
        tab_be[i] = b;
    }
}

uint32_t husk_crc32c(uint32_t crc, const void *p, size_t len)
{
    const uint8_t *s = p;
    pthread_once(&tables_once, build_tables);
    while (len--)
        crc = tab_c[(crc ^ *s++) & 0xff] ^ (crc >> 8);
    return crc;
}

uint32_t husk_crc32_be(uint32_t crc, const void *p, size_t len)
{
    const uint8_t *s = p;
    pthread_once(&tables_once, build_tables);
    while (len--)
        crc = tab_be[((crc >> 24) ^ *s++) & 0xff] ^ (crc << 8);
    return crc;
}
