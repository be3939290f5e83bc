/*
 * husk's one file-system interface.
 *
 * Everything above the evidence layer (data-root discovery, Docker and containerd readers,
 * diff, recovery bookkeeping) sees file systems only through this table of operations. It is
 * implemented once for ext2/3/4 (libtsk plus raw-inode code, src/evidence/fs_ext4.c) and once
 * for XFS (libfsxfs plus raw-inode code, src/evidence/fs_xfs.c). Nothing above it calls libtsk
 * or libfsxfs directly.
 *
 * All operations are read-only. Objects are addressed by inode number; paths are resolved by
 * husk_fs_lookup() on top of list_dir, so both back ends share one lookup and one symlink
 * policy. Every size and count a back end takes from the evidence is bounded by it.
 */
#ifndef HUSK_VFS_H
#define HUSK_VFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "husk/err.h"

typedef enum husk_ftype {
    HUSK_FT_UNKNOWN = 0,
    HUSK_FT_FILE,
    HUSK_FT_DIR,
    HUSK_FT_SYMLINK,
    HUSK_FT_CHAR,
    HUSK_FT_BLOCK,
    HUSK_FT_FIFO,
    HUSK_FT_SOCKET,
} husk_ftype;

/* "file", "dir", "symlink", "char", "block", "fifo", "socket" or "unknown" (case-db.md names). */
const char *husk_ftype_name(husk_ftype t);
husk_ftype husk_ftype_from_mode(uint32_t mode);

typedef struct husk_timespec {
    int64_t sec;   /* seconds since the Unix epoch, UTC */
    uint32_t nsec; /* 0..999999999 */
    uint8_t present;
} husk_timespec;

typedef struct husk_stat {
    uint64_t inode;
    husk_ftype type;
    uint32_t mode; /* st_mode: type and permission bits */
    uint32_t uid, gid;
    uint64_t size;
    uint32_t nlink;
    uint32_t rdev_major, rdev_minor; /* char/block devices only */
    husk_timespec atime, mtime, ctime, crtime;
    uint32_t generation;
    int allocated; /* 1 when the inode is in use */
} husk_stat;

typedef struct husk_dirent {
    const char *name; /* not NUL-safe for display: escape before printing */
    size_t name_len;
    uint64_t inode;
    husk_ftype type; /* from the directory entry; may be HUSK_FT_UNKNOWN */
    int deleted;     /* recovered views only: the live directory no longer holds this name */
} husk_dirent;

/* Where a fact came from and how sure husk is of it (docs/case-db.md conventions). */
typedef struct husk_prov {
    const char *recovered_from; /* "live", "journal", "inode", "dirent", "carved", ... */
    double confidence;          /* 1.0 for live files */
} husk_prov;

/* Directory callback: return 0 to go on, >0 to stop early (not an error), <0 on error. */
typedef int (*husk_dir_cb)(const husk_dirent *d, void *ctx);
/* Extended-attribute callback: full name with its namespace prefix ("trusted.overlay.opaque"). */
typedef int (*husk_xattr_cb)(const char *name, const uint8_t *value, size_t value_len, void *ctx);

typedef struct husk_fs husk_fs;

typedef struct husk_fs_ops {
    /* Fills st for inode ino. Returns 0 or a negative husk_err code. */
    int (*stat)(husk_fs *fs, uint64_t ino, husk_stat *st, husk_err *err);
    /* Calls cb for every entry of directory ino except "." and "..". */
    int (*list_dir)(husk_fs *fs, uint64_t ino, husk_dir_cb cb, void *ctx, husk_err *err);
    /* Reads up to len bytes at off; returns bytes read (0 at end of file) or a negative code. */
    ssize_t (*read)(husk_fs *fs, uint64_t ino, uint64_t off, void *buf, size_t len,
                    husk_err *err);
    /* Copies the link target (NUL-terminated, truncated to bufsize-1); returns its full length. */
    ssize_t (*readlink)(husk_fs *fs, uint64_t ino, char *buf, size_t bufsize, husk_err *err);
    /* Calls cb for every extended attribute of ino (in-inode and external). */
    int (*list_xattrs)(husk_fs *fs, uint64_t ino, husk_xattr_cb cb, void *ctx, husk_err *err);
    void (*close)(husk_fs *fs);
    /* Optional (recovered views, include/husk/recover.h): how object ino was rebuilt, with a
     * one-line explanation in how. NULL means every object is live. */
    int (*provenance)(husk_fs *fs, uint64_t ino, husk_prov *p, char *how, size_t hown);
} husk_fs_ops;

struct husk_fs {
    const husk_fs_ops *ops;
    void *priv;             /* back end's own state */
    char fstype[16];        /* "ext4", "ext3", "ext2", "xfs" */
    char label[64];         /* volume label, escaped-on-output by callers */
    char uuid[40];          /* canonical 8-4-4-4-12 form, or "" */
    uint32_t block_size;
    uint64_t offset;        /* byte offset of the file system in the image it was opened on */
    uint64_t size;          /* bytes */
    uint64_t root_inode;
    int cache_lookups;      /* set by a back end whose directories never change (evidence) */
    void *lookup_cache;     /* husk_fs_lookup_child's recent directory listings (vfs.c) */
};

struct TSK_IMG_INFO;

/* Probes the registered back ends in order (or only the one named by fstype, e.g. "ext4",
 * "xfs") at byte offset off of img and opens the file system found. img stays owned by the
 * caller and must outlive the returned fs. */
int husk_fs_open(struct TSK_IMG_INFO *img, uint64_t off, const char *fstype, husk_fs **out,
                 husk_err *err);
void husk_fs_close(husk_fs *fs);

/* For a volume where husk_fs_open found nothing: looks for what a damaged primary superblock
 * leaves behind, an intact ext2/3/4 backup superblock (block group 1) or an XFS secondary
 * superblock (allocation group 1, located through the primary's surviving geometry).
 * Returns 1 (ext backup) or 2 (XFS secondary) and fills msg and *where (byte offset inside
 * the volume) when one is there, 0 when there is none. */
int husk_fs_probe_damaged(struct TSK_IMG_INFO *img, uint64_t off, uint64_t len, char *msg,
                          size_t msglen, uint64_t *where);
/* The image img with the file system at off read through the backup superblock at byte
 * backup of the file system, kind as husk_fs_probe_damaged returned it (src/evidence/
 * sbfix.c): an overlay in memory, to be closed with tsk_img_close after every file system
 * opened on it. */
int husk_backup_sb_image(struct TSK_IMG_INFO *img, uint64_t off, int kind, uint64_t backup,
                         struct TSK_IMG_INFO **out, husk_err *err);

/* Back ends (registered in src/evidence/vfs.c). */
int husk_ext4_open(struct TSK_IMG_INFO *img, uint64_t off, husk_fs **out, husk_err *err);
int husk_xfs_open(struct TSK_IMG_INFO *img, uint64_t off, husk_fs **out, husk_err *err);

/* Thin wrappers over the ops table. */
int husk_fs_stat(husk_fs *fs, uint64_t ino, husk_stat *st, husk_err *err);
int husk_fs_list_dir(husk_fs *fs, uint64_t ino, husk_dir_cb cb, void *ctx, husk_err *err);
ssize_t husk_fs_read(husk_fs *fs, uint64_t ino, uint64_t off, void *buf, size_t len,
                     husk_err *err);
ssize_t husk_fs_readlink(husk_fs *fs, uint64_t ino, char *buf, size_t bufsize, husk_err *err);
int husk_fs_list_xattrs(husk_fs *fs, uint64_t ino, husk_xattr_cb cb, void *ctx, husk_err *err);
/* How object ino was obtained: {"live", 1.0} on ordinary file systems. how may be NULL. */
int husk_fs_provenance(husk_fs *fs, uint64_t ino, husk_prov *p, char *how, size_t hown);

#define HUSK_LOOKUP_FOLLOW 1 /* follow a symlink in the last component too */

/* Resolves an absolute path from the root. Symlinks in intermediate components are followed
 * inside this file system (at most 40 in all); a ".." never leaves the root. Returns 0 and sets
 * *ino, HUSK_E_NOTFOUND, or another negative code. */
int husk_fs_lookup(husk_fs *fs, const char *path, int flags, uint64_t *ino, husk_err *err);
/* Finds one name in directory dir_ino. */
int husk_fs_lookup_child(husk_fs *fs, uint64_t dir_ino, const char *name, uint64_t *ino,
                         husk_err *err);
/* Reads a whole file of at most max bytes into a new NUL-terminated buffer (*len excludes the
 * NUL). A larger file gives HUSK_E_LIMIT. */
int husk_fs_read_all(husk_fs *fs, uint64_t ino, size_t max, char **data, size_t *len,
                     husk_err *err);
/* Copies one extended attribute's value; returns its length, HUSK_E_NOTFOUND if absent. */
ssize_t husk_fs_get_xattr(husk_fs *fs, uint64_t ino, const char *name, uint8_t *buf,
                          size_t bufsize, husk_err *err);

/* Overlay semantics (overlayfs, formats.md 1.6). */
int husk_stat_is_whiteout(const husk_stat *st); /* char device 0/0 */
/* 1 when name (len bytes, from a directory of the evidence) is one a kernel could have made:
 * 1 to 255 bytes, no '/' and no NUL, not "." or "..". Others would break the paths built from
 * them (a crafted "../x" climbs out of a tree). */
int husk_name_ok(const char *name, size_t len);
/* 1 when the directory carries trusted.overlay.opaque or user.overlay.opaque = "y". */
int husk_fs_is_opaque(husk_fs *fs, uint64_t ino, husk_err *err);

/* Formats t as RFC 3339 UTC with nine fraction digits into buf (>= 31 bytes); "" when absent. */
void husk_time_format(const husk_timespec *t, char *buf, size_t bufsize);

#endif
