/*
 * A POSIX tar writer (pax interchange format, IEEE Std 1003.1-2001): ustar headers, with a
 * pax extended header ('x') in front of an entry only when ustar cannot hold something:
 * a long or non-ASCII name or link target, a size of 8 GiB or more, a uid/gid over 2097151,
 * an mtime with nanoseconds or outside the 11-octal-digit range, or extended attributes
 * (SCHILY.xattr.NAME, as GNU tar, bsdtar and Docker write them).
 *
 * Output goes through a write callback, so the same writer serves files, pipes and tests.
 */
#ifndef HUSK_TAR_H
#define HUSK_TAR_H

#include <stddef.h>
#include <stdint.h>

#define HUSK_TAR_BLOCK 512

/* Return 0 on success, <0 on failure (the writer stops). */
typedef int (*husk_tar_write_fn)(void *ctx, const void *buf, size_t n);

typedef struct husk_tar {
    husk_tar_write_fn write;
    void *ctx;
    uint64_t offset;    /* bytes written so far */
    uint64_t remaining; /* data bytes the current entry still expects */
    int failed;         /* a write failed: every later call fails */
} husk_tar;

typedef struct husk_tar_xattr {
    const char *name; /* "security.capability" */
    const uint8_t *value;
    size_t len;
} husk_tar_xattr;

typedef struct husk_tar_entry {
    const char *name;     /* archive path, e.g. "etc/passwd", "etc/" for a directory */
    size_t name_len;      /* bytes of name (names are not NUL-safe) */
    char typeflag;        /* '0' file, '1' hard link, '2' symlink, '3' char, '4' block,
                             '5' directory, '6' fifo */
    uint32_t mode;        /* st_mode; written as Go's archive/tar (Docker) does: with the
                             file-type bits */
    uint32_t uid, gid;
    uint64_t size;        /* data bytes that follow (regular files only; 0 otherwise) */
    int64_t mtime_sec;
    uint32_t mtime_nsec;  /* non-zero: a pax mtime record keeps the nanoseconds */
    const char *linkname; /* symlink target or hard-link target's archive path, or NULL */
    size_t linkname_len;
    uint32_t devmajor, devminor;
    const husk_tar_xattr *xattrs;
    size_t nxattrs;
} husk_tar_entry;

void husk_tar_init(husk_tar *t, husk_tar_write_fn write, void *ctx);
/* Writes the header(s) of one entry; then exactly e->size bytes of data must follow through
 * husk_tar_data(). Returns 0, or -1 (bad entry, or the write callback failed). */
int husk_tar_header(husk_tar *t, const husk_tar_entry *e);
/* Writes file data of the current entry (no more than it announced); pads the entry to a
 * block boundary once all of it was written. */
int husk_tar_data(husk_tar *t, const void *buf, size_t n);
/* Writes zeros for the rest of the current entry (data that could not be read). */
int husk_tar_fill(husk_tar *t);
/* The end-of-archive marker (two zero blocks). */
int husk_tar_finish(husk_tar *t);

/* Builds the pax record "LEN KEY=VALUE\n" (LEN counts the whole record) into out (which
 * must hold at least klen + vlen + 32 bytes); returns its length. Exposed for tests. */
size_t husk_tar_pax_record(char *out, const char *key, const void *value, size_t vlen);

#endif
