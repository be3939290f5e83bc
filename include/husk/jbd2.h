/*
 * husk's reader of the jbd2 journal (ext3/ext4), written for two users:
 *
 *  - the replay overlay (src/recover/replay.c), which needs exactly what the kernel would
 *    write back at mount: husk_jbd2_replay() follows fs/jbd2/recovery.c (PASS_SCAN,
 *    PASS_REVOKE, PASS_REPLAY) and yields a map "file-system block -> journal block";
 *  - recovery of deleted files, which needs every old copy of a block that is still in the
 *    log, replayable or not: husk_jbd2_index() scans every block of the log area and lists
 *    each tagged copy with its transaction, commit time, checksum verdict and revocation.
 *
 * libtsk's jls/jcat cannot serve either: they print to stdout and mis-parse 64-bit and
 * csum-v3 tags (recovery.md 2.8). The format is recovery.md section 2 and the kernel's
 * include/linux/jbd2.h; all jbd2 fields are big-endian.
 *
 * The journal is read through a callback (the journal inode's bytes; the file system's own
 * reader in practice), so this module does no I/O of its own and is unit-tested on journals
 * built in memory. Every number taken from the journal is bounded: blocks outside the log or
 * the file system, tag and revoke counts, and walks that would not end are reported to the
 * diag sink and skipped.
 */
#ifndef HUSK_JBD2_H
#define HUSK_JBD2_H

#include <stddef.h>
#include <stdint.h>

#include "husk/diag.h"
#include "husk/err.h"

#define HUSK_JBD2_MAGIC 0xC03B3998u

/* h_blocktype */
enum {
    HUSK_JBD2_DESCRIPTOR = 1,
    HUSK_JBD2_COMMIT = 2,
    HUSK_JBD2_SUPERBLOCK_V1 = 3,
    HUSK_JBD2_SUPERBLOCK_V2 = 4,
    HUSK_JBD2_REVOKE = 5,
    HUSK_JBD2_FC = 6,
};

#define HUSK_JBD2_COMPAT_CHECKSUM 0x1 /* v1 transaction checksum (crc32_be) */
#define HUSK_JBD2_INCOMPAT_REVOKE 0x1
#define HUSK_JBD2_INCOMPAT_64BIT 0x2
#define HUSK_JBD2_INCOMPAT_ASYNC_COMMIT 0x4
#define HUSK_JBD2_INCOMPAT_CSUM_V2 0x8
#define HUSK_JBD2_INCOMPAT_CSUM_V3 0x10
#define HUSK_JBD2_INCOMPAT_FAST_COMMIT 0x20

/* Tag flags (the big-endian u16 at tag offset 6, for every tag format). */
#define HUSK_JBD2_FLAG_ESCAPE 0x1    /* the block began with the magic; stored with it zeroed */
#define HUSK_JBD2_FLAG_SAME_UUID 0x2 /* no 16-byte UUID follows the tag */
#define HUSK_JBD2_FLAG_DELETED 0x4
#define HUSK_JBD2_FLAG_LAST_TAG 0x8

/* Reads exactly len bytes at byte off of the journal (the journal inode's data). Returns 0 or
 * a negative husk_err code with err filled. */
typedef int (*husk_jbd2_read_fn)(void *ctx, uint64_t off, void *buf, size_t len, husk_err *err);

typedef struct husk_jbd2_sb {
    uint32_t version; /* 1 or 2 (block type 3 or 4) */
    uint32_t blocksize;
    uint32_t maxlen;   /* blocks in the journal */
    uint32_t first;    /* first block of the log area */
    uint32_t last;     /* end of the log area (exclusive): maxlen less the fast-commit area */
    uint32_t sequence; /* first transaction expected at start */
    uint32_t start;    /* first block of the log; 0 = nothing to replay */
    int32_t error;     /* s_errno */
    uint32_t feature_compat, feature_incompat, feature_ro_compat;
    uint8_t uuid[16];
    uint8_t checksum_type; /* 1 crc32, 2 md5, 3 sha1, 4 crc32c */
    uint32_t num_fc_blocks;
    uint32_t nr_users;
    int csum_v2or3;     /* tags, descriptors, revokes and commits carry crc32c checksums */
    int sb_csum_ok;     /* 1 ok, 0 bad, -1 not checksummed */
    uint32_t tag_bytes; /* 8, 12 (64-bit), 14 (v2 + 64-bit; 10 without) or 16 (v3) */
    uint32_t csum_seed; /* crc32c(~0, uuid) */
} husk_jbd2_sb;

typedef struct husk_jbd2 husk_jbd2;

/*
 * Parses the journal superblock (journal block 0) and checks it as the kernel does
 * (load_superblock, journal_get_superblock). journal_size is the journal inode's size in
 * bytes; fs_block_size must equal the journal's block size (an internal journal uses the file
 * system's); fs_blocks bounds the block numbers the journal may name (0: no bound).
 */
int husk_jbd2_open(husk_jbd2_read_fn read, void *ctx, uint64_t journal_size, uint32_t fs_block_size,
                   uint64_t fs_blocks, husk_jbd2 **out, husk_err *err);
void husk_jbd2_close(husk_jbd2 *j);
const husk_jbd2_sb *husk_jbd2_superblock(const husk_jbd2 *j);

/* Reads journal block jblock (block_size bytes) as stored. */
/* Where journal block 0 lies in the image (bytes), so that damage reports carry an offset;
 * -1 (the default) when unknown, e.g. a journal not in one run of blocks. */
void husk_jbd2_set_origin(husk_jbd2 *j, int64_t byte);

int husk_jbd2_read_block(husk_jbd2 *j, uint64_t jblock, uint8_t *buf, husk_err *err);

/* ---- (a) the index: every copy still in the log --------------------------------------- */

typedef struct husk_jbd2_copy {
    uint64_t fs_block;         /* where the block lives in the file system */
    uint64_t journal_block;    /* where this copy lies in the journal */
    uint64_t descriptor_block; /* the descriptor block that tagged it */
    uint32_t sequence;         /* transaction ID of the descriptor */
    uint32_t flags;            /* tag flags (HUSK_JBD2_FLAG_*) */
    int csum;            /* 1: the data block is the one the descriptor described (tag checksum
                            matches); 0: it is not (overwritten since, or damaged); -1: the
                            journal has no tag checksums */
    int descriptor_csum; /* the descriptor's own tail checksum: 1 ok, 0 bad, -1 none */
    int committed;       /* a commit block for this sequence is in the log */
    int64_t commit_sec;  /* its commit time (committed only) */
    uint32_t commit_nsec;
    int revoked;              /* a revoke record for fs_block in this or a later transaction */
    uint32_t revoke_sequence; /* the latest such revoking transaction */
} husk_jbd2_copy;

typedef struct husk_jbd2_revoke {
    uint64_t fs_block;
    uint64_t journal_block; /* the revoke block */
    uint32_t sequence;
    int csum; /* revoke block tail checksum: 1 ok, 0 bad, -1 none */
} husk_jbd2_revoke;

typedef struct husk_jbd2_commit {
    uint32_t sequence;
    uint64_t journal_block;
    int64_t sec;
    uint32_t nsec;
    int csum; /* commit block checksum (v2/v3): 1 ok, 0 bad, -1 none */
} husk_jbd2_commit;

/*
 * Scans every block of the log area [first, last), not only the live part from s_start (a
 * cleanly unmounted journal has s_start 0 but keeps its old transactions), and builds the
 * index. Damaged blocks are reported to diag and skipped. Builds once; later calls return 0.
 */
int husk_jbd2_index(husk_jbd2 *j, husk_diag *diag, husk_err *err);

/* Every copy of fs_block in the index, ordered by sequence then journal block; returns how
 * many and points *out at the first (valid until husk_jbd2_close). 0 when none. */
size_t husk_jbd2_copies(const husk_jbd2 *j, uint64_t fs_block, const husk_jbd2_copy **out);
/* The whole index, ordered by file-system block, then sequence. */
const husk_jbd2_copy *husk_jbd2_all_copies(const husk_jbd2 *j, size_t *n);
const husk_jbd2_revoke *husk_jbd2_revokes(const husk_jbd2 *j, size_t *n); /* by fs block */
const husk_jbd2_commit *husk_jbd2_commits(const husk_jbd2 *j, size_t *n); /* by block */
/* Reads a copy's block with an escaped magic restored, as the file system would see it. */
int husk_jbd2_read_copy(husk_jbd2 *j, const husk_jbd2_copy *c, uint8_t *buf, husk_err *err);

/* ---- (b) replay: what the kernel would write back at mount ---------------------------- */

typedef struct husk_jbd2_replay_stats {
    int needed;              /* s_start != 0 */
    uint32_t start_sequence; /* transactions [start_sequence, end_sequence) replay */
    uint32_t end_sequence;
    uint32_t transactions; /* end - start */
    uint64_t writes;       /* blocks written in order (the kernel's nr_replays) */
    uint64_t blocks;       /* distinct file-system blocks replaced */
    uint64_t revokes, revoke_hits;
    uint64_t skipped; /* tags skipped: bad checksum, block out of range, unreadable */
    uint32_t log_end; /* journal block where the scan stopped */
} husk_jbd2_replay_stats;

typedef struct husk_jbd2_mapping {
    uint64_t fs_block;
    uint64_t journal_block;
    uint32_t sequence;
    int escaped;
} husk_jbd2_mapping;

/*
 * Computes the replay as fs/jbd2/recovery.c does it, in memory: PASS_SCAN from s_start and
 * s_sequence to the first incomplete transaction, PASS_REVOKE, PASS_REPLAY (each tagged block
 * unless revoked in its own or a later transaction; tags with a bad checksum skipped; the
 * last write of a block wins). Where the kernel would refuse the whole journal (a checksum
 * failure inside a transaction that is not stale), husk keeps the complete transactions before
 * it and reports the damage. Runs once.
 */
int husk_jbd2_replay(husk_jbd2 *j, husk_diag *diag, husk_err *err);
const husk_jbd2_replay_stats *husk_jbd2_stats(const husk_jbd2 *j);
/* The replay map, ordered by file-system block, one entry per block. */
const husk_jbd2_mapping *husk_jbd2_replay_map(const husk_jbd2 *j, size_t *n);
/* The entry for fs_block, or NULL when the replay leaves that block alone. */
const husk_jbd2_mapping *husk_jbd2_replayed(const husk_jbd2 *j, uint64_t fs_block);
/* Reads the replayed contents of a mapped block (escape restored). */
int husk_jbd2_read_mapping(husk_jbd2 *j, const husk_jbd2_mapping *m, uint8_t *buf, husk_err *err);

#endif
