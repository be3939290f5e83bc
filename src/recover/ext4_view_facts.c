/*
 * Facts of an ext4 recovered view (src/recover/ext4_view.h): the (directory, name, child)
 * bindings the names are made from (ext4_view_names.c).
 *
 * They come from (a) every journal copy of a directory block, attributed to its directory by
 * the directory's inode copies (or by its "." entry) and, with metadata_csum, confirmed by
 * the block's tail checksum, which is seeded with the directory's inode number and
 * generation; (b) the blocks of recovered directories on disk, which often keep their last
 * entries because the wiped version was journaled and revoked together with the free
 * (recovery.md 1.2); only blocks whose checksum is still the directory's are read. Where the
 * entries of a recovered directory came from sets how sure the view is of it.
 */
#include <stdlib.h>
#include <string.h>

#include "ext4_view.h"
#include "husk/jbd2.h"

int64_t e4v_name_add(e4v_view *v, const void *name, size_t len)
{
    if (v->names.len > (size_t)UINT32_MAX - 512)
        return -1;
    size_t off = v->names.len;
    if (husk_sb_add(&v->names, name, len) != 0 || husk_sb_add(&v->names, "", 1) != 0)
        return -1;
    return (int64_t)off;
}

uint64_t e4v_hash(uint64_t dir, uint32_t gen, uint64_t child, const uint8_t *name, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    const uint64_t parts[3] = {dir, gen, child};
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 8; k++)
            h = (h ^ ((parts[i] >> (8 * k)) & 0xff)) * 1099511628211ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ name[i]) * 1099511628211ULL;
    return h ? h : 1;
}

static int fact_add(e4v_view *v, uint64_t dir, uint32_t gen, int gen_known, const e4r_dirent *d,
                    uint32_t seq, int src)
{
    if (!e4r_name_ok(d->name, d->name_len))
        return 0;
    uint64_t key = e4v_hash(dir, gen_known ? gen : 0xFFFFFFFFu, d->inode, d->name, d->name_len);
    uint32_t k;
    if (e4v_map_get(&v->fact_seen, key, &k) == 0) {
        e4v_fact *f = &v->facts[k];
        if (seq > f->seq)
            f->seq = seq;
        if (src != E4V_FACT_SLACK)
            f->src = (uint8_t)src;
        return 0;
    }
    if (v->nfact >= E4V_MAX_FACTS) {
        e4v_report(v, "directories", "more than %u names found: the rest left out", E4V_MAX_FACTS);
        return 1;
    }
    if (v->nfact >= v->capfact) {
        size_t nc = v->capfact ? v->capfact * 2 : 1024;
        e4v_fact *p = realloc(v->facts, nc * sizeof *p);
        if (!p)
            return -1;
        v->facts = p;
        v->capfact = nc;
    }
    int64_t off = e4v_name_add(v, d->name, d->name_len);
    if (off < 0 || e4v_map_put(&v->fact_seen, key, (uint32_t)v->nfact) != 0)
        return -1;
    e4v_fact *f = &v->facts[v->nfact++];
    f->dir_ino = dir;
    f->dir_gen = gen;
    f->dir_gen_known = (uint8_t)gen_known;
    f->child_ino = d->inode;
    f->ftype = d->file_type;
    f->name_len = d->name_len;
    f->src = (uint8_t)src;
    f->seq = seq;
    f->name_off = (uint32_t)off;
    return 0;
}

static int gather_cb(const e4r_dirent *d, void *ctx)
{
    e4v_dirents *b = ctx;
    if (!d->slack && d->name_len == 1 && d->name[0] == '.') {
        if (d->offset == 0)
            b->dot = d->inode;
        return 0;
    }
    if (!d->slack && d->name_len == 2 && d->name[0] == '.' && d->name[1] == '.') {
        b->dotdot = d->inode;
        return 0;
    }
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 64;
        e4r_dirent *p = realloc(b->v, nc * sizeof *p);
        if (!p)
            return -1;
        b->v = p;
        b->cap = nc;
    }
    b->v[b->n++] = *d;
    return 0;
}

int e4v_gather(e4v_view *v, const uint8_t *blk, e4v_dirents *b, e4r_dirblock *kind)
{
    b->n = 0;
    b->dot = b->dotdot = 0;
    int r = e4r_dir_block_walk(blk, v->sb.block_size, v->sb.inodes_count, 1, gather_cb, b, kind);
    if (r == -1 && *kind == 0)
        return 0;
    return r < 0 ? -1 : 1;
}

static int add_block_facts(e4v_view *v, const e4v_dirents *b, uint64_t dir, uint32_t gen,
                           int gen_known, uint32_t seq, int src)
{
    for (size_t i = 0; i < b->n; i++) {
        int r =
            fact_add(v, dir, gen, gen_known, &b->v[i], seq, b->v[i].slack ? E4V_FACT_SLACK : src);
        if (r)
            return r;
    }
    return 0;
}

/* Records a recovered directory's ".." when the incarnation is one of the view's objects. */
static void note_dir_block(e4v_view *v, uint64_t dir, uint32_t gen, uint32_t dotdot)
{
    const e4v_inc *in = e4v_inc_find(v, dir, gen);
    if (!in || in->obj < 0)
        return;
    e4v_obj *o = &v->objs[in->obj];
    o->journal_dir_blocks++;
    if (dotdot && !o->dotdot)
        o->dotdot = dotdot;
}

/*
 * The owner of a journal copy of block b taken in transaction seq: among the directory copies
 * mapping b, the one whose transactions span seq, else the nearest. With metadata_csum the
 * block's tail checksum must be the owner's; a block whose "." names another directory
 * belongs to that one.
 */
static const e4v_owner *pick_owner(e4v_view *v, const e4v_owner *o, size_t n, uint32_t seq,
                                   const uint8_t *blk, uint32_t dot)
{
    const e4v_owner *best = NULL;
    uint64_t best_d = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        if (dot && o[i].ino != dot)
            continue;
        if (v->csum) {
            int c = e4r_dir_block_csum(blk, v->sb.block_size,
                                       e4r_inode_seed(v->fs_seed, (uint32_t)o[i].ino, o[i].gen));
            if (c == 0)
                continue;
        }
        uint64_t d = seq < o[i].seq_lo   ? o[i].seq_lo - seq
                     : seq > o[i].seq_hi ? seq - o[i].seq_hi
                                         : 0;
        if (d < best_d) {
            best = &o[i];
            best_d = d;
        }
    }
    return best;
}

/* (a) every journal copy of a directory block. */
static int journal_facts(e4v_view *v, e4v_dirents *be)
{
    size_t nc;
    const husk_jbd2_copy *all = husk_jbd2_all_copies(v->j, &nc);
    size_t ow = 0;
    for (size_t i = 0; i < nc;) {
        uint64_t b = all[i].fs_block;
        size_t k = i;
        while (k < nc && all[k].fs_block == b)
            k++;
        while (ow < v->nowner && v->owners[ow].block < b)
            ow++;
        size_t on = 0;
        while (ow + on < v->nowner && v->owners[ow + on].block == b)
            on++;
        for (size_t c = i; c < k; c++) {
            if (all[c].csum == 0 || !all[c].committed)
                continue;
            if (husk_jbd2_read_copy(v->j, &all[c], v->blk, NULL) != 0)
                continue;
            e4r_dirblock kind = 0;
            int g = e4v_gather(v, v->blk, be, &kind);
            if (g < 0)
                return -1;
            if (g == 0)
                continue;
            v->dir_blocks_parsed++;
            const e4v_owner *o =
                on ? pick_owner(v, &v->owners[ow], on, all[c].sequence, v->blk, be->dot) : NULL;
            int r = 0;
            if (o) {
                r = add_block_facts(v, be, o->ino, o->gen, 1, all[c].sequence, E4V_FACT_JOURNAL);
                note_dir_block(v, o->ino, o->gen, be->dotdot);
            } else if (be->dot) {
                /* the first block of a directory whose inode copies are gone: its "." says
                 * whose it is, the transaction says which incarnation */
                r = add_block_facts(v, be, be->dot, 0, 0, all[c].sequence, E4V_FACT_JOURNAL);
            } else if (be->n) {
                v->dir_blocks_foreign++;
            }
            if (r)
                return r;
        }
        i = k;
    }
    return 0;
}

/* A recovered directory is as good as the entries it lists: its own blocks on disk, checked
 * by their checksum, or journal copies of them. */
static void dir_confidence(e4v_view *v, e4v_obj *o, size_t kept, size_t foreign)
{
    if (kept) {
        o->conf = v->csum ? 0.9 : 0.6;
        e4v_how(o, "%zu of its directory blocks on disk still hold its last entries%s", kept,
                v->csum ? " (their checksums are this directory's)" : "");
    } else if (o->journal_dir_blocks) {
        o->conf = 0.8;
        e4v_how(o, "its entries come from %u journal cop%s of its blocks", o->journal_dir_blocks,
                o->journal_dir_blocks == 1 ? "y" : "ies");
    } else {
        o->conf = 0.3;
        e4v_how(o, "none of its entries survive");
    }
    if (foreign)
        e4v_how(o, "%zu of its directory blocks hold something else today", foreign);
}

/* (b) the blocks of recovered directories as they are on disk. */
static int disk_facts(e4v_view *v, e4v_dirents *be)
{
    for (size_t i = 0; i < v->nobj; i++) {
        e4v_obj *o = &v->objs[i];
        if (o->src != E4V_SRC_JOURNAL || o->st.type != HUSK_FT_DIR)
            continue;
        uint32_t seed = e4r_inode_seed(v->fs_seed, (uint32_t)o->ino, o->gen);
        size_t blocks = 0, foreign = 0, kept = 0;
        for (size_t x = 0; x < o->next; x++) {
            const e4r_extent *e = &o->ext[x];
            for (uint32_t k = 0; k < e->len && !e->unwritten; k++) {
                if (++blocks > E4V_MAX_DIR_BLOCKS) {
                    e4v_report(v, "directories", "directory inode %llu: only %u blocks read",
                               (unsigned long long)o->ino, E4V_MAX_DIR_BLOCKS);
                    goto next;
                }
                if (e4v_read_block(v, e->pblk + k, v->blk, NULL) != 0)
                    continue;
                int c = v->csum ? e4r_dir_block_csum(v->blk, v->sb.block_size, seed) : -1;
                e4r_dirblock kind = 0;
                int g = e4v_gather(v, v->blk, be, &kind);
                if (g < 0)
                    return -1;
                if (g == 1 && kind == E4R_DIR_DX_NODE)
                    continue; /* an htree index holds no names, whoever's it is */
                /* whose is it? the checksum says so (an htree root has none of the leaf kind:
                 * its "." must name this directory); without checksums, a block allocated
                 * again is someone else's, and a first block must name this directory "." */
                int mine = c == 1 ||
                           (c == -1 && v->csum && g == 1 && kind == E4R_DIR_DX_ROOT &&
                            be->dot == o->ino) ||
                           (!v->csum && g == 1 && e4v_block_allocated(v, e->pblk + k) != 1 &&
                            (e->lblk + k != 0 || be->dot == o->ino));
                if (!mine || g == 0) {
                    foreign++;
                    continue;
                }
                kept++;
                v->dir_blocks_parsed++;
                if (be->dotdot && !o->dotdot)
                    o->dotdot = be->dotdot;
                int r = add_block_facts(v, be, o->ino, o->gen, 1, o->seq, E4V_FACT_DISK);
                if (r)
                    return r;
                o = &v->objs[i];
            }
        }
    next:
        v->dir_blocks_foreign += foreign;
        dir_confidence(v, o, kept, foreign);
    }
    return 0;
}

int e4v_collect_facts(e4v_view *v, husk_err *err)
{
    e4v_dirents be = {NULL, 0, 0, 0, 0};
    int rc = journal_facts(v, &be);
    if (rc >= 0)
        rc = disk_facts(v, &be);
    free(be.v);
    return rc < 0 ? husk_err_set(err, HUSK_E_NOMEM, "out of memory") : 0;
}
