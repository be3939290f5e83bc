/*
 * Container log readers (formats.md section 4).
 *
 * Three layers, each usable on its own so that live files, recovered inodes and carved bytes
 * all go through the same code:
 *   - decoders turn the bytes of one log file into entries, exactly as the driver stored them
 *     (json-file: one JSON object per line; local: length-framed protobuf records);
 *   - the joiner puts the chunks of a long line (Docker splits lines at 16 KiB) back into one
 *     message and numbers messages in the order they started;
 *   - the gzip reader inflates rotated files as a stream, with a bound on the output.
 * Nothing here reads paths or writes the case database: src/logs/docker_logs.c does that.
 *
 * Decoders and the joiner report damaged input to a husk_diag and go on; they return an error
 * only when memory runs out or a callback fails (the callback's code is passed through).
 */
#ifndef HUSK_LOGS_H
#define HUSK_LOGS_H

#include <stddef.h>
#include <stdint.h>

#include "husk/diag.h"
#include "husk/docker.h"
#include "husk/err.h"
#include "husk/strbuf.h"
#include "husk/vfs.h"

/* A json-file line longer than this is reported and skipped up to its newline. Docker writes
 * lines of at most 16 KiB of text (about 96 KiB once escaped), so only damage gets near it. */
#define HUSK_LOG_MAX_LINE (16u << 20)
/* A local-driver record larger than this is rejected, as Docker's reader does (maxMsgLen). */
#define HUSK_LOG_MAX_RECORD 1000000u
/* A message reassembled from chunks is cut (and marked partial) at this size. */
#define HUSK_LOG_MAX_MESSAGE (16u << 20)
/* Docker's copier buffer: a line longer than this is stored as chunks of exactly this size
 * (daemon/logger/copier.go defaultBufSize), the last one holding the rest. */
#define HUSK_LOG_CHUNK 16384u
/* Default bound on the bytes inflated from one gzip file (a bomb stops here). */
#define HUSK_LOG_MAX_GUNZIP (1ull << 30)
/* Damaged lines or records reported one by one per file; the rest are counted. */
#define HUSK_LOG_MAX_REPORTS 20

/* One entry as a log driver stored it: a whole line, or one chunk of a longer one. */
typedef struct husk_log_entry {
    const char *stream; /* NUL-terminated as found: "stdout", "stderr" (evidence text) */
    husk_timespec time; /* UTC; present = 0 when missing or unparseable */
    const char *line;   /* len bytes, without the trailing newline */
    size_t len;
    int more;             /* 1 when the line goes on in the next entry of the same stream */
    const char *chunk_id; /* local: the copier's partial ID, "" when none */
    int64_t ordinal;      /* local: 1-based chunk number, 0 when not a chunk */
    uint64_t offset;      /* byte offset of the entry in the file's (decompressed) bytes */
    const husk_prov *prov;
} husk_log_entry;

/* Entry callback: 0 to go on, <0 (a negative husk_err code, err filled) to stop. */
typedef int (*husk_log_entry_cb)(const husk_log_entry *e, void *ctx, husk_err *err);

/*
 * json-file decoder (daemon/logger/jsonfilelog). Feed it a file's bytes in pieces of any size;
 * husk_jsonfile_end() marks the end of one file (a last line without its newline is decoded if
 * it is whole) and readies the decoder for the next file. object names the file in reports.
 */
typedef struct husk_jsonfile husk_jsonfile;
int husk_jsonfile_new(const husk_prov *prov, husk_log_entry_cb cb, void *ctx, husk_diag *diag,
                      husk_jsonfile **out, husk_err *err);
void husk_jsonfile_set_object(husk_jsonfile *d, const char *object);
int husk_jsonfile_feed(husk_jsonfile *d, const void *buf, size_t len, husk_err *err);
int husk_jsonfile_end(husk_jsonfile *d, husk_err *err);
void husk_jsonfile_free(husk_jsonfile *d);
/* Decodes one json-file line (without its newline) into e; strings point into scratch, which
 * the caller owns (it is reset here). Returns 0; 1 when the entry was decoded but something is
 * wrong with it (stray bytes after it, a time that is not RFC 3339: reason in err); or
 * -HUSK_E_FORMAT (reason in err) or -HUSK_E_NOMEM when there is no entry. */
int husk_jsonfile_decode_line(const char *s, size_t n, husk_strbuf *scratch, husk_log_entry *e,
                              husk_err *err);

/*
 * local-driver decoder (daemon/logger/local): records of uint32be length, protobuf LogEntry,
 * the same length again. Also container-cached.log. A damaged record is reported and the
 * decoder looks for the next valid record; a record cut by the end of the file is reported.
 */
typedef struct husk_localfile husk_localfile;
int husk_localfile_new(const husk_prov *prov, husk_log_entry_cb cb, void *ctx, husk_diag *diag,
                       husk_localfile **out, husk_err *err);
void husk_localfile_set_object(husk_localfile *d, const char *object);
int husk_localfile_feed(husk_localfile *d, const void *buf, size_t len, husk_err *err);
int husk_localfile_end(husk_localfile *d, husk_err *err);
void husk_localfile_free(husk_localfile *d);
/* Decodes one protobuf LogEntry of n bytes into e (strings point into buf or scratch).
 * Returns 0, or -HUSK_E_FORMAT with a reason in err. */
int husk_local_decode_record(const uint8_t *buf, size_t n, husk_strbuf *scratch, husk_log_entry *e,
                             husk_err *err);

/* A whole message: the chunks of one line put back together. */
typedef struct husk_log_msg {
    int64_t seq; /* order in which messages started, from the joiner's first_seq */
    const char *stream;
    husk_timespec time; /* the first chunk's */
    const char *data;   /* len bytes, without the trailing newline */
    size_t len;
    int partial;      /* 1 when the final chunk never came */
    const char *file; /* the tag given with the first chunk */
    uint64_t offset;  /* the first chunk's offset */
    const husk_prov *prov;
} husk_log_msg;

typedef int (*husk_log_msg_cb)(const husk_log_msg *m, void *ctx, husk_err *err);

/*
 * The joiner: consecutive entries of one stream are concatenated until an entry says the line
 * ends (json-file: the log value ends in "\n"; local: no partial metadata, or last = true).
 * Streams are joined independently, so an stderr line between two stdout chunks does not cut
 * the stdout line. Messages go to cb when complete, numbered from first_seq in start order.
 */
typedef struct husk_logjoin husk_logjoin;
int husk_logjoin_new(int64_t first_seq, husk_log_msg_cb cb, void *ctx, husk_diag *diag,
                     husk_logjoin **out, husk_err *err);
/* file: a tag kept with the message (the node path of the file the entry came from). */
int husk_logjoin_add(husk_logjoin *j, const husk_log_entry *e, const char *file, husk_err *err);
/* Emits every unfinished message as partial. */
int husk_logjoin_flush(husk_logjoin *j, husk_err *err);
int64_t husk_logjoin_next_seq(const husk_logjoin *j);
void husk_logjoin_free(husk_logjoin *j);

/*
 * Streaming gzip reader: multi-member, with a bound on the total output (HUSK_E_LIMIT when
 * reached; what came before was delivered). The sink gets decompressed bytes and returns 0 or
 * a negative code that stops the reader.
 */
typedef int (*husk_log_sink)(const void *buf, size_t len, void *ctx, husk_err *err);
typedef struct husk_gunzip husk_gunzip;
int husk_gunzip_new(uint64_t max_out, husk_gunzip **out, husk_err *err);
/* Returns 0, the sink's code, -HUSK_E_FORMAT (damaged stream) or -HUSK_E_LIMIT. */
int husk_gunzip_feed(husk_gunzip *g, const void *buf, size_t len, husk_log_sink sink, void *ctx,
                     husk_err *err);
/* End of the compressed bytes: -HUSK_E_FORMAT when the stream was cut short. */
int husk_gunzip_end(husk_gunzip *g, husk_err *err);
uint64_t husk_gunzip_total_out(const husk_gunzip *g);
/* Carving mode (src/recover/carve.c inflates members found in free space), set before the
 * first feed: stop at the end of the first member, since the bytes after it belong to
 * something else (the rest of the input is ignored, without an error); and when the data is
 * damaged, hand the sink what zlib inflated before it found the damage, as the carver checks
 * every line it takes from it. */
void husk_gunzip_carving(husk_gunzip *g);
/* Members inflated to their end so far. */
unsigned husk_gunzip_members(const husk_gunzip *g);
/* The first member's FEXTRA {"lastTime": ...} (Docker's rotation writes it), if there was one. */
int husk_gunzip_last_time(const husk_gunzip *g, husk_timespec *t);
void husk_gunzip_free(husk_gunzip *g);

/* Parses an RFC 3339 time ("2026-11-30T02:05:08.1234Z", "...+02:00"; 0-9+ fraction digits)
 * into UTC. Returns 0 or -1. */
int husk_log_time_parse(const char *s, size_t n, husk_timespec *t);
/* Formats t in the case database's form, "2026-11-30T02:05:08.123400000Z" (>= 31 bytes);
 * "" when absent or outside years 0000-9999. */
void husk_log_time_format(const husk_timespec *t, char *buf, size_t bufsize);
/* Unix nanoseconds (the local driver's time_nano) to a timespec. */
husk_timespec husk_log_time_from_ns(int64_t ns);

/* CRI logs (src/logs/cri_logs.c). Decodes one line ("<time> <stream> <P|F>[:tags] <text>",
 * without its newline) into e (e->line points into s; e->more for P). 0 or -HUSK_E_FORMAT. */
int husk_crilog_decode_line(const char *s, size_t n, husk_log_entry *e, husk_err *err);
/* Reads the CRI log file log_path (a path on fs, "/var/log/pods/.../0.log") and its rotated
 * and compressed predecessors, oldest first, into logs rows (source "cri") of container_id,
 * with prov's provenance. Damage goes to diag; only case-database failures are errors. */
int husk_cri_logs(husk_fs *fs, const char *log_path, const char *container_id,
                  const husk_prov *prov, husk_casedb *db, husk_diag *diag, husk_err *err);

#endif
