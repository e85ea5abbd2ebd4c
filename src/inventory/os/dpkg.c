/* The dpkg status database: var/lib/dpkg/status, a list of RFC 822-like
 * stanzas separated by empty lines. Only the five fields vigil needs are
 * taken apart; the rest are checked only as far as needed to tell a stanza
 * from binary garbage. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/text.h"
#include "inventory/os/osparse.h"
#include "inventory/os/ospkg.h"

#define DPKG_STATUS_PATH "/var/lib/dpkg/status"

enum {
        F_PACKAGE,
        F_STATUS,
        F_VERSION,
        F_ARCH,
        F_SOURCE,
        F__MAX,
};

static const char *const field_names[F__MAX] = {
        [F_PACKAGE] = "Package",   [F_STATUS] = "Status", [F_VERSION] = "Version",
        [F_ARCH] = "Architecture", [F_SOURCE] = "Source",
};

/* A field value inside the input: P points into the caller's data, N bytes
 * without surrounding white space; LINE is where the field starts. */
typedef struct slice {
        const char *p;
        size_t n;
        size_t line;
} slice_t;

static bool is_space(char c)
{
        return c == ' ' || c == '\t';
}

static bool is_alnum(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool slice_eq(slice_t a, const char *s)
{
        size_t n = strlen(s);
        return a.n == n && memcmp(a.p, s, n) == 0;
}

/* dpkg's rule for package names: an alphanumeric first, then alphanumerics
 * and "-+._". */
static const char *name_problem(const char *p, size_t n)
{
        if (n == 0)
                return "empty package name";
        if (!is_alnum(p[0]))
                return "package name must start with a letter or digit";
        for (size_t i = 1; i < n; i++)
                if (!is_alnum(p[i]) && !strchr("-+._", p[i]))
                        return "invalid character in package name";
        return NULL;
}

static const char *arch_problem(const char *p, size_t n)
{
        if (n == 0 || !is_alnum(p[0]))
                return "invalid architecture";
        for (size_t i = 1; i < n; i++)
                if (!is_alnum(p[i]) && p[i] != '-')
                        return "invalid architecture";
        return NULL;
}

/* dpkg's parseversion rules: an optional numeric epoch before the first
 * colon, an upstream part of alphanumerics and ".+~-:" and an optional
 * revision after the last hyphen of alphanumerics and ".+~". (dpkg only warns
 * when the upstream part does not start with a digit, so that is accepted.) */
static const char *version_problem(const char *p, size_t n)
{
        const char *colon, *hyphen, *up = p, *end = p + n;
        unsigned long long epoch = 0;

        if (n == 0)
                return "empty version";
        for (size_t i = 0; i < n; i++)
                if (is_space(p[i]))
                        return "version has embedded spaces";
        colon = memchr(p, ':', n);
        if (colon) {
                if (colon == p)
                        return "empty epoch in version";
                for (const char *c = p; c < colon; c++) {
                        if (*c < '0' || *c > '9')
                                return "epoch in version is not a number";
                        epoch = epoch * 10 + (unsigned)(*c - '0');
                        if (epoch > INT_MAX)
                                return "epoch in version is too big";
                }
                up = colon + 1;
        }
        hyphen = memrchr(up, '-', (size_t)(end - up));
        if (hyphen) {
                if (hyphen + 1 == end)
                        return "empty revision in version";
                for (const char *c = hyphen + 1; c < end; c++)
                        if (!is_alnum(*c) && !strchr(".+~", *c))
                                return "invalid character in revision";
        } else
                hyphen = end;
        if (hyphen == up)
                return "empty upstream version";
        for (const char *c = up; c < hyphen; c++)
                if (!is_alnum(*c) && !strchr(".-+~:", *c))
                        return "invalid character in version";
        return NULL;
}

typedef enum status_kind {
        STATUS_BAD,
        STATUS_ABSENT,  /* not-installed, config-files: no files of the package */
        STATUS_PRESENT, /* everything else leaves files on disk */
} status_kind_t;

/* Status is "want flag state", e.g. "install ok installed". */
static status_kind_t parse_status(slice_t s)
{
        static const char *const wants[] = { "unknown", "install", "hold", "deinstall", "purge" };
        static const char *const flags[] = { "ok", "reinstreq", "hold", "hold-reinstreq" };
        static const char *const absent[] = { "not-installed", "config-files" };
        static const char *const present[] = { "half-installed",   "unpacked",
                                               "half-configured",  "triggers-awaited",
                                               "triggers-pending", "installed" };
        slice_t w[3];
        size_t i = 0, k = 0;
        bool ok;

        while (i < s.n) {
                size_t b;
                while (i < s.n && is_space(s.p[i]))
                        i++;
                if (i == s.n)
                        break;
                if (k == 3)
                        return STATUS_BAD;
                b = i;
                while (i < s.n && !is_space(s.p[i]))
                        i++;
                w[k++] = (slice_t){ s.p + b, i - b, 0 };
        }
        if (k != 3)
                return STATUS_BAD;
        ok = false;
        for (size_t j = 0; j < ELEMENTSOF(wants); j++)
                ok = ok || slice_eq(w[0], wants[j]);
        if (!ok)
                return STATUS_BAD;
        ok = false;
        for (size_t j = 0; j < ELEMENTSOF(flags); j++)
                ok = ok || slice_eq(w[1], flags[j]);
        if (!ok)
                return STATUS_BAD;
        for (size_t j = 0; j < ELEMENTSOF(absent); j++)
                if (slice_eq(w[2], absent[j]))
                        return STATUS_ABSENT;
        for (size_t j = 0; j < ELEMENTSOF(present); j++)
                if (slice_eq(w[2], present[j]))
                        return STATUS_PRESENT;
        return STATUS_BAD;
}

/* "Source: name" or "Source: name (version)". */
static const char *parse_source(slice_t s, slice_t *ret_name, slice_t *ret_version)
{
        size_t i = 0;
        const char *problem;

        while (i < s.n && !is_space(s.p[i]) && s.p[i] != '(')
                i++;
        *ret_name = (slice_t){ s.p, i, s.line };
        *ret_version = (slice_t){ NULL, 0, s.line };
        problem = name_problem(s.p, i);
        if (problem)
                return "invalid source package name";
        while (i < s.n && is_space(s.p[i]))
                i++;
        if (i == s.n)
                return NULL;
        if (s.p[i] != '(' || s.p[s.n - 1] != ')')
                return "Source is not \"name\" or \"name (version)\"";
        i++;
        while (i < s.n - 1 && is_space(s.p[i]))
                i++;
        {
                size_t e = s.n - 1;
                while (e > i && is_space(s.p[e - 1]))
                        e--;
                *ret_version = (slice_t){ s.p + i, e - i, s.line };
        }
        if (version_problem(ret_version->p, ret_version->n))
                return "invalid version in Source";
        return NULL;
}

/* Append V (N bytes) and a terminator to SCRATCH; *RET_OFF is where it
 * starts. */
static int scratch_put(buf_t *scratch, const char *v, size_t n, size_t *ret_off)
{
        int r;

        *ret_off = scratch->len;
        r = buf_append(scratch, v, n);
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

/* Turn one well-formed stanza into a package (or a reason to skip it).
 * Returns 0 or -ENOMEM. */
static int take_stanza(parse_state_t *st, const slice_t f[F__MAX], size_t start_line)
{
        char q[80];
        const char *problem;
        slice_t src_name = { 0 }, src_version = { 0 };
        size_t o_name, o_ver, o_arch = 0, o_src = 0, o_srcver = 0;
        bool has_src = false, has_srcver = false;
        status_kind_t status;
        int r;

        if (!f[F_STATUS].p) {
                osparse_warn(&st->notes, start_line, "stanza has no Status field");
                goto skip;
        }
        status = parse_status(f[F_STATUS]);
        if (status == STATUS_BAD) {
                osparse_warn(&st->notes, f[F_STATUS].line, "bad Status \"%s\"",
                             osparse_quote(q, sizeof(q), f[F_STATUS].p, f[F_STATUS].n));
                goto skip;
        }
        /* Removed packages may keep their stanza (config files, or dpkg's
         * memory of available versions): nothing of theirs is on disk. */
        if (status == STATUS_ABSENT)
                return 0;
        if (!f[F_PACKAGE].p) {
                osparse_warn(&st->notes, start_line, "stanza has no Package field");
                goto skip;
        }
        problem = name_problem(f[F_PACKAGE].p, f[F_PACKAGE].n);
        if (problem) {
                osparse_warn(&st->notes, f[F_PACKAGE].line, "%s: \"%s\"", problem,
                             osparse_quote(q, sizeof(q), f[F_PACKAGE].p, f[F_PACKAGE].n));
                goto skip;
        }
        if (!f[F_VERSION].p) {
                osparse_warn(&st->notes, start_line, "package %.*s has no Version field",
                             (int)f[F_PACKAGE].n, f[F_PACKAGE].p);
                goto skip;
        }
        problem = version_problem(f[F_VERSION].p, f[F_VERSION].n);
        if (problem) {
                osparse_warn(&st->notes, f[F_VERSION].line, "%s: \"%s\"", problem,
                             osparse_quote(q, sizeof(q), f[F_VERSION].p, f[F_VERSION].n));
                goto skip;
        }
        if (f[F_ARCH].p) {
                problem = arch_problem(f[F_ARCH].p, f[F_ARCH].n);
                if (problem) {
                        osparse_warn(&st->notes, f[F_ARCH].line, "%s: \"%s\"", problem,
                                     osparse_quote(q, sizeof(q), f[F_ARCH].p, f[F_ARCH].n));
                        goto skip;
                }
        }
        if (f[F_SOURCE].p) {
                problem = parse_source(f[F_SOURCE], &src_name, &src_version);
                if (problem) {
                        osparse_warn(&st->notes, f[F_SOURCE].line, "%s: \"%s\"", problem,
                                     osparse_quote(q, sizeof(q), f[F_SOURCE].p, f[F_SOURCE].n));
                        goto skip;
                }
                /* pkg.h keeps SOURCE and SOURCE_VERSION only when they say
                 * something NAME and VERSION do not. */
                has_src = !(src_name.n == f[F_PACKAGE].n &&
                            memcmp(src_name.p, f[F_PACKAGE].p, src_name.n) == 0);
                has_srcver = src_version.p &&
                             !(src_version.n == f[F_VERSION].n &&
                               memcmp(src_version.p, f[F_VERSION].p, src_version.n) == 0);
        }

        buf_reset(&st->scratch);
        if ((r = scratch_put(&st->scratch, f[F_PACKAGE].p, f[F_PACKAGE].n, &o_name)) < 0 ||
            (r = scratch_put(&st->scratch, f[F_VERSION].p, f[F_VERSION].n, &o_ver)) < 0 ||
            (f[F_ARCH].p &&
             (r = scratch_put(&st->scratch, f[F_ARCH].p, f[F_ARCH].n, &o_arch)) < 0) ||
            (has_src && (r = scratch_put(&st->scratch, src_name.p, src_name.n, &o_src)) < 0) ||
            (has_srcver &&
             (r = scratch_put(&st->scratch, src_version.p, src_version.n, &o_srcver)) < 0))
                return r == -E2BIG ? -ENOMEM : r;
        {
                const char *b = st->scratch.data;
                r = pkg_list_add(&st->list, PKG_DPKG, b + o_name, has_src ? b + o_src : NULL,
                                 b + o_ver, has_srcver ? b + o_srcver : NULL,
                                 f[F_ARCH].p ? b + o_arch : NULL, st->display, NULL);
        }
        return r;
skip:
        st->skipped++;
        return 0;
}

int dpkg_parse_status(const char *data, size_t n, const char *display, pkg_list_t *out,
                      report_t *report)
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
                char pbuf[96];
                size_t problem_line = 0, start, start_line;
                int last = -2; /* field of the previous line: -1 another, -2 none yet */

                /* Skip the empty and blank lines between stanzas. */
                while (pos < n) {
                        const char *nl = memchr(data + pos, '\n', n - pos);
                        size_t e = nl ? (size_t)(nl - data) : n, i = pos;
                        while (i < e && is_space(data[i]))
                                i++;
                        if (i < e)
                                break;
                        pos = nl ? e + 1 : n;
                        line++;
                }
                if (pos >= n)
                        break;

                start = pos;
                start_line = line;
                while (pos < n) {
                        const char *l = data + pos, *nl = memchr(l, '\n', n - pos), *colon;
                        size_t len = nl ? (size_t)(nl - l) : n - pos;
                        size_t next = pos + len + (nl ? 1 : 0), this_line = line;

                        pos = next;
                        line++;
                        if (len == 0)
                                break; /* the empty line that ends the stanza */
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
                        if (is_space(l[0])) {
                                size_t k = 1;
                                /* A continuation line (Description, Conffiles,
                                 * ...); the fields vigil reads are one line. A
                                 * line of only white space adds nothing to any
                                 * value and is passed over. */
                                while (k < len && is_space(l[k]))
                                        k++;
                                if (k == len)
                                        continue;
                                if (last == -2)
                                        problem = "continuation line before any field";
                                else if (last >= 0) {
                                        snprintf(pbuf, sizeof(pbuf), "%s field spans lines",
                                                 field_names[last]);
                                        problem = pbuf;
                                }
                                continue;
                        }
                        colon = memchr(l, ':', len);
                        if (!colon || colon == l) {
                                problem = "line is not a \"Field: value\" line";
                                continue;
                        }
                        last = -1;
                        for (const char *c = l; c < colon; c++)
                                if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f) {
                                        problem = "invalid field name";
                                        break;
                                }
                        if (problem)
                                continue;
                        for (int k = 0; k < F__MAX; k++) {
                                const char *v, *e;
                                if ((size_t)(colon - l) != strlen(field_names[k]) ||
                                    strncasecmp(l, field_names[k], (size_t)(colon - l)) != 0)
                                        continue;
                                if (f[k].p) {
                                        snprintf(pbuf, sizeof(pbuf), "duplicate %s field",
                                                 field_names[k]);
                                        problem = pbuf;
                                        break;
                                }
                                v = colon + 1;
                                e = l + len;
                                while (v < e && is_space(*v))
                                        v++;
                                while (e > v && is_space(e[-1]))
                                        e--;
                                f[k] = (slice_t){ v, (size_t)(e - v), this_line };
                                last = k;
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
        osparse_count(report, "dpkg_packages", (long long)added);
        if (st.skipped)
                osparse_count(report, "dpkg_skipped", st.skipped);
out:
        osparse_finish(&st.notes);
        pkg_list_clear(&st.list);
        buf_free(&st.scratch);
        return r;
}

int dpkg_read_status(const rootfs_t *root, pkg_list_t *out, report_t *report)
{
        _cleanup_free_ char *data = NULL, *display = NULL;
        size_t n;
        int r;

        display = rootfs_display_path(root, DPKG_STATUS_PATH);
        if (!display)
                return -ENOMEM;
        r = rootfs_read_file(root, DPKG_STATUS_PATH, OSPKG_MAX_STATUS_SIZE, &data, &n);
        if (r == -ENOENT || r == -ENOTDIR)
                return -ENOENT;
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                if (report)
                        (void)report_note(report, REPORT_NOTE_WARNING, display,
                                          "cannot read the dpkg database: %s",
                                          r == -EFBIG ? "file is bigger than the cap"
                                                      : strerror(-r));
                return r;
        }
        return dpkg_parse_status(data, n, display, out, report);
}
