/*
 * The two CRC-32 variants the jbd2 journal uses, in the kernel's "raw" form: no inversion
 * before or after, so a running value can be handed back in as the seed (jbd2 seeds the
 * checksum of every block with the checksum of the journal's UUID).
 */
#ifndef HUSK_CRC32C_H
#define HUSK_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Castagnoli CRC (reflected polynomial 0x82F63B78), the kernel's crc32c(crc, p, len). The
 * usual CRC-32C of a buffer is husk_crc32c(~0u, p, len) ^ ~0u. */
uint32_t husk_crc32c(uint32_t crc, const void *p, size_t len);

/* Big-endian (MSB-first) CRC-32, polynomial 0x04C11DB7, the kernel's crc32_be(crc, p, len):
 * jbd2's old v1 "compat checksum" over a whole transaction. */
uint32_t husk_crc32_be(uint32_t crc, const void *p, size_t len);

#endif
