/* A growable byte buffer, always NUL-terminated (like git's strbuf). */
#ifndef HUSK_STRBUF_H
#define HUSK_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct husk_strbuf {
    char *buf; /* never NULL after init; owned */
    size_t len;
    size_t alloc;
} husk_strbuf;

#define HUSK_STRBUF_INIT {NULL, 0, 0}

/* All functions return 0 on success, -1 when memory ran out (the buffer is then unchanged). */
int husk_sb_grow(husk_strbuf *sb, size_t extra);
int husk_sb_add(husk_strbuf *sb, const void *data, size_t len);
int husk_sb_adds(husk_strbuf *sb, const char *s);
int husk_sb_addf(husk_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int husk_sb_vaddf(husk_strbuf *sb, const char *fmt, va_list ap);
void husk_sb_reset(husk_strbuf *sb);
/* Hands the string to the caller (who frees it) and leaves sb empty. */
char *husk_sb_detach(husk_strbuf *sb, size_t *len);
void husk_sb_release(husk_strbuf *sb);
/* Returns the buffer's text, "" when nothing was added yet. */
const char *husk_sb_str(const husk_strbuf *sb);

#endif
