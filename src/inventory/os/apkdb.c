/* The apk installed database (Alpine): lib/apk/db/installed, one stanza per
 * package of "X:value" lines (a single-letter key, a colon, the value), the
 * stanzas separated by an empty line. vigil reads P (name), V (version), A
 * (architecture) and o (origin, the source package). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "inventory/os/osparse.h"
#include "inventory/os/ospkg.h"

static const char *const apk_paths[] = { "/lib/apk/db/installed", "/usr/lib/apk/db/installed" };

enum {
        F_NAME,
        F_VERSION,
        F_ARCH,
        F_ORIGIN,
        F__MAX,
};

static const char field_keys[F__MAX] = { 'P', 'V', 'A', 'o' };

typedef struct slice {
        const char *p;
        size_t n;
        size_t line;
} slice_t;

static bool is_alnum(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* apk names are printable words; vigil takes the characters Alpine's
 * packages use (letters, digits and "+-._") and refuses anything that could
 * be mistaken for an option or a path. */
static const char *name_problem(const char *p, size_t n)
{
        if (n == 0)
                return "empty package name";
        if (!is_alnum(p[0]))
                return "package name must start with a letter or digit";
        for (size_t i = 1; i < n; i++)
                if (!is_alnum(p[i]) && !strchr("+-._", p[i]))
                        return "invalid character in package name";
        return NULL;
}

/* apk versions: digits and dots, an optional letter, "_suffix[N]" parts,
 * an optional "~hash" and "-rN". Only the character set and the leading
 * digit are checked here; the order is vercmp_apk's business. */
static const char *version_problem(const char *p, size_t n)
{
        if (n == 0)
                return "empty version";
        if (p[0] < '0' || p[0] > '9')
                return "version must start with a digit";
        for (size_t i = 1; i < n; i++)
                if (!is_alnum(p[i]) && !strchr("._-+~", p[i]))
                        return "invalid character in version";
        return NULL;
}

static const char *arch_problem(const char *p, size_t n)
{
        if (n == 0)
                return "empty architecture";
        for (size_t i = 0; i < n; i++)
                if (!is_alnum(p[i]) && !strchr("_-", p[i]))
                        return "invalid architecture";
        return NULL;
}

static int scratch_put(buf_t *scratch, const slice_t *s, size_t *ret_off)
{
        int r;

        *ret_off = scratch->len;
        r = buf_append(scratch, s->p, s->n);
        if (r < 0)
                return r;
        return buf_append(scratch, "", 1);
}

typedef struct parse_state {
        osparse_notes_t notes;
        const char *display;
        pkg_list_t list;
        buf_t scratch;
        long long skipped;
} parse_state_t;

static int take_stanza(parse_state_t *st, const slice_t f[F__MAX], size_t start_line)
{
        char q[80];
        const char *problem;
        size_t o_name, o_ver, o_arch = 0, o_origin = 0;
        bool has_origin;
        int r;

        if (!f[F_NAME].p) {
                osparse_warn(&st->notes, start_line, "package without a P: line; skipped");
                goto skip;
        }
        problem = name_problem(f[F_NAME].p, f[F_NAME].n);
        if (problem) {
                osparse_warn(&st->notes, f[F_NAME].line, "%s: \"%s\"; skipped", problem,
                             osparse_quote(q, sizeof(q), f[F_NAME].p, f[F_NAME].n));
                goto skip;
        }
        if (!f[F_VERSION].p) {
                osparse_warn(&st->notes, start_line, "package %.*s has no V: line; skipped",
                             (int)f[F_NAME].n, f[F_NAME].p);
                goto skip;
        }
        problem = version_problem(f[F_VERSION].p, f[F_VERSION].n);
        if (problem) {
                osparse_warn(&st->notes, f[F_VERSION].line, "%s: \"%s\"; skipped", problem,
                             osparse_quote(q, sizeof(q), f[F_VERSION].p, f[F_VERSION].n));
                goto skip;
        }
        if (f[F_ARCH].p && (problem = arch_problem(f[F_ARCH].p, f[F_ARCH].n))) {
                osparse_warn(&st->notes, f[F_ARCH].line, "%s: \"%s\"; skipped", problem,
                             osparse_quote(q, sizeof(q), f[F_ARCH].p, f[F_ARCH].n));
                goto skip;
        }
        if (f[F_ORIGIN].p && (problem = name_problem(f[F_ORIGIN].p, f[F_ORIGIN].n))) {
                osparse_warn(&st->notes, f[F_ORIGIN].line, "origin: %s: \"%s\"; skipped", problem,
                             osparse_quote(q, sizeof(q), f[F_ORIGIN].p, f[F_ORIGIN].n));
                goto skip;
        }
        has_origin = f[F_ORIGIN].p && !(f[F_ORIGIN].n == f[F_NAME].n &&
                                        memcmp(f[F_ORIGIN].p, f[F_NAME].p, f[F_NAME].n) == 0);

        buf_reset(&st->scratch);
        if ((r = scratch_put(&st->scratch, &f[F_NAME], &o_name)) < 0 ||
            (r = scratch_put(&st->scratch, &f[F_VERSION], &o_ver)) < 0 ||
            (f[F_ARCH].p && (r = scratch_put(&st->scratch, &f[F_ARCH], &o_arch)) < 0) ||
            (has_origin && (r = scratch_put(&st->scratch, &f[F_ORIGIN], &o_origin)) < 0))
                return r == -E2BIG ? -ENOMEM : r;
        {
                const char *b = st->scratch.data;
                return pkg_list_add(&st->list, PKG_APK, b + o_name,
                                    has_origin ? b + o_origin : NULL, b + o_ver, NULL,
                                    f[F_ARCH].p ? b + o_arch : NULL, st->display, NULL);
        }
skip:
        st->skipped++;
        return 0;
}

int apkdb_parse(const char *data, size_t n, const char *display, pkg_list_t *out, report_t *report)
{
        parse_state_t st = {
                .notes = { .report = report, .display = display },
                .display = display,
        };
        size_t pos = 0, line = 1, added;
        int r = 0;

        buf_init(&st.scratch, OSPKG_MAX_STANZA_SIZE);
        while (pos < n) {
                slice_t f[F__MAX] = { { 0 } };
                const char *problem = NULL;
                char pbuf[64];
                size_t problem_line = 0, start, start_line;

                /* Empty lines between stanzas (apk writes exactly one). */
                while (pos < n && data[pos] == '\n') {
                        pos++;
                        line++;
                }
                if (pos >= n)
                        break;

                start = pos;
                start_line = line;
                while (pos < n) {
                        const char *l = data + pos, *nl = memchr(l, '\n', n - pos);
                        size_t len = nl ? (size_t)(nl - l) : n - pos;
                        size_t next = pos + len + (nl ? 1 : 0), this_line = line;

                        pos = next;
                        line++;
                        if (len == 0)
                                break;
                        if (problem)
                                continue;
                        problem_line = this_line;
                        if (next - start > OSPKG_MAX_STANZA_SIZE) {
                                problem = "stanza is longer than the cap";
                                continue;
                        }
                        if (len > OSPKG_MAX_LINE_SIZE) {
                                problem = "line is longer than the cap";
                                continue;
                        }
                        if (memchr(l, 0, len)) {
                                problem = "NUL byte in stanza";
                                continue;
                        }
                        if (len < 2 || l[1] != ':' || (unsigned char)l[0] <= 0x20 ||
                            (unsigned char)l[0] >= 0x7f) {
                                problem = "line is not an \"X:value\" line";
                                continue;
                        }
                        for (int k = 0; k < F__MAX; k++) {
                                if (l[0] != field_keys[k])
                                        continue;
                                if (f[k].p) {
                                        snprintf(pbuf, sizeof(pbuf), "duplicate %c: line",
                                                 field_keys[k]);
                                        problem = pbuf;
                                        break;
                                }
                                f[k] = (slice_t){ l + 2, len - 2, this_line };
                                /* A CRLF file (not written by apk, but easy to
                                 * produce by hand) keeps its value clean. */
                                if (f[k].n && f[k].p[f[k].n - 1] == '\r')
                                        f[k].n--;
                                break;
                        }
                }
                if (problem) {
                        osparse_warn(&st.notes, problem_line, "%s; stanza skipped", problem);
                        st.skipped++;
                        continue;
                }
                r = take_stanza(&st, f, start_line);
                if (r < 0)
                        goto out;
        }
        added = st.list.n;
        r = osparse_list_move(out, &st.list);
        if (r < 0)
                goto out;
        osparse_count(report, "apk_packages", (long long)added);
        if (st.skipped)
                osparse_count(report, "apk_skipped", st.skipped);
out:
        osparse_finish(&st.notes);
        pkg_list_clear(&st.list);
        buf_free(&st.scratch);
        return r;
}

int apkdb_read(const rootfs_t *root, pkg_list_t *out, report_t *report)
{
        for (size_t i = 0; i < ELEMENTSOF(apk_paths); i++) {
                _cleanup_free_ char *data = NULL, *display = NULL;
                size_t n;
                int r;

                r = rootfs_read_file(root, apk_paths[i], OSPKG_MAX_APKDB_SIZE, &data, &n);
                if (r == -ENOENT || r == -ENOTDIR)
                        continue;
                display = rootfs_display_path(root, apk_paths[i]);
                if (!display || r == -ENOMEM)
                        return -ENOMEM;
                if (r < 0) {
                        if (report)
                                (void)report_note(report, REPORT_NOTE_WARNING, display,
                                                  "cannot read the apk database: %s",
                                                  r == -EFBIG ? "file is bigger than the cap"
                                                              : strerror(-r));
                        return r;
                }
                return apkdb_parse(data, n, display, out, report);
        }
        return -ENOENT;
}
