/* The rpm database, read with librpm in a helper process. librpm keeps
 * global state (macros, its log, signal handlers while a database is open),
 * is not thread safe, leaks on some corrupt databases and parses what an
 * attacker may have written; in a short-lived helper none of that reaches
 * vigil. The helper is this same program started again (/proc/self/exe with
 * posix_spawn, so no lock held by another thread of a busy agent is
 * inherited) in a mode entered before main() from a constructor below. It
 * sends back the raw header fields; the parent checks every byte it receives
 * as it would check the database itself. Which database is read is fixed by
 * vigil, never by the host's macro files: _dbpath and _db_backend are set
 * explicitly. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rpm/header.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmfi.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmtag.h>
#include <rpm/rpmts.h>

#include "core/buf.h"
#include "core/text.h"
#include "inventory/os/osparse.h"
#include "inventory/os/ospkg.h"
#include "inventory/os/rpmdb.h"

/* Where distributions keep the database, newest convention first (Fedora
 * 36+, openSUSE and SLE 15 SP4+ use /usr/lib/sysimage/rpm, often with
 * /var/lib/rpm a symlink to it). */
static const char *const rpmdb_dirs[] = { "/usr/lib/sysimage/rpm", "/var/lib/rpm" };

/* A backend is recognised by its main file; EXTRA files are copied with it
 * when present. */
static const struct backend {
        const char *name;
        const char *main;
        const char *extra[2];
} backends[] = {
        { "sqlite", "rpmdb.sqlite", { "rpmdb.sqlite-wal", NULL } },
        { "ndb", "Packages.db", { "Index.db", NULL } },
        { "bdb_ro", "Packages", { NULL, NULL } },
};

/* librpm messages passed on per read, for the report. */
#define RPM_MAX_LOG 8
/* What the child may send: far more than any real database's names and
 * versions (a RHEL host with 5000 packages sends under 1 MiB). */
#define RPM_MAX_REPLY (256 * MiB)
/* A read that takes longer is abandoned (the child is killed). */
#define RPM_TIMEOUT_SEC 600

/* The child's reply is a sequence of records: 'H' (a header: u32 number,
 * u8 has-epoch, u64 epoch, then name, version, release, arch and source rpm
 * as strings), 'L' (a librpm message string), and a final 'E' (i32 result,
 * 0 or a negative errno). A string is a u32 length, UINT32_MAX for none,
 * then that many bytes.
 *
 * In files mode (rpmdb_read_files) the child sends instead, per package, a
 * 'P' (u32 number, u8 has-epoch, u64 epoch, then name, version and release
 * as strings) followed by one 'F' per file of it (u32 digest algorithm, u32
 * flags, u32 mode, u32 state, then path and hex digest as strings, the
 * digest "none" when rpm has none). */

typedef enum child_mode {
        MODE_PACKAGES,
        MODE_FILES,
} child_mode_t;

static void put_u32(buf_t *b, uint32_t v)
{
        (void)buf_append(b, &v, sizeof(v));
}

static void put_str(buf_t *b, const char *s)
{
        size_t n = s ? strlen(s) : 0;

        if (!s || n >= UINT32_MAX) {
                put_u32(b, UINT32_MAX);
                return;
        }
        put_u32(b, (uint32_t)n);
        (void)buf_append(b, s, n);
}

/* In the child: librpm would print its messages to stderr, which library
 * code must not do; warnings and errors go into the reply instead. */
static int child_log_cb(rpmlogRec rec, rpmlogCallbackData data)
{
        buf_t *b = data;
        const char *m = rpmlogRecMessage(rec);

        if (b && m && rpmlogRecPriority(rec) <= RPMLOG_WARNING) {
                (void)buf_append(b, "L", 1);
                put_str(b, m);
        }
        return 0;
}

/* In the child: the files of header H into REPLY. */
static void child_files(rpmts ts, Header h, buf_t *reply)
{
        rpmfi fi = rpmfiNew(ts, h, RPMTAG_BASENAMES, RPMFI_FLAGS_QUERY);
        uint64_t epoch = headerGetNumber(h, RPMTAG_EPOCH);
        uint8_t has_epoch = headerIsEntry(h, RPMTAG_EPOCH) ? 1 : 0;

        (void)buf_append(reply, "P", 1);
        put_u32(reply, headerGetInstance(h));
        (void)buf_append(reply, &has_epoch, 1);
        (void)buf_append(reply, &epoch, sizeof(epoch));
        put_str(reply, headerGetString(h, RPMTAG_NAME));
        put_str(reply, headerGetString(h, RPMTAG_VERSION));
        put_str(reply, headerGetString(h, RPMTAG_RELEASE));
        while (fi && rpmfiNext(fi) >= 0) {
                int algo = 0;
                char *hex = rpmfiFDigestHex(fi, &algo);
                (void)buf_append(reply, "F", 1);
                put_u32(reply, (uint32_t)algo);
                put_u32(reply, (uint32_t)rpmfiFFlags(fi));
                put_u32(reply, (uint32_t)rpmfiFMode(fi));
                put_u32(reply, (uint32_t)(uint8_t)rpmfiFState(fi));
                put_str(reply, rpmfiFN(fi));
                put_str(reply, hex && *hex ? hex : NULL);
                free(hex);
                /* Stop early rather than build a reply the parent refuses. */
                if (reply->len + 64 * KiB > RPM_MAX_REPLY)
                        break;
        }
        rpmfiFree(fi);
}

/* In the child: read DBDIR with BACKEND into REPLY. Returns 0 or a negative
 * errno. */
static int child_read(const char *dbdir, const struct backend *be, child_mode_t mode, buf_t *reply)
{
        rpmdbMatchIterator mi = NULL;
        rpmts ts = NULL;
        Header h;
        int r = 0;

        rpmlogSetCallback(child_log_cb, reply);
        /* The host's rpmrc and macro files give librpm its defaults
         * (architecture tables, crypto). The two macros that choose the
         * database are then pushed at command-line level, so they win over
         * anything those files define (Debian's _dbpath even runs a shell). */
        if (rpmReadConfigFiles(NULL, NULL) != 0)
                return -EIO;
        rpmPushMacro(NULL, "_dbpath", NULL, dbdir, RMIL_CMDLINE);
        rpmPushMacro(NULL, "_db_backend", NULL, be->name, RMIL_CMDLINE);
        ts = rpmtsCreate();
        if (!ts)
                return -ENOMEM;
        /* The root is "/" because DBDIR is already the full path. Header
         * digests are still checked; signatures are not (that would load
         * keys, and says nothing about what is installed). */
        rpmtsSetRootDir(ts, "/");
        rpmtsSetVSFlags(ts, _RPMVSF_NOSIGNATURES);
        if (rpmtsOpenDB(ts, O_RDONLY) != 0) {
                r = -EIO;
                goto out;
        }
        mi = rpmtsInitIterator(ts, RPMDBI_PACKAGES, NULL, 0);
        while (mi && (h = rpmdbNextIterator(mi)) != NULL) {
                if (mode == MODE_FILES) {
                        const char *name = headerGetString(h, RPMTAG_NAME);
                        /* Imported public keys are stored as packages
                         * without files. */
                        if (!name || strcmp(name, "gpg-pubkey") != 0)
                                child_files(ts, h, reply);
                        if (reply->len + 64 * KiB > RPM_MAX_REPLY) {
                                r = -E2BIG;
                                break;
                        }
                        continue;
                }
                uint64_t epoch = headerGetNumber(h, RPMTAG_EPOCH);
                uint8_t has_epoch = headerIsEntry(h, RPMTAG_EPOCH) ? 1 : 0;
                (void)buf_append(reply, "H", 1);
                put_u32(reply, rpmdbGetIteratorOffset(mi));
                (void)buf_append(reply, &has_epoch, 1);
                (void)buf_append(reply, &epoch, sizeof(epoch));
                put_str(reply, headerGetString(h, RPMTAG_NAME));
                put_str(reply, headerGetString(h, RPMTAG_VERSION));
                put_str(reply, headerGetString(h, RPMTAG_RELEASE));
                put_str(reply, headerGetString(h, RPMTAG_ARCH));
                put_str(reply, headerGetString(h, RPMTAG_SOURCERPM));
                if (reply->len + 64 * KiB > RPM_MAX_REPLY) {
                        r = -E2BIG;
                        break;
                }
        }
out:
        rpmdbFreeIterator(mi);
        rpmtsFree(ts);
        return r;
}

static void write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                p += w;
                n -= (size_t)w;
        }
}

/* The helper's side of the pipe is this descriptor. */
#define HELPER_FD  3
#define HELPER_ENV "VIGIL_RPMDB_HELPER"

/* The helper: read, write the reply to HELPER_FD, exit. Never returns. */
static _Noreturn void helper_main(const char *dbdir, const char *backend, const char *mode)
{
        const struct backend *be = NULL;
        buf_t reply;
        int32_t rc;

        /* Writing to a parent that gave up must end the helper quietly. */
        signal(SIGPIPE, SIG_DFL);
        for (size_t i = 0; i < ELEMENTSOF(backends); i++)
                if (backend && strcmp(backend, backends[i].name) == 0)
                        be = &backends[i];
        buf_init(&reply, RPM_MAX_REPLY);
        rc = be && dbdir && dbdir[0] == '/'
                     ? child_read(dbdir, be,
                                  mode && strcmp(mode, "files") == 0 ? MODE_FILES : MODE_PACKAGES,
                                  &reply)
                     : -EINVAL;
        (void)buf_append(&reply, "E", 1);
        (void)buf_append(&reply, &rc, sizeof(rc));
        write_all(HELPER_FD, reply.data, reply.len);
        _exit(0);
}

/* Runs before main() in every program linked with this module; does
 * nothing unless the program was started as the helper, with the exact
 * environment run_child builds. */
__attribute__((constructor)) static void rpmdb_helper_entry(void)
{
        const char *mode = getenv(HELPER_ENV);

        if (!mode || strcmp(mode, "1") != 0)
                return;
        helper_main(getenv("VIGIL_RPMDB_DIR"), getenv("VIGIL_RPMDB_BACKEND"),
                    getenv("VIGIL_RPMDB_MODE"));
}

/* "name-version-release.src.rpm" -> "name". NULL when S has another shape
 * or out of memory. */
static char *srpm_name(const char *s)
{
        size_t n = strlen(s);
        const char *dash;

        if (n > STRLEN(".src.rpm") && str_endswith(s, ".src.rpm"))
                n -= STRLEN(".src.rpm");
        else if (n > STRLEN(".nosrc.rpm") && str_endswith(s, ".nosrc.rpm"))
                n -= STRLEN(".nosrc.rpm");
        else
                return NULL;
        for (int k = 0; k < 2; k++) {
                dash = memrchr(s, '-', n);
                if (!dash || dash == s)
                        return NULL;
                n = (size_t)(dash - s);
        }
        return str_ndup(s, n);
}

/* rpm names, versions and releases are printable ASCII words. */
static bool rpm_word_ok(const char *s, bool allow_dash)
{
        if (!s || !*s)
                return false;
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c <= 0x20 || c >= 0x7f || (!allow_dash && c == '-'))
                        return false;
        }
        return true;
}

typedef struct read_ctx {
        const char *display;
        osparse_notes_t notes;
        pkg_list_t list;
        long long skipped;
} read_ctx_t;

typedef struct header_fields {
        uint32_t hnum;
        bool has_epoch;
        uint64_t epoch;
        char *name, *version, *release, *arch, *srpm;
} header_fields_t;

static void header_fields_clear(header_fields_t *f)
{
        free(f->name);
        free(f->version);
        free(f->release);
        free(f->arch);
        free(f->srpm);
        *f = (header_fields_t){ 0 };
}

/* Append the package of header F. Returns 0 or -ENOMEM. */
static int take_header(read_ctx_t *c, const header_fields_t *f)
{
        _cleanup_free_ char *evr = NULL, *source = NULL;
        char q[80];

        if (!rpm_word_ok(f->name, true) || !rpm_word_ok(f->version, false) ||
            !rpm_word_ok(f->release, false)) {
                osparse_warn(&c->notes, f->hnum,
                             "header without a valid name, version and release (name \"%s\"); "
                             "skipped",
                             f->name ? osparse_quote(q, sizeof(q), f->name, strlen(f->name)) : "");
                c->skipped++;
                return 0;
        }
        /* Public keys imported with rpm --import are stored as packages;
         * they are not software. */
        if (strcmp(f->name, "gpg-pubkey") == 0)
                return 0;
        if (f->arch && !rpm_word_ok(f->arch, true)) {
                osparse_warn(&c->notes, f->hnum, "package %s has an invalid architecture; skipped",
                             f->name);
                c->skipped++;
                return 0;
        }
        if (f->srpm) {
                if (!rpm_word_ok(f->srpm, true) || !(source = srpm_name(f->srpm))) {
                        osparse_warn(&c->notes, f->hnum,
                                     "package %s: source rpm \"%s\" is not "
                                     "name-version-release.src.rpm; skipped",
                                     f->name,
                                     osparse_quote(q, sizeof(q), f->srpm, strlen(f->srpm)));
                        c->skipped++;
                        return 0;
                }
                if (strcmp(source, f->name) == 0) {
                        free(source);
                        source = NULL;
                }
        }
        if (f->has_epoch)
                evr = str_printf("%llu:%s-%s", (unsigned long long)f->epoch, f->version,
                                 f->release);
        else
                evr = str_printf("%s-%s", f->version, f->release);
        if (!evr)
                return -ENOMEM;
        return pkg_list_add(&c->list, PKG_RPM, f->name, source, evr, NULL, f->arch, c->display,
                            NULL);
}

/* A cursor over the child's reply; every read is bounds-checked, since a
 * child subverted by a hostile database could send anything. */
typedef struct cursor {
        const char *p;
        size_t left;
} cursor_t;

static bool get_bytes(cursor_t *c, void *out, size_t n)
{
        if (c->left < n)
                return false;
        memcpy(out, c->p, n);
        c->p += n;
        c->left -= n;
        return true;
}

/* A string as a fresh C string (*RET NULL for "none"). False on a
 * malformed reply (or out of memory: then *OOM). */
static bool get_str(cursor_t *c, char **ret, bool *oom)
{
        uint32_t n;

        *ret = NULL;
        if (!get_bytes(c, &n, sizeof(n)))
                return false;
        if (n == UINT32_MAX)
                return true;
        if (c->left < n || memchr(c->p, 0, n))
                return false;
        *ret = str_ndup(c->p, n);
        if (!*ret) {
                *oom = true;
                return false;
        }
        c->p += n;
        c->left -= n;
        return true;
}

/* Turn the child's reply into packages and notes. Returns the child's
 * result, -EIO for a malformed reply, or -ENOMEM. */
static int parse_reply(const char *data, size_t n, read_ctx_t *c, strv_t *log)
{
        cursor_t cur = { data, n };
        bool oom = false;

        for (;;) {
                char type;
                if (!get_bytes(&cur, &type, 1))
                        return -EIO; /* no final 'E': the child died */
                if (type == 'E') {
                        int32_t rc;
                        if (!get_bytes(&cur, &rc, sizeof(rc)) || cur.left != 0 || rc > 0 ||
                            rc < -4095)
                                return -EIO;
                        /* The child running out of memory is not this
                         * process running out: the database was not read. */
                        return rc == -ENOMEM ? -EIO : rc;
                }
                if (type == 'L') {
                        char *m;
                        if (!get_str(&cur, &m, &oom))
                                return oom ? -ENOMEM : -EIO;
                        if (m && strv_push_take(log, m) < 0)
                                return -ENOMEM;
                        continue;
                }
                if (type == 'H') {
                        header_fields_t f = { 0 };
                        uint8_t has_epoch;
                        int r;
                        if (!get_bytes(&cur, &f.hnum, sizeof(f.hnum)) ||
                            !get_bytes(&cur, &has_epoch, 1) ||
                            !get_bytes(&cur, &f.epoch, sizeof(f.epoch)) ||
                            !get_str(&cur, &f.name, &oom) || !get_str(&cur, &f.version, &oom) ||
                            !get_str(&cur, &f.release, &oom) || !get_str(&cur, &f.arch, &oom) ||
                            !get_str(&cur, &f.srpm, &oom)) {
                                header_fields_clear(&f);
                                return oom ? -ENOMEM : -EIO;
                        }
                        f.has_epoch = has_epoch != 0;
                        r = take_header(c, &f);
                        header_fields_clear(&f);
                        if (r < 0)
                                return r;
                        continue;
                }
                return -EIO;
        }
}

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the helper on DBDIR and collect its whole reply into REPLY. Returns
 * 0, -ETIMEDOUT, -E2BIG, -ECHILD (the helper died: crashed or was killed),
 * or another negative errno. */
static int run_child(const char *dbdir, const struct backend *be, child_mode_t mode, buf_t *reply)
{
        _cleanup_free_ char *env_dir = str_printf("VIGIL_RPMDB_DIR=%s", dbdir),
                            *env_be = str_printf("VIGIL_RPMDB_BACKEND=%s", be->name);
        char *argv[] = { "vigil-rpmdb-reader", NULL };
        /* A fixed environment: nothing of the caller's reaches librpm but
         * what it needs to find its own configuration. */
        char *envp[] = { HELPER_ENV "=1",
                         env_dir,
                         env_be,
                         mode == MODE_FILES ? "VIGIL_RPMDB_MODE=files"
                                            : "VIGIL_RPMDB_MODE=packages",
                         "PATH=/usr/bin:/bin",
                         NULL };
        int64_t deadline = now_ms() + (int64_t)RPM_TIMEOUT_SEC * 1000;
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t all, none;
        int fds[2], status, r;
        pid_t pid;

        if (!env_dir || !env_be)
                return -ENOMEM;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        sigfillset(&all);
        sigemptyset(&none);
        r = -posix_spawn_file_actions_init(&fa);
        if (r == 0) {
                r = -posix_spawnattr_init(&attr);
                if (r < 0)
                        posix_spawn_file_actions_destroy(&fa);
        }
        if (r < 0) {
                close(fds[0]);
                close(fds[1]);
                return r;
        }
        /* dup2 onto HELPER_FD clears close-on-exec there; every other
         * descriptor of this process stays behind. */
        r = -posix_spawn_file_actions_adddup2(&fa, fds[1], HELPER_FD);
        if (r == 0)
                r = -posix_spawnattr_setsigdefault(&attr, &all);
        if (r == 0)
                r = -posix_spawnattr_setsigmask(&attr, &none);
        if (r == 0)
                r = -posix_spawnattr_setflags(&attr,
                                              POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
        if (r == 0)
                r = -posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        close(fds[1]);
        if (r < 0) {
                close(fds[0]);
                return r;
        }
        for (;;) {
                char chunk[64 * 1024];
                struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
                int64_t left = deadline - now_ms();
                ssize_t got;
                int pr;

                if (left <= 0) {
                        r = -ETIMEDOUT;
                        break;
                }
                pr = poll(&pfd, 1, (int)MIN(left, (int64_t)60000));
                if (pr < 0 && errno == EINTR)
                        continue;
                if (pr < 0) {
                        r = -errno;
                        break;
                }
                if (pr == 0)
                        continue;
                got = read(fds[0], chunk, sizeof(chunk));
                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0) {
                        r = -errno;
                        break;
                }
                if (got == 0)
                        break;
                r = buf_append(reply, chunk, (size_t)got);
                if (r < 0)
                        break;
        }
        close(fds[0]);
        if (r < 0)
                (void)kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR) {
                        /* SIGCHLD ignored by the process: the helper reaped
                         * itself; its reply says whether it finished. */
                        status = 0;
                        break;
                }
        }
        if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
                r = -ECHILD;
        return r;
}

static int read_dir(const char *dbdir, const struct backend *be, const char *display,
                    pkg_list_t *out, report_t *report)
{
        read_ctx_t c = {
                .display = display,
                .notes = { .report = report, .display = display, .sep = '#' },
        };
        strv_t log = { 0 };
        buf_t reply;
        size_t added;
        int r;

        buf_init(&reply, RPM_MAX_REPLY);
        r = run_child(dbdir, be, MODE_PACKAGES, &reply);
        if (r == 0)
                r = parse_reply(reply.data ? reply.data : "", reply.len, &c, &log);
        else if (r != -ENOMEM) {
                if (report)
                        (void)report_note(report, REPORT_NOTE_WARNING, display,
                                          "reading the rpm database failed: %s",
                                          r == -ECHILD      ? "the librpm helper died"
                                          : r == -ETIMEDOUT ? "it took too long"
                                          : r == -E2BIG     ? "too much data"
                                                            : strerror(-r));
                r = -EIO;
        }
        if (report) {
                for (size_t i = 0; i < log.n && i < RPM_MAX_LOG; i++) {
                        /* librpm's messages quote database content; show
                         * them as printable ASCII. */
                        char q[80];
                        (void)report_note(
                                report, REPORT_NOTE_WARNING, display, "librpm: %s",
                                osparse_quote(q, sizeof(q), log.v[i], strcspn(log.v[i], "\n")));
                }
                if (log.n > RPM_MAX_LOG)
                        (void)report_note(report, REPORT_NOTE_WARNING, display,
                                          "librpm: %zu more messages", log.n - RPM_MAX_LOG);
                if (r == -EIO || r == -E2BIG)
                        (void)report_note(report, REPORT_NOTE_WARNING, display,
                                          "cannot read the rpm database (%s backend)", be->name);
        }
        strv_clear(&log);
        buf_free(&reply);
        if (r < 0) {
                if (r != -ENOMEM)
                        r = -EIO;
                goto out;
        }
        added = c.list.n;
        r = osparse_list_move(out, &c.list);
        if (r < 0)
                goto out;
        osparse_count(report, "rpm_packages", (long long)added);
        if (c.skipped)
                osparse_count(report, "rpm_skipped", c.skipped);
out:
        osparse_finish(&c.notes);
        pkg_list_clear(&c.list);
        return r;
}

/* The backend whose main file is in directory DFD; NULL when none is. */
static const struct backend *detect_backend(int dfd)
{
        for (size_t i = 0; i < ELEMENTSOF(backends); i++) {
                struct stat st;
                if (fstatat(dfd, backends[i].main, &st, AT_SYMLINK_NOFOLLOW) == 0)
                        return &backends[i];
        }
        return NULL;
}

int rpmdb_read_dir(const char *dbdir, const char *display, pkg_list_t *out, report_t *report)
{
        _cleanup_close_ int dfd = -1;
        const struct backend *be;

        dfd = open(dbdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOTDIR ? -ENOENT : -errno;
        be = detect_backend(dfd);
        if (!be)
                return -ENOENT;
        return read_dir(dbdir, be, display, out, report);
}

/* Copy regular file NAME of directory SRC into directory DST, adding its
 * size to *TOTAL. A missing file is fine when OPTIONAL. Returns 0 or a
 * negative errno (-EFBIG past OSPKG_MAX_RPMDB_SIZE, -ELOOP for a symlink,
 * -EINVAL for anything but a regular file). */
static int copy_one(int src, int dst, const char *name, bool optional, size_t *total)
{
        _cleanup_close_ int in = -1, outfd = -1;
        _cleanup_free_ char *chunk = NULL;
        struct stat st;

        /* NAME has no slash and O_NOFOLLOW refuses a final symlink, so the
         * file opened is the one in the directory resolved inside the root. */
        in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (in < 0)
                return errno == ENOENT && optional ? 0 : -errno;
        if (fstat(in, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        outfd = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (outfd < 0)
                return -errno;
        chunk = malloc(1 * MiB);
        if (!chunk)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(in, chunk, 1 * MiB), w;
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                if ((size_t)n > OSPKG_MAX_RPMDB_SIZE - *total)
                        return -EFBIG;
                *total += (size_t)n;
                for (ssize_t off = 0; off < n; off += w) {
                        w = write(outfd, chunk + off, (size_t)(n - off));
                        if (w < 0) {
                                if (errno == EINTR) {
                                        w = 0;
                                        continue;
                                }
                                return -errno;
                        }
                }
        }
        return 0;
}

/* Remove the private copy: every file librpm or sqlite left in it, then
 * the directory. */
static void remove_tmpdir(char *path)
{
        DIR *d;
        struct dirent *de;

        if (!path)
                return;
        d = opendir(path);
        if (d) {
                while ((de = readdir(d)) != NULL) {
                        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                                continue;
                        if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno == EISDIR)
                                (void)unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
                }
                closedir(d);
        }
        (void)rmdir(path);
        free(path);
}

static void remove_tmpdirp(char **p)
{
        remove_tmpdir(*p);
}

/* What to do with a database found by with_db: read directory DBDIR (a
 * private copy for an image) with back end BE, naming it DISPLAY. */
typedef int (*db_fn)(const char *dbdir, const struct backend *be, const char *display, void *ud);

/* Find the rpm database under ROOT and call FN on it (on a private copy for
 * an image). Returns FN's result, -ENOENT when there is none, or -EIO
 * (noted) when it cannot be reached. */
static int with_db(const rootfs_t *root, report_t *report, db_fn fn, void *ud)
{
        for (size_t i = 0; i < ELEMENTSOF(rpmdb_dirs); i++) {
                _cleanup_close_ int dfd = -1, tfd = -1;
                _cleanup_free_ char *display = NULL;
                _cleanup_(remove_tmpdirp) char *tmp = NULL;
                const struct backend *be;
                const char *tmpdir;
                size_t total = 0;
                int r;

                dfd = rootfs_openat(root, rpmdb_dirs[i], O_RDONLY | O_DIRECTORY);
                if (dfd == -ENOENT || dfd == -ENOTDIR)
                        continue;
                display = rootfs_display_path(root, rpmdb_dirs[i]);
                if (!display)
                        return -ENOMEM;
                if (dfd < 0) {
                        if (report)
                                (void)report_note(report, REPORT_NOTE_WARNING, display,
                                                  "cannot open the rpm database directory: %s",
                                                  strerror(-dfd));
                        return dfd;
                }
                be = detect_backend(dfd);
                if (!be)
                        continue;
                /* On the host nothing can lead out of the root, and the
                 * database may be large: read it where it is. */
                if (root->is_host)
                        return fn(rpmdb_dirs[i], be, display, ud);

                tmpdir = secure_getenv("TMPDIR");
                tmp = str_printf("%s/vigil-rpmdb-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
                if (!tmp)
                        return -ENOMEM;
                if (!mkdtemp(tmp)) {
                        r = -errno;
                        free(tmp);
                        tmp = NULL;
                        if (report)
                                (void)report_note(report, REPORT_NOTE_WARNING, display,
                                                  "cannot create a temporary directory to "
                                                  "read the rpm database: %s",
                                                  strerror(-r));
                        return -EIO;
                }
                tfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (tfd < 0)
                        return -EIO;
                r = copy_one(dfd, tfd, be->main, false, &total);
                for (size_t k = 0; r == 0 && k < ELEMENTSOF(be->extra) && be->extra[k]; k++)
                        r = copy_one(dfd, tfd, be->extra[k], true, &total);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        if (report)
                                (void)report_note(
                                        report, REPORT_NOTE_WARNING, display,
                                        "cannot copy the rpm database (%s backend): %s", be->name,
                                        r == -EFBIG    ? "bigger than the cap"
                                        : r == -ELOOP  ? "a database file is a symlink"
                                        : r == -EINVAL ? "a database file is not a regular file"
                                                       : strerror(-r));
                        return -EIO;
                }
                return fn(tmp, be, display, ud);
        }
        return -ENOENT;
}

struct pkgs_args {
        pkg_list_t *out;
        report_t *report;
};

static int read_pkgs_fn(const char *dbdir, const struct backend *be, const char *display, void *ud)
{
        struct pkgs_args *a = ud;
        return read_dir(dbdir, be, display, a->out, a->report);
}

int rpmdb_read(const rootfs_t *root, pkg_list_t *out, report_t *report)
{
        struct pkgs_args a = { .out = out, .report = report };
        return with_db(root, report, read_pkgs_fn, &a);
}

/* ---- package files ---- */

static int put_u32_checked(buf_t *b, uint32_t v)
{
        return buf_append(b, &v, sizeof(v));
}

static int put_str_checked(buf_t *b, const char *s)
{
        size_t n = s ? strlen(s) : 0;
        int r;

        if (!s || n >= UINT32_MAX)
                return put_u32_checked(b, UINT32_MAX);
        if ((r = put_u32_checked(b, (uint32_t)n)) < 0)
                return r;
        return buf_append(b, s, n);
}

int rpmdb_put_package(buf_t *b, uint32_t hnum, const uint64_t *epoch, const char *name,
                      const char *version, const char *release)
{
        uint8_t has_epoch = epoch ? 1 : 0;
        uint64_t e = epoch ? *epoch : 0;
        int r;

        if ((r = buf_append(b, "P", 1)) < 0 || (r = put_u32_checked(b, hnum)) < 0 ||
            (r = buf_append(b, &has_epoch, 1)) < 0 || (r = buf_append(b, &e, sizeof(e))) < 0 ||
            (r = put_str_checked(b, name)) < 0 || (r = put_str_checked(b, version)) < 0 ||
            (r = put_str_checked(b, release)) < 0)
                return r;
        return 0;
}

int rpmdb_put_file(buf_t *b, unsigned algo, uint32_t flags, uint32_t mode, uint32_t state,
                   const char *path, const char *digest_hex)
{
        int r;

        if ((r = buf_append(b, "F", 1)) < 0 || (r = put_u32_checked(b, (uint32_t)algo)) < 0 ||
            (r = put_u32_checked(b, flags)) < 0 || (r = put_u32_checked(b, mode)) < 0 ||
            (r = put_u32_checked(b, state)) < 0 || (r = put_str_checked(b, path)) < 0 ||
            (r = put_str_checked(b, digest_hex)) < 0)
                return r;
        return 0;
}

int rpmdb_put_end(buf_t *b, int32_t result)
{
        int r = buf_append(b, "E", 1);
        return r < 0 ? r : buf_append(b, &result, sizeof(result));
}

/* A string of at most MAX bytes without NULs, borrowed from the stream:
 * *RET points into it (not terminated) with *RET_LEN bytes, *RET NULL for
 * "none". False on a malformed or over-long string. */
static bool get_span(cursor_t *c, size_t max, const char **ret, size_t *ret_len)
{
        uint32_t n;

        *ret = NULL;
        *ret_len = 0;
        if (!get_bytes(c, &n, sizeof(n)))
                return false;
        if (n == UINT32_MAX)
                return true;
        if (n > max || c->left < n || memchr(c->p, 0, n))
                return false;
        *ret = c->p;
        *ret_len = n;
        c->p += n;
        c->left -= n;
        return true;
}

/* The package of the file records that follow, as the parser keeps it. */
typedef struct files_pkg {
        bool seen; /* a 'P' came before */
        bool ok;   /* and its fields are valid */
        char name[RPMDB_WORD_MAX + 1];
        char evr[3 * RPMDB_WORD_MAX + 32];
} files_pkg_t;

/* A span as a C string into OUT (N bytes); false when it does not fit or
 * is not an rpm word. */
static bool word_into(const char *s, size_t len, bool allow_dash, char *out, size_t n)
{
        if (!s || len == 0 || len >= n)
                return false;
        memcpy(out, s, len);
        out[len] = 0;
        return rpm_word_ok(out, allow_dash);
}

/* One pass over the stream; FN is called only when DELIVER. */
static int parse_files_pass(const char *data, size_t n, bool deliver, rpmdb_file_fn fn,
                            void *userdata, strv_t *log, size_t *bad)
{
        cursor_t cur = { data, n };
        files_pkg_t pkg = { 0 };
        size_t files = 0;

        for (;;) {
                char type;
                if (!get_bytes(&cur, &type, 1))
                        return -EIO; /* no final 'E': the child died */
                if (type == 'E') {
                        int32_t rc;
                        if (!get_bytes(&cur, &rc, sizeof(rc)) || cur.left != 0 || rc > 0 ||
                            rc < -4095)
                                return -EIO;
                        return rc == -ENOMEM ? -EIO : rc;
                }
                if (type == 'L') {
                        const char *m;
                        size_t len;
                        if (!get_span(&cur, 64 * KiB, &m, &len))
                                return -EIO;
                        if (deliver && m && log && log->n < RPMDB_MAX_LOG) {
                                char *s = str_ndup(m, len);
                                if (!s || strv_push_take(log, s) < 0)
                                        return -ENOMEM;
                        }
                        continue;
                }
                if (type == 'P') {
                        const char *name, *version, *release;
                        size_t nl, vl, rl;
                        char v[RPMDB_WORD_MAX + 1], rel[RPMDB_WORD_MAX + 1];
                        uint32_t hnum;
                        uint8_t has_epoch;
                        uint64_t epoch;
                        if (!get_bytes(&cur, &hnum, sizeof(hnum)) ||
                            !get_bytes(&cur, &has_epoch, 1) ||
                            !get_bytes(&cur, &epoch, sizeof(epoch)) ||
                            !get_span(&cur, RPMDB_WORD_MAX, &name, &nl) ||
                            !get_span(&cur, RPMDB_WORD_MAX, &version, &vl) ||
                            !get_span(&cur, RPMDB_WORD_MAX, &release, &rl))
                                return -EIO;
                        pkg.seen = true;
                        pkg.ok = word_into(name, nl, true, pkg.name, sizeof(pkg.name)) &&
                                 word_into(version, vl, false, v, sizeof(v)) &&
                                 word_into(release, rl, false, rel, sizeof(rel));
                        if (pkg.ok) {
                                if (has_epoch)
                                        snprintf(pkg.evr, sizeof(pkg.evr), "%llu:%s-%s",
                                                 (unsigned long long)epoch, v, rel);
                                else
                                        snprintf(pkg.evr, sizeof(pkg.evr), "%s-%s", v, rel);
                        } else if (deliver)
                                (*bad)++;
                        continue;
                }
                if (type == 'F') {
                        uint32_t algo, flags, mode, state;
                        const char *path, *hex;
                        size_t pl, hl;
                        char p[RPMDB_PATH_MAX + 1];
                        uint8_t digest[RPMDB_DIGEST_MAX];
                        bool ok;
                        int r;
                        if (!get_bytes(&cur, &algo, sizeof(algo)) ||
                            !get_bytes(&cur, &flags, sizeof(flags)) ||
                            !get_bytes(&cur, &mode, sizeof(mode)) ||
                            !get_bytes(&cur, &state, sizeof(state)) ||
                            !get_span(&cur, RPMDB_PATH_MAX, &path, &pl) ||
                            !get_span(&cur, 2 * RPMDB_DIGEST_MAX, &hex, &hl))
                                return -EIO;
                        /* A file before any package is a broken stream. */
                        if (!pkg.seen)
                                return -EIO;
                        if (++files > RPMDB_MAX_FILES)
                                return -E2BIG;
                        if (!deliver)
                                continue;
                        /* An empty digest is no digest, as rpm treats it. */
                        if (hex && hl == 0)
                                hex = NULL;
                        ok = pkg.ok && path && pl > 0 && path[0] == '/' && (!hex || hl % 2 == 0);
                        for (size_t i = 0; ok && hex && i < hl / 2; i++) {
                                int hi = str_hexval(hex[2 * i]), lo = str_hexval(hex[2 * i + 1]);
                                if (hi < 0 || lo < 0)
                                        ok = false;
                                else
                                        digest[i] = (uint8_t)(hi << 4 | lo);
                        }
                        if (!ok) {
                                (*bad)++;
                                continue;
                        }
                        memcpy(p, path, pl);
                        p[pl] = 0;
                        if (!fn)
                                continue;
                        r = fn(&(rpmdb_file_t){ .pkg = pkg.name,
                                                .evr = pkg.evr,
                                                .path = p,
                                                .algo = algo,
                                                .digest = hex ? digest : NULL,
                                                .digest_len = hex ? hl / 2 : 0,
                                                .mode = mode,
                                                .flags = flags,
                                                .state = state },
                               userdata);
                        if (r < 0)
                                return r;
                        continue;
                }
                return -EIO;
        }
}

int rpmdb_parse_files(const char *data, size_t n, rpmdb_file_fn fn, void *userdata, strv_t *log,
                      size_t *ret_bad)
{
        size_t bad = 0;
        int r;

        /* Check the whole stream first, so a truncated or forged one hands
         * nothing on: a half-read database would look like packages whose
         * files are not there. */
        r = parse_files_pass(data, n, false, NULL, NULL, NULL, &bad);
        if (r < 0)
                return r;
        r = parse_files_pass(data, n, true, fn, userdata, log, &bad);
        if (ret_bad)
                *ret_bad += bad;
        return r;
}

struct files_args {
        rpmdb_file_fn fn;
        void *userdata;
        report_t *report;
        size_t bad;
        int fn_err; /* the error FN stopped the read with */
};

static int files_trampoline(const rpmdb_file_t *f, void *ud)
{
        struct files_args *a = ud;
        int r = a->fn(f, a->userdata);

        if (r < 0)
                a->fn_err = r;
        return r;
}

static int read_files_fn(const char *dbdir, const struct backend *be, const char *display, void *ud)
{
        struct files_args *a = ud;
        strv_t log = { 0 };
        buf_t reply;
        int r;

        buf_init(&reply, RPM_MAX_REPLY);
        r = run_child(dbdir, be, MODE_FILES, &reply);
        if (r == 0)
                r = rpmdb_parse_files(reply.data ? reply.data : "", reply.len,
                                      a->fn ? files_trampoline : NULL, a, &log, &a->bad);
        buf_free(&reply);
        if (a->report) {
                for (size_t i = 0; i < log.n && i < RPM_MAX_LOG; i++) {
                        char q[80];
                        (void)report_note(
                                a->report, REPORT_NOTE_WARNING, display, "librpm: %s",
                                osparse_quote(q, sizeof(q), log.v[i], strcspn(log.v[i], "\n")));
                }
                if (a->bad)
                        (void)report_note(a->report, REPORT_NOTE_WARNING, display,
                                          "%zu package file records from the rpm database are "
                                          "invalid; skipped",
                                          a->bad);
        }
        strv_clear(&log);
        /* FN's own errors are passed on as they are. */
        if (r == 0 || r == -ENOMEM || (a->fn_err && r == a->fn_err))
                return r;
        if (a->report)
                (void)report_note(a->report, REPORT_NOTE_WARNING, display,
                                  "cannot read the file digests of the rpm database (%s "
                                  "backend): %s",
                                  be->name,
                                  r == -ECHILD      ? "the librpm helper died"
                                  : r == -ETIMEDOUT ? "it took too long"
                                  : r == -E2BIG     ? "too much data"
                                  : r == -EIO ? "librpm failed or the helper's reply is malformed"
                                              : strerror(-r));
        return -EIO;
}

int rpmdb_read_files(const rootfs_t *root, rpmdb_file_fn fn, void *userdata, report_t *report,
                     size_t *ret_bad)
{
        struct files_args a = { .fn = fn, .userdata = userdata, .report = report };
        int r = with_db(root, report, read_files_fn, &a);

        if (ret_bad)
                *ret_bad += a.bad;
        return r;
}
