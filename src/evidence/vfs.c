/*
 * The file-system interface's generic half: the back-end registry, path lookup, whole-file
 * reads and overlay helpers (include/husk/vfs.h). Back ends implement only the ops table.
 */
#include "husk/vfs.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <tsk/libtsk.h>

typedef struct fs_reader {
    const char *name;    /* matched against a -f override: "ext" matches ext2/3/4 */
    const char *aliases; /* space-separated names accepted for -f */
    int (*open)(TSK_IMG_INFO *img, uint64_t off, husk_fs **out, husk_err *err);
} fs_reader;

static const fs_reader fs_readers[] = {
    {"ext", " ext ext2 ext3 ext4 extfs ", husk_ext4_open},
    {"xfs", " xfs ", husk_xfs_open},
};

static int reader_matches(const fs_reader *r, const char *fstype)
{
    char key[40];
    if (!fstype || !*fstype || strcmp(fstype, "detect") == 0)
        return 1;
    if (strlen(fstype) > 30)
        return 0;
    snprintf(key, sizeof key, " %s ", fstype);
    return strstr(r->aliases, key) != NULL;
}

int husk_fs_open(TSK_IMG_INFO *img, uint64_t off, const char *fstype, husk_fs **out,
                 husk_err *err)
{
    int tried = 0;
    husk_err last = {0};
    *out = NULL;
    for (size_t i = 0; i < sizeof fs_readers / sizeof fs_readers[0]; i++) {
        if (!reader_matches(&fs_readers[i], fstype))
            continue;
        tried++;
        husk_err e = {0};
        if (fs_readers[i].open(img, off, out, &e) == 0)
            return 0;
        /* keep the most specific message: a recognised-but-damaged fs beats "no signature" */
        if (last.code == HUSK_OK || e.code != HUSK_E_NOTFOUND)
            last = e;
    }
    if (!tried)
        return husk_err_set(err, HUSK_E_ARG,
                            "unknown file-system type '%s' (use ext2, ext3, ext4 or xfs)", fstype);
    if (err)
        *err = last;
    return -(last.code ? last.code : HUSK_E_NOTFOUND);
}

static int read_at(TSK_IMG_INFO *img, uint64_t off, void *buf, size_t n)
{
    return off <= (uint64_t)img->size && (uint64_t)img->size - off >= n &&
           tsk_img_read(img, (TSK_OFF_T)off, buf, n) == (ssize_t)n;
}

int husk_fs_probe_damaged(TSK_IMG_INFO *img, uint64_t off, uint64_t len, char *msg,
                          size_t msglen, uint64_t *where)
{
    unsigned char b[1024];
    /* ext: group 1's backup superblock, for 1, 2 and 4 KiB blocks (8 * block size blocks per
     * group; with 1 KiB blocks block 0 is the boot block, so group 1 starts at block 8193),
     * when the primary's magic is gone (a healthy ext file system has backups too) */
    static const uint64_t ext_bs[] = {1024, 2048, 4096};
    int ext_primary = read_at(img, off + 1024, b, sizeof b) && b[0x38] == 0x53 && b[0x39] == 0xef;
    for (size_t i = 0; !ext_primary && i < sizeof ext_bs / sizeof ext_bs[0]; i++) {
        uint64_t bs = ext_bs[i], at = (8 * bs + (bs == 1024)) * bs;
        if (at + sizeof b > len || !read_at(img, off + at, b, sizeof b))
            continue;
        unsigned log_bs = b[0x18] | b[0x19] << 8 | (unsigned)b[0x1a] << 16;
        if (b[0x38] == 0x53 && b[0x39] == 0xef && log_bs < 3 && (1024u << log_bs) == bs &&
            (b[0x5a] | b[0x5b] << 8) == 1) {
            snprintf(msg, msglen,
                     "no valid ext2/3/4 or XFS superblock at the start, but an intact ext2/3/4 "
                     "backup superblock (block group 1, %llu-byte blocks) at byte %llu: the "
                     "primary superblock is damaged (e2fsck -b %llu on a copy restores it)",
                     (unsigned long long)bs, (unsigned long long)at,
                     (unsigned long long)(at / bs));
            *where = at;
            return 1;
        }
    }
    /* XFS: the primary's geometry (block size, blocks per AG) gives AG 1's superblock */
    if (read_at(img, off, b, 512)) {
        uint32_t bs = (uint32_t)b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7];
        uint32_t agb = (uint32_t)b[0x54] << 24 | b[0x55] << 16 | b[0x56] << 8 | b[0x57];
        uint64_t at = (uint64_t)bs * agb;
        if (memcmp(b, "XFSB", 4) != 0 && bs >= 512 && bs <= 65536 && (bs & (bs - 1)) == 0 &&
            agb > 0 && at + 512 <= len &&
            read_at(img, off + at, b, 4) && memcmp(b, "XFSB", 4) == 0) {
            snprintf(msg, msglen,
                     "no valid ext2/3/4 or XFS superblock at the start, but an XFS secondary "
                     "superblock (allocation group 1) at byte %llu: the primary superblock is "
                     "damaged (xfs_repair on a copy restores it)",
                     (unsigned long long)at);
            *where = at;
            return 2;
        }
    }
    return 0;
}
static void lookup_cache_free(husk_fs *fs);

void husk_fs_close(husk_fs *fs)
{
    if (fs)
        lookup_cache_free(fs);
    if (fs && fs->ops && fs->ops->close)
        fs->ops->close(fs);
}

int husk_fs_stat(husk_fs *fs, uint64_t ino, husk_stat *st, husk_err *err)
{
    memset(st, 0, sizeof *st);
    return fs->ops->stat(fs, ino, st, err);
}

int husk_fs_list_dir(husk_fs *fs, uint64_t ino, husk_dir_cb cb, void *ctx, husk_err *err)
{
    return fs->ops->list_dir(fs, ino, cb, ctx, err);
}

ssize_t husk_fs_read(husk_fs *fs, uint64_t ino, uint64_t off, void *buf, size_t len,
                     husk_err *err)
{
    return fs->ops->read(fs, ino, off, buf, len, err);
}

ssize_t husk_fs_readlink(husk_fs *fs, uint64_t ino, char *buf, size_t bufsize, husk_err *err)
{
    return fs->ops->readlink(fs, ino, buf, bufsize, err);
}

int husk_fs_list_xattrs(husk_fs *fs, uint64_t ino, husk_xattr_cb cb, void *ctx, husk_err *err)
{
    return fs->ops->list_xattrs(fs, ino, cb, ctx, err);
}

int husk_fs_provenance(husk_fs *fs, uint64_t ino, husk_prov *p, char *how, size_t hown)
{
    if (how && hown)
        how[0] = '\0';
    if (fs->ops->provenance)
        return fs->ops->provenance(fs, ino, p, how, hown);
    p->recovered_from = "live";
    p->confidence = 1.0;
    return 0;
}

/*
 * Path lookups go through the same directories again and again (containers/, overlay2/,
 * overlay2/l/, layerdb/mounts/ once per container or layer): listing such a directory per
 * lookup made a node with N containers cost N^2. The last LC_SLOTS directories listed by a
 * lookup are kept sorted by name (the first of two equal names wins, as in a listing), and a
 * lookup is a binary search. Directories over LC_MAX_ENTRIES are not kept (bounded memory
 * whatever the node). Only back ends that
 * set cache_lookups (the evidence readers: nothing changes under them) are cached; recovered
 * views and test fixtures are not.
 */
#define LC_SLOTS 64 /* more than the depth of an upper-layer file's host path */
#define LC_MAX_ENTRIES 65536
#define LC_MAX_TOTAL 262144 /* names held in all slots together */

typedef struct lc_name {
    const char *name;
    size_t len, idx;
    uint64_t ino;
} lc_name;

typedef struct lc_dir {
    uint64_t dir, used;
    lc_name *v;
    size_t n, cap;
    char *arena;
    size_t alen, acap;
    int full;
} lc_dir;

typedef struct lc {
    lc_dir slot[LC_SLOTS];
    uint64_t clock;
    size_t total;
} lc;

static void lc_dir_free(lc_dir *d)
{
    free(d->v);
    free(d->arena);
    memset(d, 0, sizeof *d);
}

static void lookup_cache_free(husk_fs *fs)
{
    lc *c = fs->lookup_cache;
    if (!c)
        return;
    for (int i = 0; i < LC_SLOTS; i++)
        lc_dir_free(&c->slot[i]);
    free(c);
    fs->lookup_cache = NULL;
}

static int lc_cb(const husk_dirent *e, void *ctx)
{
    lc_dir *d = ctx;
    if (d->n >= LC_MAX_ENTRIES) {
        d->full = 1;
        return 1;
    }
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 64;
        lc_name *v = realloc(d->v, nc * sizeof *v);
        if (!v)
            return -HUSK_E_NOMEM;
        d->v = v;
        d->cap = nc;
    }
    if (d->alen + e->name_len + 1 > d->acap) {
        size_t nc = d->acap ? d->acap * 2 : 4096;
        while (nc < d->alen + e->name_len + 1)
            nc *= 2;
        char *a = realloc(d->arena, nc);
        if (!a)
            return -HUSK_E_NOMEM;
        d->arena = a;
        d->acap = nc;
    }
    memcpy(d->arena + d->alen, e->name, e->name_len);
    d->arena[d->alen + e->name_len] = '\0';
    /* the offset for now; turned into a pointer once the arena stops moving */
    d->v[d->n] = (lc_name){(const char *)(uintptr_t)d->alen, e->name_len, d->n, e->inode};
    d->alen += e->name_len + 1;
    d->n++;
    return 0;
}

static int lc_cmp(const void *pa, const void *pb)
{
    const lc_name *a = pa, *b = pb;
    size_t m = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->name, b->name, m);
    if (c)
        return c;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* The cached listing of dir_ino, listing it first if needed; NULL when it cannot be cached
 * (then *rc says whether listing failed). */
static lc_dir *lc_get(husk_fs *fs, uint64_t dir_ino, int *rc, husk_err *err)
{
    *rc = 0;
    if (!fs->cache_lookups)
        return NULL;
    lc *c = fs->lookup_cache;
    if (!c && !(c = fs->lookup_cache = calloc(1, sizeof *c)))
        return NULL;
    lc_dir *victim = &c->slot[0];
    for (int i = 0; i < LC_SLOTS; i++) {
        lc_dir *d = &c->slot[i];
        if (d->used && d->dir == dir_ino) {
            d->used = ++c->clock;
            return d;
        }
        if (d->used < victim->used)
            victim = d;
    }
    c->total -= victim->n;
    lc_dir_free(victim);
    int r = husk_fs_list_dir(fs, dir_ino, lc_cb, victim, err);
    if (r < 0 || victim->full) {
        lc_dir_free(victim);
        *rc = r < 0 ? r : 0;
        return NULL;
    }
    c->total += victim->n;
    while (c->total > LC_MAX_TOTAL) { /* drop the least recently used others */
        lc_dir *old = NULL;
        for (int i = 0; i < LC_SLOTS; i++)
            if (&c->slot[i] != victim && c->slot[i].used && (!old || c->slot[i].used < old->used))
                old = &c->slot[i];
        if (!old)
            break;
        c->total -= old->n;
        lc_dir_free(old);
    }
    for (size_t i = 0; i < victim->n; i++)
        victim->v[i].name = victim->arena + (uintptr_t)victim->v[i].name;
    if (victim->n > 1)
        qsort(victim->v, victim->n, sizeof *victim->v, lc_cmp);
    victim->dir = dir_ino;
    victim->used = ++c->clock;
    return victim;
}

typedef struct child_find {
    const char *name;
    size_t len;
    uint64_t ino;
    int found;
} child_find;

static int child_cb(const husk_dirent *d, void *ctx)
{
    child_find *f = ctx;
    if (d->name_len == f->len && memcmp(d->name, f->name, f->len) == 0) {
        f->ino = d->inode;
        f->found = 1;
        return 1;
    }
    return 0;
}

int husk_fs_lookup_child(husk_fs *fs, uint64_t dir_ino, const char *name, uint64_t *ino,
                         husk_err *err)
{
    child_find f = {name, strlen(name), 0, 0};
    int r;
    lc_dir *d = lc_get(fs, dir_ino, &r, err);
    if (r < 0)
        return r;
    if (d) {
        lc_name key = {name, f.len, 0, 0};
        size_t lo = 0, hi = d->n;
        while (lo < hi) { /* the first entry not below key (index 0 sorts first) */
            size_t mid = lo + (hi - lo) / 2;
            if (lc_cmp(&d->v[mid], &key) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < d->n && d->v[lo].len == f.len && memcmp(d->v[lo].name, name, f.len) == 0) {
            f.ino = d->v[lo].ino;
            f.found = 1;
        }
    } else if ((r = husk_fs_list_dir(fs, dir_ino, child_cb, &f, err)) < 0) {
        return r;
    }
    if (!f.found)
        return husk_err_set(err, HUSK_E_NOTFOUND, "no entry '%s' in directory inode %llu",
                            name, (unsigned long long)dir_ino);
    *ino = f.ino;
    return 0;
}

#define MAX_SYMLINKS 40
#define MAX_PATH_LEN 4096
#define MAX_DEPTH 256

/*
 * Resolves path component by component. The stack of visited directory inodes makes ".."
 * work after symlinks; absolute symlink targets restart from this file system's root, which
 * is how the node itself saw them.
 */
int husk_fs_lookup(husk_fs *fs, const char *path, int flags, uint64_t *ino, husk_err *err)
{
    char work[MAX_PATH_LEN * 2];
    uint64_t stack[MAX_DEPTH];
    int depth = 0, links = 0;
    if (!path || strlen(path) >= MAX_PATH_LEN)
        return husk_err_set(err, HUSK_E_ARG, "path too long");
    snprintf(work, sizeof work, "%s", path);
    stack[0] = fs->root_inode;
    char *p = work;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        char *end = strchr(p, '/');
        size_t clen = end ? (size_t)(end - p) : strlen(p);
        char comp[256];
        if (clen >= sizeof comp)
            return husk_err_set(err, HUSK_E_ARG, "path component too long");
        memcpy(comp, p, clen);
        comp[clen] = '\0';
        char *rest = p + clen; /* "" or "/..." */
        int last = 1;
        for (char *q = rest; *q; q++)
            if (*q != '/') {
                last = 0;
                break;
            }
        if (strcmp(comp, ".") == 0) {
            p = rest;
            continue;
        }
        if (strcmp(comp, "..") == 0) {
            if (depth > 0)
                depth--;
            p = rest;
            continue;
        }
        uint64_t child;
        int r = husk_fs_lookup_child(fs, stack[depth], comp, &child, err);
        if (r < 0)
            return r;
        husk_stat st;
        r = husk_fs_stat(fs, child, &st, err);
        if (r < 0)
            return r;
        if (st.type == HUSK_FT_SYMLINK && (!last || (flags & HUSK_LOOKUP_FOLLOW))) {
            if (++links > MAX_SYMLINKS)
                return husk_err_set(err, HUSK_E_LIMIT, "too many symbolic links in '%s'", path);
            char target[MAX_PATH_LEN];
            ssize_t tl = husk_fs_readlink(fs, child, target, sizeof target, err);
            if (tl < 0)
                return (int)tl;
            if ((size_t)tl >= sizeof target)
                return husk_err_set(err, HUSK_E_LIMIT, "symbolic link target too long");
            char next[MAX_PATH_LEN * 2];
            int n = snprintf(next, sizeof next, "%s%s", target, rest);
            if (n < 0 || (size_t)n >= sizeof next)
                return husk_err_set(err, HUSK_E_LIMIT, "path too long after symlinks");
            if (target[0] == '/')
                depth = 0;
            memcpy(work, next, (size_t)n + 1);
            p = work;
            continue;
        }
        if (!last && st.type != HUSK_FT_DIR)
            return husk_err_set(err, HUSK_E_NOTFOUND, "'%s' is not a directory in '%s'", comp,
                                path);
        if (depth + 1 >= MAX_DEPTH)
            return husk_err_set(err, HUSK_E_LIMIT, "path too deep");
        stack[++depth] = child;
        p = rest;
    }
    *ino = stack[depth];
    return 0;
}

int husk_fs_read_all(husk_fs *fs, uint64_t ino, size_t max, char **data, size_t *len,
                     husk_err *err)
{
    husk_stat st;
    int r = husk_fs_stat(fs, ino, &st, err);
    if (r < 0)
        return r;
    if (st.size > max)
        return husk_err_set(err, HUSK_E_LIMIT, "file of %llu bytes is over the %zu-byte limit",
                            (unsigned long long)st.size, max);
    size_t want = (size_t)st.size;
    char *buf = malloc(want + 1);
    if (!buf)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    size_t got = 0;
    while (got < want) {
        ssize_t n = husk_fs_read(fs, ino, got, buf + got, want - got, err);
        if (n < 0) {
            free(buf);
            return (int)n;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
}

typedef struct xattr_find {
    const char *name;
    uint8_t *buf;
    size_t bufsize;
    ssize_t len;
} xattr_find;

static int xattr_find_cb(const char *name, const uint8_t *value, size_t value_len, void *ctx)
{
    xattr_find *f = ctx;
    if (strcmp(name, f->name) != 0)
        return 0;
    size_t n = value_len < f->bufsize ? value_len : f->bufsize;
    if (n)
        memcpy(f->buf, value, n);
    f->len = (ssize_t)value_len;
    return 1;
}

ssize_t husk_fs_get_xattr(husk_fs *fs, uint64_t ino, const char *name, uint8_t *buf,
                          size_t bufsize, husk_err *err)
{
    xattr_find f = {name, buf, bufsize, -1};
    int r = husk_fs_list_xattrs(fs, ino, xattr_find_cb, &f, err);
    if (r < 0)
        return r;
    if (f.len < 0)
        return husk_err_set(err, HUSK_E_NOTFOUND, "no extended attribute %s", name);
    return f.len;
}

int husk_name_ok(const char *name, size_t len)
{
    return len > 0 && len <= 255 && !memchr(name, '/', len) && !memchr(name, '\0', len) &&
           !(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.');
}

int husk_stat_is_whiteout(const husk_stat *st)
{
    return st->type == HUSK_FT_CHAR && st->rdev_major == 0 && st->rdev_minor == 0;
}

int husk_fs_is_opaque(husk_fs *fs, uint64_t ino, husk_err *err)
{
    static const char *names[] = {"trusted.overlay.opaque", "user.overlay.opaque"};
    for (size_t i = 0; i < 2; i++) {
        uint8_t v[2];
        husk_err e = {0};
        ssize_t n = husk_fs_get_xattr(fs, ino, names[i], v, sizeof v, &e);
        /* overlayfs treats a directory as opaque only for exactly the 1-byte value "y" */
        if (n == 1 && v[0] == 'y')
            return 1;
        if (n < 0 && e.code != HUSK_E_NOTFOUND) {
            if (err)
                *err = e;
            return (int)n;
        }
    }
    return 0;
}

const char *husk_ftype_name(husk_ftype t)
{
    switch (t) {
    case HUSK_FT_FILE: return "file";
    case HUSK_FT_DIR: return "dir";
    case HUSK_FT_SYMLINK: return "symlink";
    case HUSK_FT_CHAR: return "char";
    case HUSK_FT_BLOCK: return "block";
    case HUSK_FT_FIFO: return "fifo";
    case HUSK_FT_SOCKET: return "socket";
    default: return "unknown";
    }
}

husk_ftype husk_ftype_from_mode(uint32_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return HUSK_FT_FILE;
    case S_IFDIR: return HUSK_FT_DIR;
    case S_IFLNK: return HUSK_FT_SYMLINK;
    case S_IFCHR: return HUSK_FT_CHAR;
    case S_IFBLK: return HUSK_FT_BLOCK;
    case S_IFIFO: return HUSK_FT_FIFO;
    case S_IFSOCK: return HUSK_FT_SOCKET;
    default: return HUSK_FT_UNKNOWN;
    }
}

void husk_time_format(const husk_timespec *t, char *buf, size_t bufsize)
{
    if (!bufsize)
        return;
    buf[0] = '\0';
    if (!t || !t->present)
        return;
    time_t s = (time_t)t->sec;
    struct tm tm;
    if (!gmtime_r(&s, &tm))
        return;
    char base[32];
    if (strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        return;
    snprintf(buf, bufsize, "%s.%09uZ", base, (unsigned)(t->nsec % 1000000000u));
}
