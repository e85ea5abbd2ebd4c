#include "scan/weakpass/shadow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/text.h"

static bool is_crypt64(char c)
{
        return c == '.' || c == '/' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
               (c >= 'a' && c <= 'z');
}

shadow_state_t shadow_classify(const char *field)
{
        if (!field[0])
                return SHADOW_EMPTY;
        if (field[0] == '*')
                return SHADOW_DISABLED;
        if (field[0] == '!') {
                /* "!" and "!!" mean "no password set"; "!" followed by a
                 * hash is a password that passwd -l locked. */
                const char *rest = field + 1;
                while (*rest == '!')
                        rest++;
                if (!*rest || *rest == '*')
                        return SHADOW_DISABLED;
                return SHADOW_LOCKED;
        }
        return SHADOW_HASH;
}

const char *shadow_hash_type(const char *hash)
{
        static const struct {
                const char *prefix;
                const char *name;
        } prefixes[] = {
                { "$y$", "yescrypt" }, { "$gy$", "gost-yescrypt" }, { "$7$", "scrypt" },
                { "$2a$", "bcrypt" },  { "$2b$", "bcrypt" },        { "$2y$", "bcrypt" },
                { "$2x$", "bcrypt" },  { "$6$", "sha512crypt" },    { "$5$", "sha256crypt" },
                { "$1$", "md5crypt" }, { "$md5", "sunmd5" },        { "$sha1$", "sha1crypt" },
                { "$3$", "nt" },
        };
        size_t n;

        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (str_startswith(hash, prefixes[i].prefix))
                        return prefixes[i].name;
        if (hash[0] == '_')
                return "bsdicrypt";
        n = strlen(hash);
        for (size_t i = 0; i < n; i++)
                if (!is_crypt64(hash[i]))
                        return "unknown";
        if (n == 13)
                return "descrypt";
        if (n > 13 && (n - 13) % 11 == 0)
                return "bigcrypt";
        return "unknown";
}

void shadow_db_clear(shadow_db_t *db)
{
        for (size_t i = 0; i < db->n; i++) {
                shadow_entry_t *e = &db->entries[i];
                free(e->name);
                if (e->password)
                        explicit_bzero(e->password, strlen(e->password));
                free(e->password);
                free(e->shell);
        }
        free(db->entries);
        *db = (shadow_db_t){ 0 };
}

const shadow_entry_t *shadow_db_find(const shadow_db_t *db, const char *name)
{
        for (size_t i = 0; i < db->n; i++)
                if (strcmp(db->entries[i].name, name) == 0)
                        return &db->entries[i];
        return NULL;
}

/* A line split at its colons; fields point into the line. */
#define MAX_FIELDS 16
typedef struct fields {
        const char *p[MAX_FIELDS];
        size_t n[MAX_FIELDS];
        size_t count; /* number of fields, MAX_FIELDS + 1 when there were more */
} fields_t;

static void split(const char *p, size_t n, fields_t *f)
{
        size_t start = 0;

        f->count = 0;
        for (size_t i = 0; i <= n; i++) {
                if (i < n && p[i] != ':')
                        continue;
                if (f->count == MAX_FIELDS) {
                        f->count = MAX_FIELDS + 1;
                        return;
                }
                f->p[f->count] = p + start;
                f->n[f->count] = i - start;
                f->count++;
                start = i + 1;
        }
}

typedef enum db_format {
        FORMAT_SHADOW,
        FORMAT_PASSWD,
} db_format_t;

static int warn(report_t *r, shadow_db_t *db, const char *source, size_t line, const char *msg)
{
        _cleanup_free_ char *where = NULL;

        db->bad_lines++;
        if (!r)
                return 0;
        where = str_printf("%s:%zu", source, line);
        if (!where || report_note(r, REPORT_NOTE_WARNING, where, "%s", msg) < 0)
                return -ENOMEM;
        return 0;
}

static bool field_is_number(const char *p, size_t n, long long *ret)
{
        long long v = 0;

        if (n == 0 || n > 18)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (p[i] < '0' || p[i] > '9')
                        return false;
                v = v * 10 + (p[i] - '0');
        }
        *ret = v;
        return true;
}

static int add_entry(shadow_db_t *db, const fields_t *f, db_format_t fmt, size_t line)
{
        shadow_entry_t e = { .line = line, .uid = -1 };

        if (db->n == db->cap) {
                size_t cap = db->cap ? db->cap * 2 : 32;
                shadow_entry_t *v = realloc(db->entries, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                db->entries = v;
                db->cap = cap;
        }
        e.name = str_ndup(f->p[0], f->n[0]);
        e.password = str_ndup(f->p[1], f->n[1]);
        if (fmt == FORMAT_PASSWD) {
                long long uid;
                if (field_is_number(f->p[2], f->n[2], &uid))
                        e.uid = uid;
                e.shell = str_ndup(f->p[6], f->n[6]);
        }
        if (!e.name || !e.password || (fmt == FORMAT_PASSWD && !e.shell)) {
                free(e.name);
                free(e.password);
                free(e.shell);
                return -ENOMEM;
        }
        e.state = shadow_classify(e.password);
        db->entries[db->n++] = e;
        return 0;
}

/* Names seen so far, for the duplicate test: open addressing over entry
 * index + 1, kept at most half full. An attacker-written file may hold
 * hundreds of thousands of lines, so a linear search is not an option. */
typedef struct name_index {
        uint32_t *slots;
        size_t size;
} name_index_t;

static size_t index_slot(const name_index_t *ix, const shadow_db_t *db, const char *name, size_t n)
{
        size_t mask = ix->size - 1, i = (size_t)hash_fnv1a(name, n) & mask;

        while (ix->slots[i]) {
                const char *other = db->entries[ix->slots[i] - 1].name;
                if (strlen(other) == n && memcmp(other, name, n) == 0)
                        return i;
                i = (i + 1) & mask;
        }
        return i;
}

static int index_add(name_index_t *ix, const shadow_db_t *db, size_t entry)
{
        const char *name = db->entries[entry].name;

        if ((entry + 1) * 2 > ix->size) {
                size_t size = ix->size ? ix->size * 2 : 64;
                uint32_t *slots = calloc(size, sizeof(*slots));
                if (!slots)
                        return -ENOMEM;
                free(ix->slots);
                ix->slots = slots;
                ix->size = size;
                for (size_t k = 0; k < entry; k++) {
                        const char *nk = db->entries[k].name;
                        ix->slots[index_slot(ix, db, nk, strlen(nk))] = (uint32_t)(k + 1);
                }
        }
        ix->slots[index_slot(ix, db, name, strlen(name))] = (uint32_t)(entry + 1);
        return 0;
}

static int parse_line(const char *p, size_t n, db_format_t fmt, const char *source, size_t line,
                      report_t *r, shadow_db_t *db, name_index_t *ix)
{
        int ret;
        fields_t f;
        long long uid;

        if (memchr(p, 0, n))
                return warn(r, db, source, line, "line holds a NUL byte; skipped");
        split(p, n, &f);
        if (fmt == FORMAT_SHADOW) {
                /* glibc also takes the old two-field form "name:hash". */
                if (f.count < 2)
                        return warn(r, db, source, line, "no password field; skipped");
                if (f.count != 2 && f.count != 9) {
                        ret = warn(r, db, source, line,
                                   f.count > MAX_FIELDS ? "too many fields; skipped"
                                                        : "expected 9 fields");
                        if (ret < 0 || f.count > MAX_FIELDS)
                                return ret;
                }
        } else {
                if (f.count != 7)
                        return warn(r, db, source, line, "expected 7 fields; skipped");
                if (!field_is_number(f.p[2], f.n[2], &uid))
                        return warn(r, db, source, line, "uid is not a number; skipped");
        }
        if (f.n[0] == 0)
                return warn(r, db, source, line, "empty account name; skipped");
        if (f.n[0] > SHADOW_NAME_MAX)
                return warn(r, db, source, line, "account name too long; skipped");
        if (f.n[1] > SHADOW_HASH_MAX)
                return warn(r, db, source, line, "password field too long; skipped");
        if (ix->size && ix->slots[index_slot(ix, db, f.p[0], f.n[0])])
                return warn(r, db, source, line,
                            "duplicate account name; only the first entry counts");
        if ((ret = add_entry(db, &f, fmt, line)) < 0)
                return ret;
        return index_add(ix, db, db->n - 1);
}

static int parse(const char *data, size_t len, db_format_t fmt, const char *source, report_t *r,
                 shadow_db_t *db)
{
        name_index_t ix = { NULL, 0 };
        size_t line = 0, pos = 0;
        int ret = 0;

        for (size_t k = 0; k < db->n && ret == 0; k++)
                ret = index_add(&ix, db, k);
        while (ret == 0 && pos < len) {
                const char *nl = memchr(data + pos, '\n', len - pos);
                size_t end = nl ? (size_t)(nl - data) : len;
                const char *p = data + pos;
                size_t n = end - pos;

                line++;
                pos = end + 1;
                while (n > 0 && (*p == ' ' || *p == '\t')) {
                        p++;
                        n--;
                }
                if (n == 0 || *p == '#')
                        continue;
                if (*p == '+' || *p == '-') {
                        db->nis_lines++;
                        continue;
                }
                if ((ret = parse_line(p, n, fmt, source, line, r, db, &ix)) < 0)
                        break;
        }
        free(ix.slots);
        return ret;
}

int shadow_parse(const char *data, size_t len, const char *source, report_t *r, shadow_db_t *db)
{
        return parse(data, len, FORMAT_SHADOW, source, r, db);
}

int shadow_parse_passwd(const char *data, size_t len, const char *source, report_t *r,
                        shadow_db_t *db)
{
        return parse(data, len, FORMAT_PASSWD, source, r, db);
}
