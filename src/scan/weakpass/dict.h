/* Candidate passwords and the password quality rule. A dict_t holds every
 * word of the lists a password is checked against (the built-in list that is
 * compiled into vigil, john's password.lst, /usr/share/dict word lists, a
 * user's dictionary) once each, in the order they were added, with the list
 * each word came from. Words are kept in one arena and found again through a
 * hash table, so lookups for the quality rule and deduplication are O(1).
 *
 * Every list is attacker-writable in the worst case, so lines are capped at
 * DICT_WORD_MAX bytes (longer ones are skipped and counted), the bytes read
 * and the number of distinct words have hard caps, and nothing in a list is
 * ever interpreted. The arena holds candidate passwords, one of which may be
 * a user's real password: dict_free wipes it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"

/* Longest candidate in bytes; longer lines are skipped. */
#define DICT_WORD_MAX 256
/* Default cap on bytes read from dictionary files, all files together. */
#define DICT_DEFAULT_MAX_BYTES (256 * MiB)
/* Cap on distinct words (about 128 MiB of index at the cap). */
#define DICT_MAX_WORDS (8u * 1024 * 1024)
/* Sources a dict can name (a source id fits in one byte). */
#define DICT_MAX_SOURCES 250
/* Room for a masked hint such as "p******* (9 characters)". */
#define DICT_HINT_MAX 64

typedef enum dict_kind {
        DICT_KIND_EMPTY,        /* the empty password */
        DICT_KIND_NAME_VARIANT, /* made from the account name */
        DICT_KIND_BUILTIN,      /* vigil's compiled-in list */
        DICT_KIND_JOHN,         /* John the Ripper's password.lst */
        DICT_KIND_SYSTEM,       /* a word list under /usr/share/dict */
        DICT_KIND_CUSTOM,       /* the user's dictionary from the config */
} dict_kind_t;

typedef struct dict dict_t;

/* What loading one list did; all counters add up over calls. */
typedef struct dict_load_stats {
        size_t lines;      /* non-empty, non-comment lines seen */
        size_t added;      /* new distinct words */
        size_t duplicates; /* words already in the dict */
        size_t too_long;   /* lines over DICT_WORD_MAX bytes, skipped */
        size_t binary;     /* lines holding a NUL byte, skipped */
        size_t bytes;      /* bytes read */
} dict_load_stats_t;

/* Create an empty dict that reads at most MAX_BYTES from lists in total
 * (dict_load_buffer and dict_load_fd count against it; the built-in list
 * does not). Returns 0 or -ENOMEM. Free with dict_free. */
int dict_new(size_t max_bytes, dict_t **ret);
/* Wipe and free. Accepts NULL. */
void dict_free(dict_t *d);
static inline void dict_freep(dict_t **d)
{
        dict_free(*d);
}
#define _cleanup_dict_ _cleanup_(dict_freep)

/* Register a list. LABEL names it in findings (copied), e.g.
 * "/usr/share/dict/words". Returns 0 and the id in *RET_ID, -E2BIG after
 * DICT_MAX_SOURCES sources, or -ENOMEM. */
int dict_add_source(dict_t *d, dict_kind_t kind, const char *label, unsigned *ret_id);
dict_kind_t dict_source_kind(const dict_t *d, unsigned source);
/* Borrowed; valid while D lives. */
const char *dict_source_label(const dict_t *d, unsigned source);

/* Add one word of N bytes from SOURCE. Returns 1 when added, 0 when it was
 * already there, -EINVAL when it is empty, too long or holds a NUL or a
 * newline, -E2BIG at DICT_MAX_WORDS, -ENOMEM. */
int dict_add_word(dict_t *d, unsigned source, const char *w, size_t n);

/* Add the lines of DATA (LEN bytes) as words of SOURCE. Lines are ended by
 * "\n" (a "\r" before it is dropped); empty lines and lines starting with
 * "#!comment" are skipped. Returns 0, -E2BIG when the read cap or the word
 * cap was reached (the words before that point were added; ST says how far
 * it got), or -ENOMEM. ST may not be NULL. */
int dict_load_buffer(dict_t *d, unsigned source, const char *data, size_t len,
                     dict_load_stats_t *st);
/* The same for a file descriptor, read in pieces so a big list is never held
 * twice. Returns as above, or a negative errno from read(). */
int dict_load_fd(dict_t *d, unsigned source, int fd, dict_load_stats_t *st);
/* Add the compiled-in list (rules/passwords/builtin.txt) under a source of
 * kind DICT_KIND_BUILTIN. Returns 0 or a negative errno as above. */
int dict_load_builtin(dict_t *d, dict_load_stats_t *st);

/* Number of words. */
size_t dict_size(const dict_t *d);
/* Word I (0 <= I < dict_size), NUL-terminated, borrowed; its length in
 * *RET_LEN and its source in *RET_SOURCE (either may be NULL). */
const char *dict_word(const dict_t *d, size_t i, size_t *ret_len, unsigned *ret_source);
/* True when W (N bytes) is in the dict; its index in *RET_INDEX (may be NULL). */
bool dict_find(const dict_t *d, const char *w, size_t n, size_t *ret_index);

/* The quality rule of FACTS.md: a password is weak when it is shorter than 8
 * characters, uses fewer than 3 character classes (lower case, upper case,
 * digits, anything else), or is in a list. Returns a mask of the reasons
 * (0: not weak). For DICT_WEAK_LISTED the list is in *RET_SOURCE (may be
 * NULL); the lookup tries the password as given and in lower case. */
enum {
        DICT_WEAK_SHORT = 1 << 0,
        DICT_WEAK_CLASSES = 1 << 1,
        DICT_WEAK_LISTED = 1 << 2,
};
unsigned dict_password_weakness(const dict_t *d, const char *pw, size_t n, unsigned *ret_source);

/* Number of characters in PW (UTF-8 code points when PW is valid UTF-8,
 * bytes otherwise). */
size_t dict_char_count(const char *pw, size_t n);

/* A hint that helps the owner recognise a password without revealing it:
 * "empty", or the first character and the length ("p******* (9
 * characters)"); passwords shorter than 6 characters and those starting
 * with a non-printable or non-ASCII byte show no character at all. OUT gets
 * at least DICT_HINT_MAX bytes. */
void dict_mask_hint(const char *pw, size_t n, char *out, size_t outlen);
