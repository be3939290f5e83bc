/* Output directories of extraction commands (carve -o, recover --out): created new or taken
 * only when empty, filled with files named by relative paths that can never leave it. */
#ifndef HUSK_CLI_OUTDIR_H
#define HUSK_CLI_OUTDIR_H

#include <stddef.h>
#include <stdint.h>

/* Creates dir, or accepts it when it exists and is empty: extraction never writes over
 * earlier results or into a directory that holds anything else (such as the evidence).
 * Prints the error and returns an exit code on failure, 0 on success. */
int outdir_prepare(const char *dir);

/* An open output file: its bytes are hashed (SHA-256) as they are written. */
typedef struct outdir_file outdir_file;
/* Creates dir/rel (rel relative, without "." or ".." components; missing parent directories
 * are made) exclusively and without following symbolic links. Prints the error and returns
 * NULL on failure. */
outdir_file *outdir_create(const char *dir, const char *rel);
int outdir_write(outdir_file *f, const void *data, size_t len);
/* Closes f; fills hex with the SHA-256 and *size with the bytes written. Returns 0, or -1
 * (message printed) when anything failed to write. */
int outdir_close(outdir_file *f, char hex[65], uint64_t *size);
/* The whole of a small file in one call. */
int outdir_put(const char *dir, const char *rel, const void *data, size_t len, char hex[65]);

#endif
