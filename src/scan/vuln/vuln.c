#include "scan/vuln/vuln.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/store.h"
#include "core/text.h"
#include "core/timeutil.h"
#include "inventory/apps/apps.h"
#include "inventory/os/osinfo.h"
#include "inventory/version/vercmp.h"
#include "scan/vuln/ecosystem.h"
#include "scan/vuln/feeddb.h"
#include "scan/vuln/match.h"

#define SCANNER "vulnerability"
/* A feed older than this earns a warning note. */
#define FEED_MAX_AGE_DAYS 7
/* At most this many CVE ids are named in a title; all are in the evidence. */
#define TITLE_CVES 3
/* At most this many feed URLs become references of one finding. */
#define MAX_REF_URLS 10

/* One thing looked up in the feed: a source package at one version (with
 * the binary packages built from it), a binary package, or an application
 * component at one location. */
typedef struct unit {
        pkg_kind_t kind;
        const pkg_list_t *list; /* where MEMBERS point */
        const char *ecosystem;
        version_scheme_t scheme;
        const char *name;    /* as the feed names it */
        const char *version; /* the version compared */
        size_t first, n;     /* members[first .. first+n) index LIST */
        bool secondary;      /* rpm/apk binary name, after the source unit */
        bool kernel;
} unit_t;

typedef struct matcher {
        sqlite3 *db;
        feeddb_reader_t *rd;
        const vuln_input_t *in;
        report_t *report;
        fj_arena_t arena; /* per unit */
        fj_arena_t keep;  /* for the whole run */
        unit_t *units;
        size_t n_units, cap_units;
        size_t *members;
        size_t n_members, cap_members;
        /* "CHECK\n<pkg pointer>" of findings made by primary units, so a
         * binary-name unit does not report what its source unit did. */
        strv_t covered;
        bool kernel_vulnerable;
        char eco_base[ECOSYSTEM_MAX + 1];
        long long advisories_checked, findings, kernel_skipped;
        size_t ranges_compared;
} matcher_t;

static bool starts(const char *s, const char *p)
{
        return s && str_startswith(s, p);
}

/* ---- building units ---- */

static int add_unit(matcher_t *m, const unit_t *u, const size_t *members, size_t n)
{
        if (m->n_units == m->cap_units) {
                size_t c = m->cap_units ? m->cap_units * 2 : 256;
                unit_t *v = realloc(m->units, c * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                m->units = v;
                m->cap_units = c;
        }
        if (m->n_members + n > m->cap_members) {
                size_t c = m->cap_members ? m->cap_members : 256;
                while (c < m->n_members + n)
                        c *= 2;
                size_t *v = realloc(m->members, c * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                m->members = v;
                m->cap_members = c;
        }
        m->units[m->n_units] = *u;
        m->units[m->n_units].first = m->n_members;
        m->units[m->n_units].n = n;
        memcpy(m->members + m->n_members, members, n * sizeof(*members));
        m->n_members += n;
        m->n_units++;
        return 0;
}

/* The source package the feeds name for a kernel package: Debian builds
 * its signed images from "linux-signed-ARCH" but publishes advisories for
 * "linux"; Ubuntu's "linux-signed-FLAVOUR" images are "linux-FLAVOUR". */
static const char *unsigned_source(matcher_t *m, const pkg_t *p)
{
        const char *src = pkg_source_name(p);
        char *s;

        if (p->kind != PKG_DPKG || !starts(src, "linux-signed"))
                return src;
        if (strcmp(m->eco_base, "Debian") == 0)
                return "linux";
        s = fj_arena_alloc(&m->keep, strlen(src) + 1);
        if (!s)
                return src;
        snprintf(s, strlen(src) + 1, "linux%s", src + strlen("linux-signed"));
        return s;
}

/* Source packages that build kernels. Their binaries (images, headers,
 * linux-libc-dev, perf tools) are not matched one by one: kernel advisories
 * are about the kernel that runs, which is matched on its own. */
static int kernel_sources(matcher_t *m, const pkg_list_t *pk, strv_t *ret)
{
        const kernel_info_t *k = m->in->kernel;
        int r;

        if ((r = strv_push(ret, "linux")) < 0 || (r = strv_push(ret, "kernel")) < 0)
                return r;
        for (size_t i = 0; i < pk->n; i++) {
                const pkg_t *p = &pk->v[i];
                bool image =
                        (p->kind == PKG_DPKG && starts(p->name, "linux-image-")) ||
                        (k && k->running_package && strcmp(p->name, k->running_package) == 0) ||
                        (k && k->newest_package && strcmp(p->name, k->newest_package) == 0);
                const char *names[2];
                if (!image)
                        continue;
                names[0] = pkg_source_name(p);
                names[1] = unsigned_source(m, p);
                for (size_t j = 0; j < 2; j++)
                        if (!strv_contains(ret, names[j]) && (r = strv_push(ret, names[j])) < 0)
                                return r;
        }
        return 0;
}

typedef struct sort_pkgs {
        const pkg_list_t *list;
        bool by_binary;
} sort_pkgs_t;

static int cmp_pkg_source(const void *a, const void *b, void *ud)
{
        const sort_pkgs_t *s = ud;
        const pkg_t *x = &s->list->v[*(const size_t *)a], *y = &s->list->v[*(const size_t *)b];
        int c;

        if (s->by_binary) {
                c = strcmp(x->name, y->name);
                if (!c)
                        c = strcmp(x->version, y->version);
        } else {
                c = strcmp(pkg_source_name(x), pkg_source_name(y));
                if (!c)
                        c = strcmp(pkg_source_version(x), pkg_source_version(y));
        }
        if (!c)
                c = strcmp(x->name, y->name);
        return c;
}

/* Group the OS packages IDX (of one kind) into units: by source package
 * and source version, then (rpm, apk) by binary name for binaries whose name
 * differs from their source. */
static int units_for_os(matcher_t *m, const pkg_list_t *pk, size_t *idx, size_t n, pkg_kind_t kind)
{
        sort_pkgs_t s = { pk, false };
        int r;

        if (!n)
                return 0;
        qsort_r(idx, n, sizeof(*idx), cmp_pkg_source, &s);
        for (size_t i = 0; i < n;) {
                const pkg_t *p = &pk->v[idx[i]];
                size_t j = i + 1;
                while (j < n && strcmp(pkg_source_name(&pk->v[idx[j]]), pkg_source_name(p)) == 0 &&
                       strcmp(pkg_source_version(&pk->v[idx[j]]), pkg_source_version(p)) == 0)
                        j++;
                unit_t u = {
                        .kind = kind,
                        .list = pk,
                        .ecosystem = m->in->os_ecosystem,
                        .name = pkg_source_name(p),
                        .version = pkg_source_version(p),
                };
                if (version_scheme_for_ecosystem(u.ecosystem, &u.scheme) < 0)
                        return 0;
                if ((r = add_unit(m, &u, idx + i, j - i)) < 0)
                        return r;
                i = j;
        }
        if (kind == PKG_DPKG)
                return 0; /* Debian and Ubuntu advisories name source packages only */
        s.by_binary = true;
        qsort_r(idx, n, sizeof(*idx), cmp_pkg_source, &s);
        for (size_t i = 0; i < n; i++) {
                const pkg_t *p = &pk->v[idx[i]];
                unit_t u = {
                        .kind = kind,
                        .list = pk,
                        .ecosystem = m->in->os_ecosystem,
                        .name = p->name,
                        .version = p->version,
                        .secondary = true,
                };
                if (!p->source || strcmp(p->source, p->name) == 0)
                        continue;
                if (version_scheme_for_ecosystem(u.ecosystem, &u.scheme) < 0)
                        return 0;
                if ((r = add_unit(m, &u, idx + i, 1)) < 0)
                        return r;
        }
        return 0;
}

static int build_os_units(matcher_t *m)
{
        const pkg_list_t *pk = m->in->os_pkgs;
        const kernel_info_t *k = m->in->kernel;
        _cleanup_(strv_clear) strv_t ksrc = { 0 };
        _cleanup_free_ size_t *idx = NULL;
        const char *kpkg = NULL, *kver = NULL;
        size_t n;
        int r;

        if (!pk || !pk->n || !m->in->os_ecosystem)
                return 0;
        if ((r = kernel_sources(m, pk, &ksrc)) < 0)
                return r;
        idx = malloc(pk->n * sizeof(*idx));
        if (!idx)
                return -ENOMEM;

        /* The kernel to check: the running one when it comes from a
         * package; for an image (not the running host), the newest one. */
        if (k && k->running_package) {
                kpkg = k->running_package;
                kver = k->running_version;
        } else if (k && !k->running_release && k->newest_package) {
                kpkg = k->newest_package;
                kver = k->newest_version;
        }

        for (int kind = PKG_DPKG; kind <= PKG_APK; kind++) {
                n = 0;
                for (size_t i = 0; i < pk->n; i++) {
                        const pkg_t *p = &pk->v[i];
                        if (p->kind != (pkg_kind_t)kind)
                                continue;
                        if (strv_contains(&ksrc, pkg_source_name(p))) {
                                if (kpkg && strcmp(p->name, kpkg) == 0 &&
                                    (!kver || strcmp(p->version, kver) == 0)) {
                                        unit_t u = {
                                                .kind = p->kind,
                                                .list = pk,
                                                .ecosystem = m->in->os_ecosystem,
                                                .name = unsigned_source(m, p),
                                                .version = p->version,
                                                .kernel = true,
                                        };
                                        if (version_scheme_for_ecosystem(u.ecosystem, &u.scheme) ==
                                                    0 &&
                                            (r = add_unit(m, &u, &i, 1)) < 0)
                                                return r;
                                        kpkg = NULL; /* one kernel unit */
                                } else
                                        m->kernel_skipped++;
                                continue;
                        }
                        idx[n++] = i;
                }
                if ((r = units_for_os(m, pk, idx, n, (pkg_kind_t)kind)) < 0)
                        return r;
        }
        return 0;
}

static int build_app_units(matcher_t *m)
{
        const pkg_list_t *pk = m->in->apps;
        int r;

        if (!pk)
                return 0;
        for (size_t i = 0; i < pk->n; i++) {
                const pkg_t *p = &pk->v[i];
                const char *eco = ecosystem_for_app_kind(p->kind);
                char name[ECOSYSTEM_NAME_MAX + 1];
                unit_t u = { .kind = p->kind, .list = pk, .ecosystem = eco, .version = p->version };
                if (!eco || !p->name || !p->version ||
                    version_scheme_for_ecosystem(eco, &u.scheme) < 0 ||
                    ecosystem_normalise_name(eco, p->name, name, sizeof(name)) < 0)
                        continue;
                u.name = strcmp(name, p->name) == 0 ? p->name : fj_arena_strdup(&m->keep, name);
                if (!u.name)
                        return -ENOMEM;
                if ((r = add_unit(m, &u, &i, 1)) < 0)
                        return r;
        }
        return 0;
}

/* ---- findings ---- */

static bool is_app(pkg_kind_t k)
{
        return k == PKG_MAVEN || k == PKG_NPM || k == PKG_PYPI || k == PKG_COMPOSER;
}

/* The best CVSS among SEV (v3/v4 before v2; the highest score). */
static void best_cvss(const feed_severity_t *sev, size_t n, double *score, const char **vector)
{
        double best = -1, best2 = -1;
        const char *v = NULL, *v2 = NULL;

        for (size_t i = 0; i < n; i++) {
                if (sev[i].score < 0)
                        continue;
                if (strcmp(sev[i].type, "CVSS_V2") == 0) {
                        if (sev[i].score > best2) {
                                best2 = sev[i].score;
                                v2 = sev[i].vector;
                        }
                } else if (sev[i].score > best) {
                        best = sev[i].score;
                        v = sev[i].vector;
                }
        }
        *score = v ? best : best2;
        *vector = v ? v : v2;
}

/* The binary packages of unit U as a command-line list ("libssl3 openssl");
 * "name:arch" when the same name is installed for several architectures. */
static int package_args(const matcher_t *m, const unit_t *u, buf_t *b)
{
        for (size_t i = 0; i < u->n; i++) {
                const pkg_t *p = &u->list->v[m->members[u->first + i]];
                bool multi = false, dup = false;
                for (size_t k = 0; k < u->n; k++) {
                        const pkg_t *q = &u->list->v[m->members[u->first + k]];
                        if (k != i && strcmp(q->name, p->name) == 0) {
                                multi = true;
                                dup |= k < i &&
                                       (!p->arch || !q->arch || strcmp(p->arch, q->arch) == 0);
                        }
                }
                if (dup)
                        continue;
                if (b->len && buf_append_str(b, " ") < 0)
                        return -ENOMEM;
                if (multi && p->arch ? buf_printf(b, "%s:%s", p->name, p->arch) < 0
                                     : buf_append_str(b, p->name) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Metapackages that pull in new kernels ("linux-image-amd64",
 * "linux-image-generic"): image packages whose name has no ABI number. */
static int kernel_meta_args(const matcher_t *m, buf_t *b)
{
        const pkg_list_t *pk = m->in->os_pkgs;

        for (size_t i = 0; pk && i < pk->n; i++) {
                const char *n = pk->v[i].name;
                if (pk->v[i].kind != PKG_DPKG || !starts(n, "linux-image-") ||
                    (n[12] >= '0' && n[12] <= '9'))
                        continue;
                if ((b->len && buf_append_str(b, " ") < 0) || buf_append_str(b, n) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static bool uses_yum(const vuln_input_t *in)
{
        static const char *const old[] = { "rhel", "centos", "ol", "scientific" };

        if (!in->os_id || !in->os_version_id)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(old); i++)
                if (strcmp(in->os_id, old[i]) == 0)
                        return in->os_version_id[0] <= '7' && in->os_version_id[0] >= '5' &&
                               (in->os_version_id[1] == 0 || in->os_version_id[1] == '.');
        return false;
}

static int set_remediation(matcher_t *m, const unit_t *u, const match_group_t *g, finding_t *f)
{
        _cleanup_buf_ buf_t args;
        const pkg_t *p = &u->list->v[m->members[u->first]];
        const char *where = p->manifest ? p->manifest : p->location;
        bool fix = g->fixed || g->last_affected;
        int r;

        buf_init(&args, 64 * KiB);
        if (is_app(u->kind)) {
                if (g->fixed)
                        return finding_set_remediation(f, "raise %s to \xe2\x89\xa5 %s in %s",
                                                       p->name, g->fixed,
                                                       where ? where : "its manifest");
                if (g->last_affected)
                        return finding_set_remediation(f, "raise %s to a version after %s in %s",
                                                       p->name, g->last_affected,
                                                       where ? where : "its manifest");
                return finding_set_remediation(
                        f,
                        "no fix available yet: remove %s from %s or replace it, or apply the "
                        "mitigation the advisory describes; watch %s for a fixed release",
                        p->name, where ? where : "the application", g->check);
        }
        if (u->kernel) {
                const char *tool = u->kind == PKG_DPKG  ? "apt-get install --only-upgrade"
                                   : u->kind == PKG_APK ? "apk upgrade"
                                   : uses_yum(m->in)    ? "yum upgrade"
                                                        : "dnf upgrade";
                if (u->kind == PKG_DPKG)
                        r = kernel_meta_args(m, &args);
                else
                        r = buf_append_str(&args, pkg_source_name(p));
                if (r < 0)
                        return r;
                if (!fix)
                        return finding_set_remediation(
                                f,
                                "no fixed kernel is available yet; watch %s and install the fixed "
                                "kernel when it is published, then reboot",
                                g->check);
                if (!args.len)
                        return finding_set_remediation(
                                f, "install a kernel package %s %s or later, then reboot into it",
                                pkg_source_name(p), g->fixed ? g->fixed : g->last_affected);
                return finding_set_remediation(f, "%s %s, then reboot into the new kernel", tool,
                                               args.data);
        }
        if ((r = package_args(m, u, &args)) < 0)
                return r;
        const char *cmd = u->kind == PKG_DPKG  ? "apt-get install --only-upgrade"
                          : u->kind == PKG_APK ? "apk upgrade"
                          : uses_yum(m->in)    ? "yum upgrade"
                                               : "dnf upgrade";
        if (!fix)
                return finding_set_remediation(
                        f,
                        "no fix available yet: watch %s and run '%s %s' once a fixed version is "
                        "published; until then limit who can reach the programs that use %s",
                        g->check, cmd, args.data ? args.data : "", u->name);
        return finding_set_remediation(f, "%s %s", cmd, args.data ? args.data : "");
}

static int join_strings(buf_t *b, const char **v, size_t n, size_t max)
{
        for (size_t i = 0; i < n && i < max; i++)
                if (buf_printf(b, "%s%s", i ? ", " : "", v[i]) < 0)
                        return -ENOMEM;
        if (n > max && buf_printf(b, " and %zu more", n - max) < 0)
                return -ENOMEM;
        return 0;
}

static const char *level_source_name(match_level_source_t s)
{
        switch (s) {
        case MATCH_LEVEL_CVSS:
                return "cvss";
        case MATCH_LEVEL_SEVERITY:
                return "feed severity";
        case MATCH_LEVEL_URGENCY:
                return "debian urgency";
        default:
                return "unknown (medium)";
        }
}

static int make_finding(matcher_t *m, const unit_t *u, const match_group_t *g)
{
        _cleanup_finding_ finding_t *f = NULL;
        _cleanup_buf_ buf_t b, obj;
        const pkg_t *p = &u->list->v[m->members[u->first]];
        bool fix = g->fixed || g->last_affected;
        bool cve_check =
                match_is_cve(g->check) && g->n_cves == 1 && strcmp(g->cves[0], g->check) == 0;
        const char *display = is_app(u->kind) ? p->name : u->name;
        int r;

        buf_init(&b, 1 * MiB);
        buf_init(&obj, 64 * KiB);
        if (is_app(u->kind))
                r = buf_printf(&obj, "%s in %s", p->name, p->location ? p->location : "?");
        else
                r = buf_append_str(&obj, u->name);
        if (r < 0)
                return r;
        f = finding_new(CAT_VULNERABILITY, g->check, obj.data, g->level);
        if (!f)
                return -ENOMEM;

        /* Title: "openssl 3.0.11-1~deb12u2: CVE-2024-1234 (DSA-5678-1)". */
        if (cve_check || !g->n_cves)
                r = buf_printf(&b, "%s %s: %s", display, u->version, g->check);
        else if ((r = buf_printf(&b, "%s %s: ", display, u->version)) == 0 &&
                 (r = join_strings(&b, g->cves, g->n_cves, TITLE_CVES)) == 0)
                r = buf_printf(&b, " (%s)", g->check);
        if (r == 0 && !fix)
                r = buf_append_str(&b, ", no fix available yet");
        if (r < 0 || (r = finding_set_title(f, "%s", b.data)) < 0)
                return r < 0 ? r : -ENOMEM;

        buf_reset(&b);
        r = buf_append_str(&b, g->summary ? g->summary : "The feed gives no description.");
        /* The summary is one line without a full stop, often: end it before
         * adding a sentence. */
        if (r == 0 && b.len && !strchr(".!?", b.data[b.len - 1]) &&
            (!fix || (!g->fixed && g->last_affected)))
                r = buf_append_str(&b, ".");
        if (r == 0 && !fix)
                r = buf_append_str(&b, " No fix available yet.");
        else if (r == 0 && !g->fixed && g->last_affected)
                r = buf_printf(&b, " Versions after %s are not affected.", g->last_affected);
        if (r < 0 || (r = finding_set_detail(f, "%s", b.data)) < 0)
                return r < 0 ? r : -ENOMEM;

        if ((r = set_remediation(m, u, g, f)) < 0)
                return r;

        /* Evidence. */
        if ((r = finding_add_evidence_str(f, "package", u->name)) < 0)
                return r;
        if (!is_app(u->kind)) {
                if ((r = finding_add_evidence_str(f, "source_package", pkg_source_name(p))) < 0)
                        return r;
                buf_reset(&b);
                for (size_t i = 0; i < u->n; i++) {
                        const pkg_t *q = &u->list->v[m->members[u->first + i]];
                        if (buf_printf(&b, "%s%s %s", i ? ", " : "", q->name, q->version) < 0)
                                return -ENOMEM;
                }
                if ((r = finding_add_evidence_str(f, "binary_packages", b.data)) < 0)
                        return r;
        }
        if ((r = finding_add_evidence_str(f, "installed_version", u->version)) < 0)
                return r;
        if (g->fixed && (r = finding_add_evidence_str(f, "fixed_version", g->fixed)) < 0)
                return r;
        if (!g->fixed && g->last_affected &&
            (r = finding_add_evidence_str(f, "last_affected_version", g->last_affected)) < 0)
                return r;
        if ((r = finding_add_evidence_str(f, "ecosystem", u->ecosystem)) < 0)
                return r;
        if (p->location && (r = finding_add_evidence_str(f, "location", p->location)) < 0)
                return r;
        if (is_app(u->kind) && p->manifest &&
            (r = finding_add_evidence_str(f, "manifest", p->manifest)) < 0)
                return r;
        buf_reset(&b);
        if ((r = join_strings(&b, g->cves, g->n_cves, g->n_cves)) < 0 ||
            (g->n_cves && (r = finding_add_evidence_str(f, "cves", b.data)) < 0))
                return r;
        buf_reset(&b);
        if ((r = join_strings(&b, g->advisories, g->n_advisories, g->n_advisories)) < 0 ||
            (r = finding_add_evidence_str(f, "advisories", b.data)) < 0)
                return r;
        if (g->cvss_score >= 0) {
                char score[16];
                snprintf(score, sizeof(score), "%.1f", g->cvss_score);
                if ((r = finding_add_evidence_str(f, "cvss_score", score)) < 0 ||
                    (r = finding_add_evidence_str(f, "cvss_vector", g->cvss_vector)) < 0)
                        return r;
        }
        if ((r = finding_add_evidence_str(f, "severity_source",
                                          level_source_name(g->level_source))) < 0)
                return r;
        if (g->severity && (r = finding_add_evidence_str(f, "severity", g->severity)) < 0)
                return r;

        /* References: the feeds' URLs, then the advisory and CVE ids. */
        for (size_t i = 0; i < g->n_refs && i < MAX_REF_URLS; i++)
                if ((r = finding_add_reference(f, g->refs[i])) < 0)
                        return r;
        for (size_t i = 0; i < g->n_advisories; i++)
                if ((r = finding_add_reference(f, g->advisories[i])) < 0)
                        return r;
        for (size_t i = 0; i < g->n_cves; i++)
                if ((r = finding_add_reference(f, g->cves[i])) < 0)
                        return r;
        if (!fix && (r = finding_add_tag(f, "no-fix")) < 0)
                return r;
        if (u->kernel && (r = finding_add_tag(f, "kernel")) < 0)
                return r;
        if ((r = finding_add_tag(f, is_app(u->kind) ? "application" : "os-package")) < 0)
                return r;
        m->findings++;
        return report_add_finding(m->report, TAKE_PTR(f));
}

/* Has a primary unit already reported CHECK for package P? */
static bool covered(matcher_t *m, const char *check, const pkg_t *p)
{
        char key[600];

        snprintf(key, sizeof(key), "%s\n%p", check, (const void *)p);
        return strv_contains(&m->covered, key);
}

static int cover(matcher_t *m, const char *check, const pkg_t *p)
{
        char key[600];

        snprintf(key, sizeof(key), "%s\n%p", check, (const void *)p);
        return strv_push(&m->covered, key);
}

typedef struct matched {
        const feeddb_hit_t *hit;
        match_result_t res;
} matched_t;

static int match_unit(matcher_t *m, const unit_t *u)
{
        feeddb_hit_t *hits = NULL;
        matched_t *mv = NULL;
        match_hit_t *mh = NULL;
        match_group_t *groups = NULL;
        size_t n = 0, nm = 0, ng = 0;
        int r;

        fj_arena_reset(&m->arena);
        if ((r = feeddb_lookup(m->rd, &m->arena, u->ecosystem, u->name, &hits, &n)) < 0)
                return r;
        m->advisories_checked += (long long)n;
        if (!n)
                return 0;
        mv = fj_arena_alloc(&m->arena, n * sizeof(*mv));
        if (!mv)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                match_result_t res;
                bool dup = false;
                if (!match_affected(u->scheme, u->version, &hits[i].affected, &res,
                                    &m->ranges_compared))
                        continue;
                /* One advisory listing the package twice is one hit. */
                for (size_t k = 0; k < nm && !dup; k++)
                        if (mv[k].hit->advisory_rowid == hits[i].advisory_rowid) {
                                dup = true;
                                if (res.fixed && (!mv[k].res.fixed || vercmp(u->scheme, res.fixed,
                                                                             mv[k].res.fixed) > 0))
                                        mv[k].res.fixed = res.fixed;
                        }
                if (!dup)
                        mv[nm++] = (matched_t){ &hits[i], res };
        }
        if (!nm)
                return 0;
        mh = fj_arena_alloc(&m->arena, nm * sizeof(*mh));
        if (!mh)
                return -ENOMEM;
        for (size_t i = 0; i < nm; i++) {
                feeddb_info_t info;
                const feeddb_hit_t *h = mv[i].hit;
                if ((r = feeddb_advisory_info(m->rd, &m->arena, h->advisory_rowid,
                                              h->affected_rowid, &info)) < 0)
                        return r;
                mh[i] = (match_hit_t){
                        .id = info.id,
                        .source = info.source,
                        .summary = info.summary,
                        .aliases = info.aliases,
                        .n_aliases = info.n_aliases,
                        .fixed = mv[i].res.fixed,
                        .last_affected = mv[i].res.last_affected,
                        .severity = info.severity,
                        .urgency = h->affected.severity,
                        .refs = info.refs,
                        .n_refs = info.n_refs,
                };
                if (info.n_affected_severities)
                        best_cvss(info.affected_severities, info.n_affected_severities,
                                  &mh[i].cvss_score, &mh[i].cvss_vector);
                else
                        best_cvss(info.severities, info.n_severities, &mh[i].cvss_score,
                                  &mh[i].cvss_vector);
        }
        if ((r = match_group_hits(u->scheme, mh, nm, &m->arena, &groups, &ng)) < 0)
                return r;
        for (size_t i = 0; i < ng; i++) {
                const pkg_t *p = &u->list->v[m->members[u->first]];
                if (u->secondary && covered(m, groups[i].check, p))
                        continue;
                if (!u->secondary && !is_app(u->kind) && u->kind != PKG_DPKG)
                        for (size_t k = 0; k < u->n; k++)
                                if ((r = cover(m, groups[i].check,
                                               &u->list->v[m->members[u->first + k]])) < 0)
                                        return r;
                if (u->kernel)
                        m->kernel_vulnerable = true;
                if ((r = make_finding(m, u, &groups[i])) < 0)
                        return r;
        }
        return 0;
}

static int reboot_finding(matcher_t *m)
{
        const kernel_info_t *k = m->in->kernel;
        _cleanup_finding_ finding_t *f = NULL;
        int r;

        if (!k || !k->reboot_needed || !k->newest_release)
                return 0;
        f = finding_new(CAT_VULNERABILITY, "kernel-reboot-needed",
                        k->newest_package ? k->newest_package : "kernel",
                        m->kernel_vulnerable ? FINDING_MEDIUM : FINDING_LOW);
        if (!f)
                return -ENOMEM;
        if ((r = finding_set_title(f, "reboot to run the installed kernel %s (running %s)",
                                   k->newest_release,
                                   k->running_release ? k->running_release : "an older one")) < 0 ||
            (r = finding_set_detail(
                     f,
                     "A newer kernel is installed than the one running; its fixes apply only "
                     "after a reboot.%s",
                     m->kernel_vulnerable ? " The running kernel has known vulnerabilities."
                                          : "")) < 0 ||
            (r = finding_set_remediation(f,
                                         "reboot the host (for example: systemctl reboot) to "
                                         "run kernel %s",
                                         k->newest_release)) < 0)
                return r;
        if ((k->running_release &&
             (r = finding_add_evidence_str(f, "running_release", k->running_release)) < 0) ||
            (k->running_package &&
             (r = finding_add_evidence_str(f, "running_package", k->running_package)) < 0) ||
            (k->running_version &&
             (r = finding_add_evidence_str(f, "running_version", k->running_version)) < 0) ||
            (r = finding_add_evidence_str(f, "installed_release", k->newest_release)) < 0 ||
            (k->newest_package &&
             (r = finding_add_evidence_str(f, "installed_package", k->newest_package)) < 0) ||
            (k->newest_version &&
             (r = finding_add_evidence_str(f, "installed_version", k->newest_version)) < 0) ||
            (r = finding_add_tag(f, "kernel")) < 0)
                return r;
        m->findings++;
        return report_add_finding(m->report, TAKE_PTR(f));
}

int vuln_match(sqlite3 *db, const vuln_input_t *in, report_t *report)
{
        matcher_t m = { .db = db, .in = in, .report = report };
        int64_t t0;
        int r;

        fj_arena_init(&m.arena, 1 * GiB);
        fj_arena_init(&m.keep, 64 * MiB);
        if (in->os_ecosystem &&
            ecosystem_base(in->os_ecosystem, m.eco_base, sizeof(m.eco_base)) < 0)
                m.eco_base[0] = 0;
        if ((r = feeddb_reader_new(db, &m.rd)) < 0) {
                report_note(report, REPORT_NOTE_ERROR, SCANNER, "cannot read the feed store: %s",
                            sqlite3_errmsg(db));
                goto out;
        }
        if (in->os_ecosystem && in->os_pkgs && in->os_pkgs->n) {
                bool any = true;
                if (feeddb_has_ecosystem(db, in->os_ecosystem, &any) == 0 && !any)
                        report_note(report, REPORT_NOTE_WARNING, SCANNER,
                                    "the vulnerability feed has no advisories for %s, so OS "
                                    "packages were not checked; import that ecosystem (vigil feed "
                                    "update, or vigil feed import an OSV %s archive)",
                                    in->os_ecosystem, m.eco_base);
        }
        t0 = timeutil_mono_us();
        if ((r = build_os_units(&m)) < 0 || (r = build_app_units(&m)) < 0)
                goto out;
        for (size_t i = 0; i < m.n_units; i++) {
                if (i % 64 == 0)
                        progress_update(in->progress, SCANNER ": matching", i, m.n_units);
                if ((r = match_unit(&m, &m.units[i])) < 0) {
                        report_note(report, REPORT_NOTE_ERROR, SCANNER, "matching %s failed: %s",
                                    m.units[i].name, r == -EIO ? sqlite3_errmsg(db) : strerror(-r));
                        goto out;
                }
        }
        if ((r = reboot_finding(&m)) < 0)
                goto out;
        report_count(report, SCANNER, "match_ms", (timeutil_mono_us() - t0) / 1000);
        report_count(report, SCANNER, "units", (long long)m.n_units);
        report_count(report, SCANNER, "advisories_checked", m.advisories_checked);
        report_count(report, SCANNER, "ranges_compared", (long long)m.ranges_compared);
        report_count(report, SCANNER, "findings", m.findings);
        report_count(report, SCANNER, "kernel_packages_skipped", m.kernel_skipped);
        r = 0;
out:
        feeddb_reader_free(m.rd);
        fj_arena_free(&m.arena);
        fj_arena_free(&m.keep);
        free(m.units);
        free(m.members);
        strv_clear(&m.covered);
        return r;
}

/* ---- the scanner ---- */

static void note_no_feed(scan_ctx_t *ctx, const char *why)
{
        report_note(ctx->report, REPORT_NOTE_INFO, SCANNER,
                    "%s, so installed packages were not checked for vulnerabilities. Get a feed "
                    "with 'vigil feed update' (downloads the default sources for this OS) or "
                    "'vigil feed import FILE' (OSV JSON, osv.dev all.zip, Debian tracker JSON).",
                    why);
}

static void apps_options(const config_t *c, apps_opts_t *o)
{
        unsigned long long v;

        apps_opts_default(o);
        v = (unsigned long long)config_get_int(c, "scan.apps.max_depth", o->max_depth);
        if (v > 0 && v < 4096)
                o->max_depth = (unsigned)v;
        if (config_get_size(c, "scan.apps.max_file_size", &v) == 0)
                o->max_file_size = v;
        v = (unsigned long long)config_get_int(c, "scan.apps.max_archive_depth",
                                               o->max_archive_depth);
        if (v > 0 && v < 64)
                o->max_archive_depth = (unsigned)v;
        if (config_get_size(c, "scan.apps.max_inflated", &v) == 0)
                o->max_inflated = v;
        v = (unsigned long long)config_get_int(c, "scan.apps.max_files", (long long)o->max_files);
        if (v > 0)
                o->max_files = (size_t)v;
}

int vuln_scan(scan_ctx_t *ctx)
{
        _cleanup_(store_closep) sqlite3 *db = NULL;
        _cleanup_free_ char *err = NULL, *eco = NULL;
        _cleanup_pkg_list_ pkg_list_t os_pkgs = { 0 }, apps = { 0 };
        _cleanup_(strv_clear) strv_t roots = { 0 };
        osinfo_t os = { 0 };
        kernel_info_t kinfo = { 0 };
        char norm[ECOSYSTEM_MAX + 1];
        int64_t newest = 0, now = timeutil_now_us() / 1000000;
        long long advisories = 0;
        bool have_os = false;
        apps_opts_t ao;
        int r;

        r = feeddb_open(ctx->state_dir, false, &db, &err);
        if (r == -ENOENT) {
                _cleanup_free_ char *why = str_printf("there is no vulnerability feed in %s/%s",
                                                      ctx->state_dir, FEEDDB_FILE);
                note_no_feed(ctx, why ? why : "there is no vulnerability feed");
                return 0;
        }
        if (r < 0) {
                report_note(ctx->report, REPORT_NOTE_ERROR, SCANNER,
                            "cannot open the feed store: %s", err ? err : strerror(-r));
                return r;
        }
        if (feeddb_summary(db, &advisories, &newest) < 0) {
                report_note(ctx->report, REPORT_NOTE_ERROR, SCANNER,
                            "cannot read the feed store: %s", sqlite3_errmsg(db));
                return -EIO;
        }
        if (advisories <= 0) {
                _cleanup_free_ char *why = str_printf("the vulnerability feed in %s/%s is empty",
                                                      ctx->state_dir, FEEDDB_FILE);
                note_no_feed(ctx, why ? why : "the vulnerability feed is empty");
                return 0;
        }
        report_count(ctx->report, SCANNER, "feed_advisories", advisories);
        if (newest) {
                report_count(ctx->report, SCANNER, "feed_age_days", (now - newest) / 86400);
                if (now - newest > FEED_MAX_AGE_DAYS * 86400)
                        report_note(ctx->report, REPORT_NOTE_WARNING, SCANNER,
                                    "the vulnerability feed is %lld days old; run 'vigil feed "
                                    "update' for current data",
                                    (long long)((now - newest) / 86400));
        }

        progress_update(ctx->progress, SCANNER ": reading packages", 0, 0);
        free(err);
        err = NULL;
        r = osinfo_read(ctx->root, &os, &err);
        if (r == 0) {
                have_os = true;
                eco = osinfo_osv_ecosystem(&os);
                if (!ctx->report->os)
                        report_set_os(ctx->report, osinfo_to_json(&os));
        } else
                report_note(ctx->report, REPORT_NOTE_WARNING, SCANNER,
                            "cannot tell which OS this is (%s); OS packages are not matched",
                            err ? err : strerror(-r));
        if (eco && ecosystem_normalise(eco, norm, sizeof(norm)) < 0) {
                free(eco);
                eco = NULL;
        }
        if (have_os && !eco)
                report_note(ctx->report, REPORT_NOTE_INFO, SCANNER,
                            "vigil knows no vulnerability feed for this OS (%s); only application "
                            "components are matched",
                            os.pretty_name ? os.pretty_name : os.id);
        if ((r = ospkg_collect(ctx->root, &os_pkgs, ctx->report)) < 0)
                goto out;
        if ((r = kernel_inspect(ctx->root, &os_pkgs, &kinfo)) < 0)
                goto out;
        if (ctx->root->is_host && kinfo.running_release && !kinfo.running_package && eco)
                report_note(ctx->report, REPORT_NOTE_INFO, SCANNER,
                            "the running kernel %s is not from an installed package; kernel "
                            "advisories were not matched",
                            kinfo.running_release);

        apps_options(ctx->config, &ao);
        r = config_get_strv(ctx->config, "scan.apps.roots", &roots);
        if (r == 0)
                ao.roots = &roots;
        else if (r == -EINVAL)
                report_note(ctx->report, REPORT_NOTE_WARNING, SCANNER,
                            "scan.apps.roots must be a list of directories; using the defaults");
        ao.progress = ctx->progress;
        progress_update(ctx->progress, SCANNER ": finding application components", 0, 0);
        if ((r = apps_collect(ctx->root, &ao, &apps, ctx->report)) < 0)
                goto out;
        report_count(ctx->report, SCANNER, "packages", (long long)os_pkgs.n);
        report_count(ctx->report, SCANNER, "components", (long long)apps.n);

        vuln_input_t in = {
                .os_ecosystem = eco ? norm : NULL,
                .os_id = os.id,
                .os_version_id = os.version_id,
                .os_pkgs = &os_pkgs,
                .apps = &apps,
                .kernel = &kinfo,
                .progress = ctx->progress,
        };
        r = vuln_match(db, &in, ctx->report);
out:
        kernel_info_clear(&kinfo);
        osinfo_clear(&os);
        return r;
}
