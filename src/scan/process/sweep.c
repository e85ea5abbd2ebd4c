#include "scan/process/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/jsonx.h"
#include "core/store.h"
#include "core/timeutil.h"
#include "inventory/host/proc.h"
#include "scan/process/hidden.h"
#include "scan/process/persist.h"
#include "scan/process/pkgowner.h"
#include "scan/process/psconf.h"
#include "scan/process/pslist.h"
#include "scan/process/psrules.h"
#include "scan/process/response.h"
#include "scan/process/sockmap.h"

/* Bytes of a command line quoted in evidence. */
#define CMDLINE_QUOTE 1024
/* Network namespaces whose socket tables are read per sweep, at most. */
#define MAX_NETNS 256
/* Executables whose YARA verdict is kept between sweeps. */
#define EXE_CACHE_MAX 4096
/* The agent's default hidden-process probe window. */
#define AGENT_PROBE_WINDOW 8192
/* Package owners of deleted executables' paths kept between sweeps. */
#define OWNER_CACHE_MAX 1024

typedef struct exe_verdict {
        uint64_t dev, ino, size;
        int64_t mtime_ns;
        char *rules; /* miner rule names joined by ", ", or NULL for no hit */
} exe_verdict_t;

/* What dpkg's file lists said about PATH: its package, or NULL for none. */
typedef struct owner_answer {
        char *path;
        char *pkg;
} owner_answer_t;

/* The answers of pkgowner_dpkg, which reads every file list of the dpkg
 * database (tens of milliseconds), so that a daemon left running on its
 * deleted binary after an upgrade does not cost that at every sweep.
 * Invariant: the answers hold for the database whose status file had the
 * identity (DEV, INO, SIZE, MTIME_NS); dpkg replaces that file at every
 * change, so any install, removal or upgrade empties the cache. */
typedef struct owner_cache {
        owner_answer_t *v;
        size_t n;
        bool valid;
        uint64_t dev, ino, size;
        int64_t mtime_ns;
} owner_cache_t;

struct psweep {
        psconf_t conf;
        const rootfs_t *root;
        const config_t *config;
        char *state_dir;
        char *host;
        int pfd; /* /proc, -1 when the root is not the running host */
        long probe_window;
        pid_t probe_cursor;
        bool remember;
        strv_t seen; /* sorted "rule\x1fsubject" keys of the last sweep */
        malware_engine_t *own_engine;
        const malware_engine_t *engine;
        exe_verdict_t *verdicts;
        size_t n_verdicts, cap_verdicts;
        owner_cache_t owners;
        sqlite3 *db;
        bool db_tried;
        long clk_tck;
        int64_t boot_us;
        uint64_t own_netns;
        bool noted_not_root;
};

/* What the per-process rules found about one process. */
typedef struct pfind {
        bool any;
        const char *interp;
        bool rshell;
        unsigned rshell_fds; /* bit i: fd i */
        sockmap_entry_t rshell_conn;
        bool rshell_inbound;
        psrules_miner_t miner;
        bool pool;
        sockmap_entry_t pool_conn;
        char *yara_rules;
        bool tmp;
        bool deleted;
        char *upgraded_pkg; /* the package that now owns the path */
} pfind_t;

typedef struct run {
        psweep_t *s;
        report_t *report;
        psweep_alert_fn fn;
        void *ud;
        psweep_stats_t *st;
        sockmap_t socks;
        uint64_t netns_loaded[MAX_NETNS];
        size_t n_netns_loaded;
        bool own_reread;
        strv_t seen_now; /* keys met in this sweep (remember) */
        malware_scanner_t *scanner;
        pid_t self; /* getpid(), asked once per sweep, not per process */
} run_t;

static void run_done(run_t *r)
{
        sockmap_clear(&r->socks);
        strv_clear(&r->seen_now);
        malware_scanner_free(r->scanner);
        r->scanner = NULL;
}

static void pfind_done(pfind_t *p)
{
        psrules_miner_clear(&p->miner);
        free(p->yara_rules);
        free(p->upgraded_pkg);
        *p = (pfind_t){ 0 };
}

static void owner_cache_clear(owner_cache_t *c)
{
        for (size_t i = 0; i < c->n; i++) {
                free(c->v[i].path);
                free(c->v[i].pkg);
        }
        free(c->v);
        *c = (owner_cache_t){ 0 };
}

/* Keep the cache only while the dpkg database of ROOT is the one its
 * answers came from; without a status file nothing is cached. */
static void owner_cache_check(owner_cache_t *c, const rootfs_t *root)
{
        struct stat st;
        int64_t mtime_ns;

        if (rootfs_stat(root, "/var/lib/dpkg/status", false, &st) < 0 || !S_ISREG(st.st_mode)) {
                owner_cache_clear(c);
                return;
        }
        mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        if (c->valid && c->dev == (uint64_t)st.st_dev && c->ino == (uint64_t)st.st_ino &&
            c->size == (uint64_t)st.st_size && c->mtime_ns == mtime_ns)
                return;
        owner_cache_clear(c);
        c->v = calloc(OWNER_CACHE_MAX, sizeof(*c->v));
        if (!c->v)
                return; /* no cache: every lookup reads the lists */
        c->valid = true;
        c->dev = (uint64_t)st.st_dev;
        c->ino = (uint64_t)st.st_ino;
        c->size = (uint64_t)st.st_size;
        c->mtime_ns = mtime_ns;
}

static const owner_answer_t *owner_cache_find(const owner_cache_t *c, const char *path)
{
        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->v[i].path, path) == 0)
                        return &c->v[i];
        return NULL;
}

/* Remember PKG (may be NULL) for PATH; a full cache, or no memory, only
 * means the next sweep asks dpkg's lists again. */
static void owner_cache_put(owner_cache_t *c, const char *path, const char *pkg)
{
        char *p, *k = NULL;

        if (!c->valid || c->n >= OWNER_CACHE_MAX)
                return;
        p = strdup(path);
        if (!p || (pkg && !(k = strdup(pkg)))) {
                free(p);
                return;
        }
        c->v[c->n++] = (owner_answer_t){ p, k };
}

/* ---- set-up --------------------------------------------------------------- */

static int64_t read_boot_us(int pfd)
{
        _cleanup_close_ int fd = openat(pfd, "stat", O_RDONLY | O_CLOEXEC);
        char buf[16384];
        const char *p;
        unsigned long long v;
        ssize_t n;
        char num[24];
        size_t k = 0;

        if (fd < 0)
                return 0;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return 0;
        buf[n] = 0;
        p = strstr(buf, "\nbtime ");
        if (!p)
                return 0;
        p += 7;
        while (p[k] >= '0' && p[k] <= '9' && k < sizeof(num) - 1) {
                num[k] = p[k];
                k++;
        }
        num[k] = 0;
        if (str_to_u64(num, &v) < 0)
                return 0;
        return (int64_t)v * 1000000;
}

static uint64_t read_own_netns(int pfd)
{
        char link[64];
        unsigned long long v;
        ssize_t n = readlinkat(pfd, "self/ns/net", link, sizeof(link) - 1);

        if (n <= 6 || link[n - 1] != ']' || memcmp(link, "net:[", 5) != 0)
                return 0;
        link[n - 1] = 0;
        return str_to_u64(link + 5, &v) == 0 ? v : 0;
}

int psweep_new(const psweep_opts_t *o, report_t *report, psweep_t **ret)
{
        psweep_t *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        s->pfd = -1;
        s->root = o->root;
        s->config = o->config;
        s->remember = o->remember;
        s->engine = o->engine;
        if ((r = psconf_load(o->config, report, &s->conf)) < 0)
                goto fail;
        if ((o->state_dir && !(s->state_dir = strdup(o->state_dir))) ||
            (o->host && !(s->host = strdup(o->host)))) {
                r = -ENOMEM;
                goto fail;
        }
        s->probe_window = s->conf.probe_window >= 0 ? s->conf.probe_window
                          : o->probe_window >= 0    ? o->probe_window
                                                    : AGENT_PROBE_WINDOW;
        s->probe_cursor = 1;
        if (o->root->is_host) {
                s->pfd = open(o->proc_dir ? o->proc_dir : "/proc",
                              O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (s->pfd < 0) {
                        r = errno == ENOMEM ? -ENOMEM : -ENOENT;
                        goto fail;
                }
                s->clk_tck = sysconf(_SC_CLK_TCK);
                s->boot_us = read_boot_us(s->pfd);
                s->own_netns = read_own_netns(s->pfd);
                if (s->conf.miner_yara && !s->engine) {
                        _cleanup_config_ config_t *empty = o->config ? NULL : config_new_empty();
                        r = malware_engine_from_config(o->config ? o->config : empty, report,
                                                       &s->own_engine);
                        if (r == -ENOMEM)
                                goto fail;
                        if (r < 0 && report)
                                report_note(report, REPORT_NOTE_WARNING, "process",
                                            "the YARA miner rules could not be loaded (%s); "
                                            "executables are not scanned",
                                            strerror(-r));
                        s->engine = s->own_engine;
                }
        }
        *ret = s;
        return 0;
fail:
        psweep_free(s);
        return r;
}

void psweep_free(psweep_t *s)
{
        if (!s)
                return;
        psconf_done(&s->conf);
        free(s->state_dir);
        free(s->host);
        if (s->pfd >= 0)
                close(s->pfd);
        strv_clear(&s->seen);
        malware_engine_free(s->own_engine);
        for (size_t i = 0; i < s->n_verdicts; i++)
                free(s->verdicts[i].rules);
        free(s->verdicts);
        owner_cache_clear(&s->owners);
        store_close(s->db);
        free(s);
}

/* ---- alerts ---------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* True when the alert RULE/SUBJECT was raised by the previous sweep (and
 * so is not raised again); records it as met in this sweep. */
static int remembered(run_t *run, const char *rule, const char *subject, bool *ret)
{
        _cleanup_free_ char *key = NULL;
        psweep_t *s = run->s;

        *ret = false;
        if (!s->remember)
                return 0;
        key = str_printf("%s\x1f%s", rule, subject);
        if (!key)
                return -ENOMEM;
        *ret = s->seen.n && bsearch(&key, s->seen.v, s->seen.n, sizeof(char *), cmp_str);
        if (!strv_contains(&run->seen_now, key))
                return strv_push_take(&run->seen_now, TAKE_PTR(key));
        return 0;
}

static alert_t *new_alert(run_t *run, const char *rule, const char *subject, alert_level_t level)
{
        alert_t *a = alert_new(ALERT_ABNORMAL_PROCESS, rule, subject, level, timeutil_now_us());

        if (a && run->s->host && alert_set_host(a, run->s->host) < 0) {
                alert_free(a);
                return NULL;
        }
        return a;
}

static int emit(run_t *run, alert_t *a)
{
        run->st->alerts++;
        return run->fn ? run->fn(a, run->ud) : (alert_free(a), 0);
}

static int ev_escaped(alert_t *a, const char *key, const char *value, size_t n, size_t max)
{
        _cleanup_free_ char *e = NULL;

        if (!value)
                return 0;
        e = psrules_escape(value, n, max);
        return e ? alert_add_evidence_str(a, key, e) : -ENOMEM;
}

static int ev_bool(alert_t *a, const char *key, bool v)
{
        return json_object_set_new(a->evidence, key, json_boolean(v)) < 0 ? -ENOMEM : 0;
}

/* S made printable for a title or a remediation (control bytes, quotes
 * of a terminal's taste and non-ASCII as \xNN). Caller frees. */
static char *esc_str(const char *s)
{
        return psrules_escape(s ? s : "", s ? strlen(s) : 0, 512);
}

/* S made printable and single-quoted for a command line a person copies
 * from a remediation. Caller frees. */
static char *shell_quote(const char *s)
{
        _cleanup_free_ char *e = esc_str(s);
        buf_t b;

        if (!e)
                return NULL;
        buf_init(&b, strlen(e) * 4 + 3);
        if (buf_append(&b, "'", 1) < 0)
                goto fail;
        for (const char *p = e; *p; p++)
                if ((*p == '\'' ? buf_append(&b, "'\\''", 4) : buf_append(&b, p, 1)) < 0)
                        goto fail;
        if (buf_append(&b, "'", 1) < 0)
                goto fail;
        return buf_take(&b);
fail:
        buf_free(&b);
        return NULL;
}

static int ev_strv(alert_t *a, const char *key, const strv_t *v)
{
        json_t *arr = json_array();

        if (!arr)
                return -ENOMEM;
        for (size_t i = 0; i < v->n; i++)
                if (json_array_append_new(arr, jsonx_string_lossy(v->v[i])) < 0) {
                        json_decref(arr);
                        return -ENOMEM;
                }
        return json_object_set_new(a->evidence, key, arr) < 0 ? -ENOMEM : 0;
}

static int ev_conn(alert_t *a, const sockmap_entry_t *c)
{
        char l[INET6_ADDRSTRLEN], rm[INET6_ADDRSTRLEN];
        int r;

        sockmap_addr_str(&c->local, l);
        sockmap_addr_str(&c->remote, rm);
        if ((r = alert_add_evidence_str(a, "remote_addr", rm)) < 0 ||
            (r = alert_add_evidence_int(a, "remote_port", c->rport)) < 0 ||
            (r = alert_add_evidence_str(a, "local_addr", l)) < 0 ||
            (r = alert_add_evidence_int(a, "local_port", c->lport)) < 0 ||
            (r = alert_add_evidence_str(a, "tcp_state", sockmap_state_name(c))) < 0 ||
            (r = alert_add_evidence_int(a, "socket_inode", (long long)c->inode)) < 0)
                return r;
        return 0;
}

/* The evidence every per-process alert carries. FULL holds the real and
 * effective uid read just before. */
static int ev_process(run_t *run, alert_t *a, const ps_entry_t *e, const proc_info_t *full)
{
        psweep_t *s = run->s;
        char link[4096];
        char name[48];
        ssize_t n;
        int r;

        if ((r = alert_add_evidence_int(a, "pid", e->pid)) < 0 ||
            (r = alert_add_evidence_int(a, "ppid", e->ppid)) < 0 ||
            (r = alert_add_evidence_int(
                     a, "uid", full->uid == (uid_t)-1 ? -1LL : (long long)full->uid)) < 0 ||
            (r = alert_add_evidence_int(
                     a, "euid", full->euid == (uid_t)-1 ? -1LL : (long long)full->euid)) < 0 ||
            (r = ev_escaped(a, "comm", e->comm, strlen(e->comm), 64)) < 0 ||
            (r = ev_escaped(a, "exe", e->exe, e->exe ? strlen(e->exe) : 0, 1024)) < 0 ||
            (r = ev_escaped(a, "cmdline", e->cmdline, e->cmdline_len, CMDLINE_QUOTE)) < 0)
                return r;
        if (e->cmdline_truncated && (r = ev_bool(a, "cmdline_truncated", true)) < 0)
                return r;
        if (s->boot_us && s->clk_tck > 0) {
                char iso[TIMEUTIL_ISO_LEN];
                timeutil_format_iso(s->boot_us + (int64_t)(e->start_time * 1000000ULL /
                                                           (unsigned long long)s->clk_tck),
                                    iso, sizeof(iso));
                if ((r = alert_add_evidence_str(a, "started", iso)) < 0)
                        return r;
        }
        snprintf(name, sizeof(name), "%d/cwd", (int)e->pid);
        n = readlinkat(s->pfd, name, link, sizeof(link));
        if (n > 0 && (size_t)n < sizeof(link) &&
            (r = ev_escaped(a, "cwd", link, (size_t)n, 1024)) < 0)
                return r;
        if (e->ppid > 0) {
                char pcomm[PSLIST_MAX_COMM + 1] = "";
                char path[48], buf[4096];
                int fd;
                snprintf(path, sizeof(path), "%d/stat", (int)e->ppid);
                fd = openat(s->pfd, path, O_RDONLY | O_CLOEXEC);
                if (fd >= 0) {
                        ssize_t k = read(fd, buf, sizeof(buf));
                        ps_stat_t pst;
                        close(fd);
                        if (k > 0 && (size_t)k < sizeof(buf) &&
                            pslist_parse_stat(buf, (size_t)k, &pst) == 0)
                                memcpy(pcomm, pst.comm, sizeof(pcomm));
                }
                if (pcomm[0] && (r = ev_escaped(a, "parent_comm", pcomm, strlen(pcomm), 64)) < 0)
                        return r;
        }
        return 0;
}

static int ev_response(run_t *run, alert_t *a, const ps_entry_t *e)
{
        psweep_t *s = run->s;
        response_target_t t = {
                .pid = e->pid,
                .start_time = e->start_time,
                .kthread = e->kthread,
                .exe = e->exe,
                .comm = e->comm,
        };
        response_outcome_t o;
        int err = 0;

        if (!s->conf.kill)
                return 0;
        o = response_kill(s->pfd, &t, &s->conf.kill_allowlist, &err);
        if (o == RESPONSE_KILLED)
                run->st->killed++;
        if (o == RESPONSE_FAILED)
                return alert_add_evidence_str(a, "response", "failed") ||
                                       alert_add_evidence_str(a, "response_error", strerror(err))
                               ? -ENOMEM
                               : 0;
        return alert_add_evidence_str(a, "response", response_outcome_name(o));
}

static int alert_reverse_shell(run_t *run, const ps_entry_t *e, const pfind_t *p,
                               const proc_info_t *full, const char *subject)
{
        _cleanup_alert_ alert_t *a = new_alert(run, "process.reverse_shell", subject, ALERT_URGENT);
        char rm[INET6_ADDRSTRLEN], fds[16] = "";
        size_t k = 0;
        int r;

        if (!a)
                return -ENOMEM;
        sockmap_addr_str(&p->rshell_conn.remote, rm);
        for (int i = 0; i < 3; i++)
                if (p->rshell_fds & (1u << i))
                        k += (size_t)snprintf(fds + k, sizeof(fds) - k, "%s%d", k ? "," : "", i);
        if ((r = alert_set_title(
                     a, "%s (pid %d) has its %s on a TCP connection %s %s:%u", p->interp,
                     (int)e->pid, p->rshell_fds == 7 ? "input and output" : "standard streams",
                     p->rshell_inbound ? "from" : "to", rm, p->rshell_conn.rport)) < 0 ||
            (r = ev_process(run, a, e, full)) < 0 ||
            (r = alert_add_evidence_str(a, "interpreter", p->interp)) < 0 ||
            (r = alert_add_evidence_str(a, "fds", fds)) < 0 ||
            (r = alert_add_evidence_str(a, "direction",
                                        p->rshell_inbound ? "inbound" : "outbound")) < 0 ||
            (r = ev_conn(a, &p->rshell_conn)) < 0 ||
            (r = alert_set_remediation(
                     a,
                     "Treat the host as compromised. Stop the shell and what started it: kill -9 "
                     "%d (parent: %d; check it with ps -o pid,ppid,user,args -p %d). See where "
                     "it ran: ls -l /proc/%d/cwd. Block %s in the firewall (nft add rule inet "
                     "filter output ip daddr %s drop, or ip6 daddr for IPv6). Look for how it "
                     "came in and how it returns: crontab -l -u USER, /etc/cron.d, "
                     "/etc/systemd/system, ~/.ssh/authorized_keys, web server logs.",
                     (int)e->pid, (int)e->ppid, (int)e->ppid, (int)e->pid, rm, rm)) < 0 ||
            (r = ev_response(run, a, e)) < 0)
                return r;
        return emit(run, TAKE_PTR(a));
}

static int alert_miner(run_t *run, const ps_entry_t *e, const pfind_t *p, const proc_info_t *full,
                       const char *subject)
{
        _cleanup_alert_ alert_t *a = new_alert(run, "process.miner", subject, ALERT_URGENT);
        _cleanup_(strv_clear) strv_t reasons = { 0 };
        _cleanup_free_ char *comm = esc_str(e->comm), *exe = shell_quote(e->exe ? e->exe : "EXE");
        char rm[INET6_ADDRSTRLEN] = "";
        int r;

        if (!a || !comm || !exe)
                return -ENOMEM;
        for (size_t i = 0; i < p->miner.reasons.n; i++)
                if ((r = strv_push(&reasons, p->miner.reasons.v[i])) < 0)
                        return r;
        if (p->pool) {
                _cleanup_free_ char *line = NULL;
                sockmap_addr_str(&p->pool_conn.remote, rm);
                line = str_printf("connection to pool port %s:%u", rm, p->pool_conn.rport);
                if (!line || strv_push_take(&reasons, TAKE_PTR(line)) < 0)
                        return -ENOMEM;
        }
        if (p->yara_rules) {
                _cleanup_free_ char *line =
                        str_printf("YARA miner rule on the executable: %s", p->yara_rules);
                if (!line || strv_push_take(&reasons, TAKE_PTR(line)) < 0)
                        return -ENOMEM;
        }
        if ((r = alert_set_title(a, "coin miner running: %s (pid %d)", comm, (int)e->pid)) < 0 ||
            (r = ev_process(run, a, e, full)) < 0 || (r = ev_strv(a, "reasons", &reasons)) < 0 ||
            (p->pool && (r = ev_conn(a, &p->pool_conn)) < 0) ||
            (p->yara_rules && (r = alert_add_evidence_str(a, "yara_rules", p->yara_rules)) < 0) ||
            (r = alert_set_remediation(
                     a,
                     "Stop it: kill -9 %d. Keep a copy for analysis and remove the program: cp "
                     "/proc/%d/exe /root/miner-%d.bin; vigil quarantine add %s. Find what "
                     "restarts it: crontab -l -u USER (uid in evidence), /etc/cron.d, systemd "
                     "units (systemctl list-units --type=service), ~/.bashrc, "
                     "~/.ssh/authorized_keys; block the pool%s%s in the firewall; then find how "
                     "it got in (weak passwords, exposed services).",
                     (int)e->pid, (int)e->pid, (int)e->pid, exe, rm[0] ? " " : "", rm)) < 0 ||
            (r = ev_response(run, a, e)) < 0)
                return r;
        return emit(run, TAKE_PTR(a));
}

static int alert_binary(run_t *run, const ps_entry_t *e, const pfind_t *p, const proc_info_t *full,
                        const char *subject)
{
        const char *rule = p->upgraded_pkg ? "process.deleted_binary_upgraded"
                           : p->deleted    ? "process.deleted_binary"
                                           : "process.tmp_binary";
        alert_level_t level = p->upgraded_pkg ? ALERT_REMINDER : ALERT_SUSPICIOUS;
        _cleanup_alert_ alert_t *a = new_alert(run, rule, subject, level);
        _cleanup_free_ char *comm = esc_str(e->comm), *exe = esc_str(e->exe ? e->exe : "?");
        int r;

        if (!a || !comm || !exe)
                return -ENOMEM;
        if (p->upgraded_pkg)
                r = alert_set_title(a,
                                    "%s (pid %d) still runs the old %s replaced by an upgrade "
                                    "of package %s",
                                    comm, (int)e->pid, exe, p->upgraded_pkg);
        else if (e->exe_memfd)
                r = alert_set_title(a, "%s (pid %d) runs from an anonymous memory file (%s)", comm,
                                    (int)e->pid, exe);
        else if (p->deleted)
                r = alert_set_title(a, "%s (pid %d) runs from a deleted file %s", comm, (int)e->pid,
                                    exe);
        else
                r = alert_set_title(a, "%s (pid %d) runs from a temporary directory: %s", comm,
                                    (int)e->pid, exe);
        if (r < 0 || (r = ev_process(run, a, e, full)) < 0 ||
            (r = ev_bool(a, "deleted", p->deleted)) < 0 ||
            (e->exe_memfd && (r = ev_bool(a, "memfd", true)) < 0) ||
            (p->tmp && (r = ev_bool(a, "temporary_directory", true)) < 0) ||
            (p->upgraded_pkg && (r = alert_add_evidence_str(a, "package", p->upgraded_pkg)) < 0))
                return r;
        if (p->upgraded_pkg)
                r = alert_set_remediation(a,
                                          "Restart the service so it runs the upgraded "
                                          "program (needrestart or checkrestart list them): "
                                          "systemctl restart UNIT, or kill %d if it is not a "
                                          "service.",
                                          (int)e->pid);
        else
                r = alert_set_remediation(
                        a,
                        "Keep a copy for analysis (the file is readable through the process "
                        "even when deleted): cp /proc/%d/exe /root/pid-%d.bin; scan it: vigil "
                        "scan --only malware /root/pid-%d.bin. If you do not know the program, "
                        "stop it: kill -9 %d, and find what started it: ps -o pid,ppid,user,args "
                        "-p %d, ls -l /proc/%d/cwd, crontab -l -u USER, /etc/cron.d, systemd "
                        "units.",
                        (int)e->pid, (int)e->pid, (int)e->pid, (int)e->pid, (int)e->ppid,
                        (int)e->pid);
        if (r < 0)
                return r;
        return emit(run, TAKE_PTR(a));
}

/* Raise the alerts of one process. The full record (uids) is read now;
 * a process whose start time changed is another process: nothing is
 * raised for it. */
static int raise_process(run_t *run, const ps_entry_t *e, pfind_t *p)
{
        psweep_t *s = run->s;
        _cleanup_(proc_info_done) proc_info_t full = { 0 };
        bool miner = psrules_miner_verdict(&p->miner) || p->pool || p->yara_rules;
        bool binary = p->deleted || p->tmp || e->exe_memfd;
        char subject[64];
        bool old;
        int r;

        if (!p->rshell && !miner && !binary)
                return 0;
        r = proc_read_pid(s->pfd, e->pid, &full);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || full.start_time != e->start_time)
                return 0;
        snprintf(subject, sizeof(subject), "pid %d start %llu", (int)e->pid, e->start_time);
        if (p->rshell) {
                if ((r = remembered(run, "process.reverse_shell", subject, &old)) < 0)
                        return r;
                if (old)
                        run->st->suppressed++;
                else if ((r = alert_reverse_shell(run, e, p, &full, subject)) < 0)
                        return r;
        }
        if (miner) {
                if ((r = remembered(run, "process.miner", subject, &old)) < 0)
                        return r;
                if (old)
                        run->st->suppressed++;
                else if ((r = alert_miner(run, e, p, &full, subject)) < 0)
                        return r;
        }
        if (binary) {
                if ((r = remembered(run, "process.binary", subject, &old)) < 0)
                        return r;
                if (old)
                        run->st->suppressed++;
                else if ((r = alert_binary(run, e, p, &full, subject)) < 0)
                        return r;
        }
        return 0;
}

/* ---- sockets ------------------------------------------------------------- */

static bool netns_loaded(const run_t *run, uint64_t ns)
{
        for (size_t i = 0; i < run->n_netns_loaded; i++)
                if (run->netns_loaded[i] == ns)
                        return true;
        return false;
}

/* Read the tables of namespace NS as seen by PID_DIR ("self" or a pid). */
static int load_netns(run_t *run, const char *pid_dir, uint64_t ns, bool with_udp)
{
        sockmap_stats_t st = { 0 };
        size_t before = run->socks.n;
        int r;

        if (netns_loaded(run, ns))
                return 0;
        if (run->n_netns_loaded >= MAX_NETNS)
                return 0;
        run->netns_loaded[run->n_netns_loaded++] = ns;
        r = sockmap_read_ns(&run->socks, run->s->pfd, pid_dir, ns, with_udp, &st);
        if (r == -ENOMEM)
                return r;
        if (r == -E2BIG && run->report)
                report_note(run->report, REPORT_NOTE_WARNING, "process",
                            "more than %d sockets; connections beyond are not looked at",
                            SOCKMAP_MAX_ENTRIES);
        if (st.bad_lines && run->report)
                report_note(run->report, REPORT_NOTE_WARNING, "/proc/net/tcp",
                            "%zu line(s) of the socket tables did not parse", st.bad_lines);
        run->st->netns++;
        run->st->sockets += run->socks.n - before;
        sockmap_finish(&run->socks);
        return 0;
}

/* A socket that makes a process a reverse shell: a TCP connection (not a
 * listening socket) with a remote end. */
static bool rshell_conn(const psweep_t *s, const sockmap_entry_t *c)
{
        static const struct in6_addr any = IN6ADDR_ANY_INIT;
        struct in6_addr mapped_any = { .s6_addr = { [10] = 0xff, [11] = 0xff } };

        if (c->proto != IPPROTO_TCP || c->state == SOCKMAP_TCP_LISTEN || c->rport == 0)
                return false;
        if (memcmp(&c->remote, &any, sizeof(any)) == 0 ||
            memcmp(&c->remote, &mapped_any, sizeof(any)) == 0)
                return false;
        if (s->conf.rs_ignore_loopback && sockmap_addr_is_loopback(&c->remote))
                return false;
        return true;
}

/* True when the local port of C is a listening TCP port of its namespace:
 * the connection was accepted (inbound), not made by the process. */
static bool accepted(const run_t *run, const sockmap_entry_t *c)
{
        for (size_t i = 0; i < run->socks.n; i++) {
                const sockmap_entry_t *l = &run->socks.v[i];
                if (l->proto == IPPROTO_TCP && l->state == SOCKMAP_TCP_LISTEN &&
                    l->lport == c->lport && l->netns == c->netns)
                        return true;
        }
        return false;
}

static const sockmap_entry_t *lookup_inode(run_t *run, const ps_entry_t *e, unsigned long inode)
{
        const sockmap_entry_t *c = sockmap_find(&run->socks, inode);
        char pid_dir[24];

        if (c)
                return c;
        /* Another namespace not read yet, or a connection made after the
         * tables were read: read what is missing once. */
        snprintf(pid_dir, sizeof(pid_dir), "%d", (int)e->pid);
        if (e->netns && e->netns != run->s->own_netns && !netns_loaded(run, e->netns)) {
                if (load_netns(run, pid_dir, e->netns, false) < 0)
                        return NULL;
        } else if (!run->own_reread && (!e->netns || e->netns == run->s->own_netns)) {
                /* A second read of our own namespace's tables appends
                 * duplicates of known sockets; lookups find either copy. */
                run->own_reread = true;
                for (size_t i = 0; i < run->n_netns_loaded; i++)
                        if (run->netns_loaded[i] == run->s->own_netns)
                                run->netns_loaded[i] = (uint64_t)-1;
                if (load_netns(run, "self", run->s->own_netns, false) < 0)
                        return NULL;
        } else
                return NULL;
        return sockmap_find(&run->socks, inode);
}

static int check_rshell(run_t *run, const ps_entry_t *e, pfind_t *p)
{
        _cleanup_close_ int dfd = -1;
        char name[24];

        snprintf(name, sizeof(name), "%d", (int)e->pid);
        dfd = openat(run->s->pfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return 0;
        run->st->interpreters++;
        for (int fd = 0; fd < 3; fd++) {
                const sockmap_entry_t *c;
                unsigned long inode;
                if (sockmap_fd_inode(dfd, fd, &inode) < 0)
                        continue;
                c = lookup_inode(run, e, inode);
                if (!c || !rshell_conn(run->s, c))
                        continue;
                if (!p->rshell) {
                        p->rshell_conn = *c;
                        p->rshell_inbound = accepted(run, c);
                }
                p->rshell = true;
                p->rshell_fds |= 1u << fd;
        }
        p->any |= p->rshell;
        return 0;
}

/* ---- YARA ----------------------------------------------------------------- */

static exe_verdict_t *verdict_find(psweep_t *s, const ps_entry_t *e)
{
        for (size_t i = 0; i < s->n_verdicts; i++) {
                exe_verdict_t *v = &s->verdicts[i];
                if (v->dev == e->exe_dev && v->ino == e->exe_ino && v->size == e->exe_size &&
                    v->mtime_ns == e->exe_mtime_ns)
                        return v;
        }
        return NULL;
}

static int check_yara(run_t *run, const ps_entry_t *e, pfind_t *p)
{
        psweep_t *s = run->s;
        _cleanup_(malware_result_clear) malware_result_t res = { 0 };
        _cleanup_close_ int fd = -1;
        exe_verdict_t *v;
        char path[32];
        buf_t names;
        int r;

        if (!s->engine || !e->exe_stat_ok)
                return 0;
        v = verdict_find(s, e);
        if (v) {
                run->st->yara_cached++;
                goto found;
        }
        if (!run->scanner && (r = malware_scanner_new(s->engine, &run->scanner)) < 0)
                return r;
        snprintf(path, sizeof(path), "%d/exe", (int)e->pid);
        fd = openat(s->pfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return 0;
        r = malware_scan_fd(run->scanner, fd, &res);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0; /* too big, not a regular file, unreadable */
        run->st->yara_scanned++;
        if (s->n_verdicts >= EXE_CACHE_MAX) {
                for (size_t i = 0; i < s->n_verdicts; i++)
                        free(s->verdicts[i].rules);
                s->n_verdicts = 0;
        }
        if (s->n_verdicts == s->cap_verdicts) {
                size_t cap = s->cap_verdicts ? s->cap_verdicts * 2 : 64;
                exe_verdict_t *nv = realloc(s->verdicts, cap * sizeof(*nv));
                if (!nv)
                        return -ENOMEM;
                s->verdicts = nv;
                s->cap_verdicts = cap;
        }
        v = &s->verdicts[s->n_verdicts++];
        *v = (exe_verdict_t){ e->exe_dev, e->exe_ino, e->exe_size, e->exe_mtime_ns, NULL };
        if (!res.changed && malware_result_has_category(&res, "miner")) {
                buf_init(&names, 4096);
                for (size_t i = 0; i < res.n_hits; i++) {
                        const malware_hit_t *h = &res.hits[i];
                        if (!h->rule || strcmp(h->rule->category, "miner") != 0)
                                continue;
                        if (buf_printf(&names, "%s%s", names.len ? ", " : "", h->rule->name) < 0) {
                                buf_free(&names);
                                s->n_verdicts--;
                                return -ENOMEM;
                        }
                }
                v->rules = buf_take(&names);
                if (!v->rules) {
                        s->n_verdicts--;
                        return -ENOMEM;
                }
        }
found:
        if (v->rules) {
                p->yara_rules = strdup(v->rules);
                if (!p->yara_rules)
                        return -ENOMEM;
                p->any = true;
        }
        return 0;
}

/* ---- per process ---------------------------------------------------------- */

/* The rules that need only what was read about E, plus its fds 0-2. */
static int check_process(run_t *run, const ps_entry_t *e, pfind_t *p)
{
        psweep_t *s = run->s;
        int r;

        if (e->kthread || e->pid == run->self)
                return 0;
        if (psconf_listed(&s->conf.allowlist, e->exe, e->comm)) {
                run->st->suppressed++;
                return 0;
        }
        if (e->exe_deleted || e->exe_memfd) {
                p->deleted = true;
                p->any = true;
        }
        if (e->exe && !e->exe_memfd && psrules_in_dirs(e->exe, &s->conf.tmp_dirs)) {
                p->tmp = true;
                p->any = true;
        }
        if ((r = psrules_miner_scan(e->cmdline, e->cmdline_len, e->exe, e->comm, &p->miner)) < 0)
                return r;
        if (psrules_miner_verdict(&p->miner))
                p->any = true;
        p->interp = psrules_interpreter(e->exe, e->comm, ps_entry_argv0(e), &s->conf.interpreters);
        if (p->interp && (r = check_rshell(run, e, p)) < 0)
                return r;
        return check_yara(run, e, p);
}

/* The owners of connections to pool ports: every descriptor of the
 * processes of LIST (only when such a connection exists at all). */
typedef struct pool_walk {
        run_t *run;
        pfind_t *p;
} pool_walk_t;

static int pool_fd(int fd, unsigned long inode, void *userdata)
{
        pool_walk_t *w = userdata;
        const sockmap_entry_t *c = sockmap_find(&w->run->socks, inode);

        (void)fd;
        if (!c || c->proto != IPPROTO_TCP || c->state == SOCKMAP_TCP_LISTEN ||
            !psconf_is_pool_port(&w->run->s->conf, c->rport))
                return 0;
        w->p->pool = true;
        w->p->pool_conn = *c;
        w->p->any = true;
        return 1;
}

static bool pool_conns_exist(const run_t *run)
{
        for (size_t i = 0; i < run->socks.n; i++) {
                const sockmap_entry_t *c = &run->socks.v[i];
                if (c->proto == IPPROTO_TCP && c->state != SOCKMAP_TCP_LISTEN &&
                    psconf_is_pool_port(&run->s->conf, c->rport))
                        return true;
        }
        return false;
}

static int check_pool(run_t *run, const ps_entry_t *e, pfind_t *p)
{
        _cleanup_close_ int dfd = -1;
        pool_walk_t w = { run, p };
        char name[24];

        if (e->kthread || e->pid == run->self ||
            psconf_listed(&run->s->conf.allowlist, e->exe, e->comm))
                return 0;
        snprintf(name, sizeof(name), "%d", (int)e->pid);
        dfd = openat(run->s->pfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return 0;
        return sockmap_walk_fds(dfd, 65536, pool_fd, &w);
}

/* Deleted executables: does a package own a new file at the same path?
 * Answers come from the cache while dpkg's database is unchanged; the
 * rest from one pass over its file lists. */
static int check_upgrades(run_t *run, const ps_list_t *procs, pfind_t *finds)
{
        owner_cache_t *cache = &run->s->owners;
        _cleanup_free_ const char **paths = NULL;
        _cleanup_free_ size_t *idx = NULL;
        _cleanup_free_ char **pkgs = NULL;
        bool checked = false;
        size_t n = 0;
        int r;

        for (size_t i = 0; i < procs->n; i++)
                n += finds[i].deleted && !procs->v[i].exe_memfd && procs->v[i].exe;
        if (n == 0)
                return 0;
        paths = calloc(n, sizeof(*paths));
        idx = calloc(n, sizeof(*idx));
        pkgs = calloc(n, sizeof(*pkgs));
        if (!paths || !idx || !pkgs)
                return -ENOMEM;
        n = 0;
        for (size_t i = 0; i < procs->n; i++) {
                const ps_entry_t *e = &procs->v[i];
                const owner_answer_t *known;
                struct stat now;
                if (!finds[i].deleted || e->exe_memfd || !e->exe)
                        continue;
                /* A file must exist at the path now, in the process's own
                 * view of the filesystem, and be a regular file that is not
                 * writable by group or others. */
                if (rootfs_stat(run->s->root, e->exe, true, &now) < 0 || !S_ISREG(now.st_mode) ||
                    (now.st_mode & 022))
                        continue;
                if (!checked) {
                        owner_cache_check(cache, run->s->root);
                        checked = true;
                }
                known = owner_cache_find(cache, e->exe);
                if (known) {
                        if (known->pkg && !(finds[i].upgraded_pkg = strdup(known->pkg)))
                                return -ENOMEM;
                        continue;
                }
                paths[n] = e->exe;
                idx[n++] = i;
        }
        if (n == 0)
                return 0;
        r = pkgowner_dpkg(run->s->root, paths, n, pkgs);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        for (size_t k = 0; k < n; k++) {
                if (!owner_cache_find(cache, paths[k]))
                        owner_cache_put(cache, paths[k], pkgs[k]);
                finds[idx[k]].upgraded_pkg = pkgs[k];
        }
        return 0;
}

/* ---- hidden processes and ld.so.preload ---------------------------------- */

static int sweep_hidden(run_t *run, const ps_list_t *procs, unsigned long tasks_before,
                        pid_t last_pid)
{
        psweep_t *s = run->s;
        hidden_opts_t ho = {
                .proc_dirfd = s->pfd,
                .procs = procs,
                .cross_view = true,
                .parents = true,
                .task_count = true,
                .tasks_before = tasks_before,
        };
        hidden_result_t res = { 0 };
        pid_t pid_max = hidden_pid_max(s->pfd), top = 0;
        int r;

        for (size_t i = 0; i < procs->n; i++)
                top = MAX(top, procs->v[i].pid);
        top = MAX(top, last_pid);
        /* Pids are handed out upwards and wrap at pid_max; a hidden
         * process cannot be above the highest pid ever handed out, which
         * before the first wrap is about the last one. */
        top = (pid_t)MIN((long)pid_max - 1, (long)top + 1024);
        ho.probe_all_to = top;
        if (s->probe_window <= 0 || s->probe_window >= top) {
                ho.probe_from = 1;
                ho.probe_to = top;
        } else {
                if (s->probe_cursor < 1 || s->probe_cursor > top)
                        s->probe_cursor = 1;
                ho.probe_from = s->probe_cursor;
                ho.probe_to = (pid_t)MIN((long)top, (long)s->probe_cursor + s->probe_window - 1);
                s->probe_cursor = ho.probe_to >= top ? 1 : ho.probe_to + 1;
        }
        r = hidden_check(&ho, &res);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                if (run->report)
                        report_note(run->report, REPORT_NOTE_WARNING, "process",
                                    "the hidden-process check could not run: %s", strerror(-r));
                return 0;
        }
        run->st->hidden_probed += res.probed;
        if (res.skipped_foreign_proc && run->report)
                report_note(run->report, REPORT_NOTE_INFO, "process",
                            "/proc belongs to another pid namespace; pids are not probed for "
                            "hidden processes");
        for (size_t i = 0; i < res.n && r == 0; i++) {
                const hidden_proc_t *h = &res.v[i];
                _cleanup_alert_ alert_t *a = NULL;
                char subject[64];
                bool old;

                snprintf(subject, sizeof(subject), "pid %d start %llu", (int)h->pid, h->start_time);
                if ((r = remembered(run, "process.hidden", subject, &old)) < 0)
                        break;
                if (old) {
                        run->st->suppressed++;
                        continue;
                }
                a = new_alert(run, "process.hidden", subject, ALERT_URGENT);
                if (!a) {
                        r = -ENOMEM;
                        break;
                }
                if ((r = alert_set_title(a,
                                         "process %d runs but is hidden from the /proc listing "
                                         "(found by %s)",
                                         (int)h->pid, h->method)) < 0 ||
                    (r = alert_add_evidence_int(a, "pid", h->pid)) < 0 ||
                    (r = alert_add_evidence_str(a, "method", h->method)) < 0 ||
                    (r = ev_bool(a, "proc_entry_readable", h->proc_entry_readable)) < 0 ||
                    (h->proc_entry_readable &&
                     ((r = alert_add_evidence_int(a, "ppid", h->ppid)) < 0 ||
                      (r = ev_escaped(a, "comm", h->comm, strlen(h->comm), 64)) < 0)) ||
                    (res.count_deficit &&
                     ((r = alert_add_evidence_int(a, "kernel_tasks", (long long)res.tasks_kernel)) <
                              0 ||
                      (r = alert_add_evidence_int(a, "listed_tasks", (long long)res.tasks_listed)) <
                              0)) ||
                    (r = alert_set_remediation(
                             a,
                             "A rootkit is likely hiding process %d. Look at it directly: cat "
                             "/proc/%d/cmdline | tr '\\0' ' '; ls -l /proc/%d/exe. Check "
                             "/etc/ld.so.preload and the LD_PRELOAD of services, loaded kernel "
                             "modules (cat /proc/modules, dmesg), and treat the host as "
                             "compromised: take it off the network and rebuild it from "
                             "trusted media.",
                             (int)h->pid, (int)h->pid, (int)h->pid)) < 0)
                        break;
                r = emit(run, TAKE_PTR(a));
        }
        hidden_result_clear(&res);
        return r;
}

static int sweep_preload(run_t *run)
{
        psweep_t *s = run->s;
        _cleanup_(strv_clear) strv_t entries = { 0 };
        _cleanup_free_ char *data = NULL, *shown = NULL;
        const char *file = s->conf.ld_preload_file ? s->conf.ld_preload_file : "/etc/ld.so.preload";
        size_t len;
        int r;

        if (s->conf.ld_preload_file) {
                _cleanup_close_ int fd =
                        open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
                r = fd < 0 ? -errno : rootfs_read_fd(fd, HIDDEN_MAX_PRELOAD_FILE, &data, &len);
                shown = strdup(file);
        } else {
                r = rootfs_read_file(s->root, file, HIDDEN_MAX_PRELOAD_FILE, &data, &len);
                shown = rootfs_display_path(s->root, file);
        }
        if (!shown)
                return -ENOMEM;
        if (r == -ENOENT)
                return 0;
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                if (run->report)
                        report_note(run->report, REPORT_NOTE_WARNING, shown, "not read: %s",
                                    strerror(-r));
                return 0;
        }
        r = hidden_parse_preload(data, len, &entries);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && run->report)
                report_note(run->report, REPORT_NOTE_WARNING, shown,
                            "more than %d entries, or an entry longer than a path; the first "
                            "ones are reported",
                            HIDDEN_MAX_PRELOAD);
        r = 0;
        for (size_t i = 0; i < entries.n && r == 0; i++) {
                _cleanup_free_ char *esc = NULL, *subject = NULL, *esc_sh = NULL;
                _cleanup_alert_ alert_t *a = NULL;
                struct stat st;
                bool old;

                if (strv_contains(&s->conf.ld_preload_allow, entries.v[i]))
                        continue;
                esc = psrules_escape(entries.v[i], strlen(entries.v[i]), 512);
                esc_sh = shell_quote(entries.v[i]);
                subject = esc ? str_printf("%s: %s", shown, esc) : NULL;
                if (!subject || !esc_sh)
                        return -ENOMEM;
                if ((r = remembered(run, "process.ld_preload", subject, &old)) < 0)
                        break;
                if (old) {
                        run->st->suppressed++;
                        continue;
                }
                a = new_alert(run, "process.ld_preload", subject, ALERT_URGENT);
                if (!a)
                        return -ENOMEM;
                if ((r = alert_set_title(a, "%s loads %s into every program", shown, esc)) < 0 ||
                    (r = alert_add_evidence_str(a, "file", shown)) < 0 ||
                    (r = alert_add_evidence_str(a, "entry", esc)) < 0 ||
                    (r = alert_add_evidence_int(a, "position", (long long)i + 1)) < 0 ||
                    (r = ev_bool(a, "library_exists",
                                 entries.v[i][0] == '/' &&
                                         rootfs_stat(s->root, entries.v[i], true, &st) == 0)) < 0 ||
                    (r = alert_set_remediation(
                             a,
                             "Unless you put it there, this is how user-space rootkits hide "
                             "processes and files. Keep a copy of the library for analysis, "
                             "remove the line '%s' from %s (or the file when it is the only "
                             "line), scan the library: vigil scan --only malware %s, then "
                             "restart services or reboot so no process keeps it loaded, and "
                             "treat the host as compromised.",
                             esc, shown, esc_sh)) < 0)
                        break;
                r = emit(run, TAKE_PTR(a));
        }
        return r;
}

/* ---- persistence -------------------------------------------------------- */

typedef struct persist_ctx {
        run_t *run;
        const unsigned long *listen_inodes; /* parallel to the listen set */
        const persist_set_t *set;
        persist_item_t **listen_new;
        size_t n_listen_new;
} persist_ctx_t;

static int persist_alert(run_t *run, persist_kind_t k, const persist_item_t *it, pid_t pid,
                         const char *comm, const char *exe)
{
        static const struct {
                const char *rule;
                alert_level_t level;
        } rules[PERSIST_KIND__MAX] = {
                [PERSIST_UID0] = { "process.new_uid0_account", ALERT_SUSPICIOUS },
                [PERSIST_SUDOERS] = { "process.new_sudoers_entry", ALERT_SUSPICIOUS },
                [PERSIST_CRON] = { "process.new_cron_job", ALERT_SUSPICIOUS },
                [PERSIST_SYSTEMD] = { "process.new_systemd_unit", ALERT_SUSPICIOUS },
                [PERSIST_LISTEN] = { "process.new_listening_port", ALERT_REMINDER },
        };
        _cleanup_alert_ alert_t *a = new_alert(run, rules[k].rule, it->key, rules[k].level);
        _cleanup_free_ char *raw = NULL, *shown = NULL, *name = NULL, *name_sh = NULL;
        _cleanup_free_ char *shown_sh = NULL;
        const char *text = it->text ? it->text : "";
        int r;

        if (!a)
                return -ENOMEM;
        /* File and unit names come from directory listings of the scanned
         * system: escaped for titles, quoted for commands. */
        if (it->path && (!(raw = rootfs_display_path(run->s->root, it->path)) ||
                         !(shown = esc_str(raw)) || !(shown_sh = shell_quote(raw))))
                return -ENOMEM;
        if (!(name = esc_str(it->name ? it->name : "UNIT")) ||
            !(name_sh = shell_quote(it->name ? it->name : "UNIT")))
                return -ENOMEM;
        if ((shown && (r = alert_add_evidence_str(a, "file", shown)) < 0) ||
            (it->line && (r = alert_add_evidence_int(a, "line", it->line)) < 0) ||
            (it->text && (r = alert_add_evidence_str(a, "entry", it->text)) < 0))
                return r;
        switch (k) {
        case PERSIST_UID0:
                r = alert_set_title(a, "new account with uid 0: %s", name);
                if (r == 0)
                        r = alert_add_evidence_str(a, "user", it->name);
                if (r == 0)
                        r = alert_set_remediation(
                                a,
                                "Only root should have uid 0. If you did not create %s, lock "
                                "it now (usermod -L -e 1 %s), then remove it with vipw and "
                                "vipw -s (its lines in /etc/passwd and /etc/shadow), and look "
                                "for what else was changed at the same time.",
                                name_sh, name_sh);
                break;
        case PERSIST_SUDOERS:
                r = alert_set_title(a, "new sudoers entry in %s: %s", shown, text);
                if (r == 0)
                        r = alert_set_remediation(a,
                                                  "If you did not add it, remove line %u of %s "
                                                  "with visudo -f %s, and check who could write "
                                                  "the file (ls -l %s).",
                                                  it->line, shown, shown_sh, shown_sh);
                break;
        case PERSIST_CRON:
                r = alert_set_title(a, "new cron job in %s: %s", shown, text);
                if (r == 0)
                        r = alert_set_remediation(
                                a,
                                "If you did not add it, look at what it runs, then remove it "
                                "(crontab -e -u USER for a user crontab, or edit/delete %s), "
                                "and kill any process it started.",
                                shown_sh);
                break;
        case PERSIST_SYSTEMD:
                r = alert_set_title(a, "new service or unit: %s", text);
                if (r == 0 && it->name)
                        r = alert_add_evidence_str(a, "unit", it->name);
                if (r == 0)
                        r = alert_set_remediation(
                                a,
                                "If you did not install it, see what it runs (systemctl cat "
                                "%s), stop and disable it (systemctl disable --now %s), "
                                "remove %s and run systemctl daemon-reload.",
                                name_sh, name_sh, shown_sh ? shown_sh : "the file");
                break;
        case PERSIST_LISTEN:
                r = alert_set_title(a, "new listening port: %s%s%s", it->name, comm ? " by " : "",
                                    comm ? comm : "");
                if (r == 0)
                        r = alert_add_evidence_int(a, "port", it->port);
                if (r == 0)
                        r = alert_add_evidence_str(a, "listen", it->name);
                if (r == 0 && pid > 0)
                        r = alert_add_evidence_int(a, "pid", pid);
                if (r == 0 && comm)
                        r = ev_escaped(a, "comm", comm, strlen(comm), 64);
                if (r == 0 && exe)
                        r = ev_escaped(a, "exe", exe, strlen(exe), 1024);
                if (r == 0)
                        r = alert_set_remediation(
                                a,
                                "If you do not expect this service, find it (ss -lntup "
                                "'sport = :%d'), stop it, and keep the port closed in the "
                                "firewall; otherwise nothing to do.",
                                it->port);
                break;
        default:
                r = -EINVAL;
        }
        if (r < 0)
                return r;
        return emit(run, TAKE_PTR(a));
}

static int on_new_item(persist_kind_t k, const persist_item_t *it, void *userdata)
{
        persist_ctx_t *pc = userdata;

        if (k == PERSIST_LISTEN) {
                /* Owners are found in one walk after the comparison. */
                pc->listen_new[pc->n_listen_new++] = (persist_item_t *)it;
                return 0;
        }
        return persist_alert(pc->run, k, it, 0, NULL, NULL);
}

/* The lowest port of the kernel's ephemeral range: bound UDP sockets above
 * it are clients (resolvers), not services. */
static unsigned ephemeral_low(int pfd)
{
        char buf[64];
        int fd = openat(pfd, "sys/net/ipv4/ip_local_port_range", O_RDONLY | O_CLOEXEC);
        unsigned long v = 32768;
        ssize_t n;

        if (fd < 0)
                return 32768;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n > 0) {
                char *end;
                buf[n] = 0;
                v = strtoul(buf, &end, 10);
                if (end == buf || v == 0 || v > 65535)
                        v = 32768;
        }
        return (unsigned)v;
}

typedef struct owner_walk {
        const unsigned long *inodes; /* wanted */
        size_t n;
        pid_t *owners;
        size_t found;
        pid_t pid;
} owner_walk_t;

static int owner_fd(int fd, unsigned long inode, void *userdata)
{
        owner_walk_t *w = userdata;

        (void)fd;
        for (size_t i = 0; i < w->n; i++)
                if (w->inodes[i] == inode && !w->owners[i]) {
                        w->owners[i] = w->pid;
                        w->found++;
                }
        return w->found == w->n ? 1 : 0;
}

static int sweep_listen(run_t *run, const ps_list_t *procs)
{
        psweep_t *s = run->s;
        _cleanup_(persist_set_clear) persist_set_t set = { 0 };
        _cleanup_free_ unsigned long *inodes = NULL, *want = NULL;
        _cleanup_free_ persist_item_t **news = NULL;
        _cleanup_free_ pid_t *owners = NULL;
        persist_ctx_t pc = { .run = run };
        unsigned low = ephemeral_low(s->pfd);
        bool learnt;
        int r = 0;

        inodes = calloc(run->socks.n ? run->socks.n : 1, sizeof(*inodes));
        if (!inodes)
                return -ENOMEM;
        for (size_t i = 0; i < run->socks.n && r == 0; i++) {
                const sockmap_entry_t *c = &run->socks.v[i];
                char addr[INET6_ADDRSTRLEN], key[INET6_ADDRSTRLEN + 32];
                const char *proto;
                if (c->netns != s->own_netns)
                        continue;
                if (c->proto == IPPROTO_TCP && c->state == SOCKMAP_TCP_LISTEN)
                        proto = c->family == AF_INET6 ? "tcp6" : "tcp";
                else if (c->proto == IPPROTO_UDP && c->state == SOCKMAP_UDP_UNCONNECTED &&
                         c->lport && c->lport < low)
                        proto = c->family == AF_INET6 ? "udp6" : "udp";
                else
                        continue;
                sockmap_addr_str(&c->local, addr);
                snprintf(key, sizeof(key), "%s %s%s%s:%u", proto, c->family == AF_INET6 ? "[" : "",
                         addr, c->family == AF_INET6 ? "]" : "", c->lport);
                inodes[set.n] = c->inode;
                r = persist_set_add(&set, key, NULL, 0, NULL, key, c->lport);
        }
        if (r < 0)
                return r;
        news = calloc(set.n ? set.n : 1, sizeof(*news));
        if (!news)
                return -ENOMEM;
        pc.listen_new = news;
        pc.set = &set;
        r = persist_diff(s->db, "/", PERSIST_LISTEN, &set, on_new_item, &pc, &learnt);
        run->st->persist_items += set.n;
        if (r < 0 || pc.n_listen_new == 0)
                return r;
        /* Who listens: one walk over the descriptors, stopped when every
         * new socket has its owner. */
        want = calloc(pc.n_listen_new, sizeof(*want));
        owners = calloc(pc.n_listen_new, sizeof(*owners));
        if (!want || !owners)
                return -ENOMEM;
        for (size_t i = 0; i < pc.n_listen_new; i++)
                want[i] = inodes[pc.listen_new[i] - set.v];
        {
                owner_walk_t w = { .inodes = want, .n = pc.n_listen_new, .owners = owners };
                for (size_t i = 0; i < procs->n && w.found < w.n; i++) {
                        _cleanup_close_ int dfd = -1;
                        char name[24];
                        if (procs->v[i].kthread || procs->v[i].netns != s->own_netns)
                                continue;
                        snprintf(name, sizeof(name), "%d", (int)procs->v[i].pid);
                        dfd = openat(s->pfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (dfd < 0)
                                continue;
                        w.pid = procs->v[i].pid;
                        if ((r = sockmap_walk_fds(dfd, 0, owner_fd, &w)) < 0)
                                return r;
                }
        }
        for (size_t i = 0; i < pc.n_listen_new && r == 0; i++) {
                const ps_entry_t *e = owners[i] ? ps_list_find(procs, owners[i]) : NULL;
                r = persist_alert(run, PERSIST_LISTEN, pc.listen_new[i], owners[i],
                                  e ? e->comm : NULL, e ? e->exe : NULL);
        }
        return r;
}

static int sweep_persistence(run_t *run, const ps_list_t *procs)
{
        psweep_t *s = run->s;
        const char *scope = s->root->path;
        int r = 0;

        if (!s->state_dir || !s->conf.persistence)
                return 0;
        if (!s->db && !s->db_tried) {
                _cleanup_free_ char *err = NULL;
                s->db_tried = true;
                r = persist_db_open(s->state_dir, &s->db, &err);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        if (run->report)
                                report_note(run->report, REPORT_NOTE_WARNING, "process",
                                            "new accounts, sudoers entries, cron jobs, units and "
                                            "listening ports are not compared: %s",
                                            err ? err : strerror(-r));
                        return 0;
                }
        }
        if (!s->db)
                return 0;
        for (persist_kind_t k = 0; k < PERSIST_LISTEN; k++) {
                _cleanup_(persist_set_clear) persist_set_t set = { 0 };
                persist_ctx_t pc = { .run = run };
                bool learnt = false;

                r = persist_collect(s->root, k, run->report, &set);
                if (r == -ENOMEM)
                        return r;
                if (r == -E2BIG) {
                        if (run->report)
                                report_note(run->report, REPORT_NOTE_WARNING, "process",
                                            "more than %d %s items; not compared",
                                            PERSIST_MAX_ITEMS, persist_kind_name(k));
                        continue;
                }
                if (r < 0)
                        return r;
                run->st->persist_items += set.n;
                r = persist_diff(s->db, scope, k, &set, on_new_item, &pc, &learnt);
                if (r == -EIO) {
                        if (run->report)
                                report_note(run->report, REPORT_NOTE_WARNING, "process.db",
                                            "the state of %s items could not be stored: %s",
                                            persist_kind_name(k), sqlite3_errmsg(s->db));
                        r = 0;
                        continue;
                }
                if (r < 0)
                        return r;
                if (learnt && run->report)
                        report_note(run->report, REPORT_NOTE_INFO, "process",
                                    "first sweep: %zu %s item(s) learnt; later sweeps report "
                                    "new ones",
                                    set.n, persist_kind_name(k));
        }
        if (s->pfd >= 0 && s->conf.listening_ports) {
                r = sweep_listen(run, procs);
                if (r == -EIO) {
                        if (run->report)
                                report_note(run->report, REPORT_NOTE_WARNING, "process.db",
                                            "the listening ports could not be stored: %s",
                                            sqlite3_errmsg(s->db));
                        r = 0;
                }
        }
        return r;
}

/* ---- the sweep ------------------------------------------------------------ */

static void note_not_root(run_t *run)
{
        if (run->s->noted_not_root || geteuid() == 0 || !run->report)
                return;
        run->s->noted_not_root = true;
        report_note(run->report, REPORT_NOTE_WARNING, "process",
                    "not running as root: the executables and descriptors of other users' "
                    "processes cannot be read, so they are only partly checked");
}

static void finish_remember(run_t *run, bool full)
{
        psweep_t *s = run->s;

        if (!s->remember)
                return;
        if (full) {
                /* What the last full sweep met is what is remembered: a
                 * process that is gone is forgotten. */
                strv_clear(&s->seen);
                s->seen = run->seen_now;
                run->seen_now = (strv_t){ 0 };
        } else
                for (size_t i = 0; i < run->seen_now.n; i++)
                        if (!strv_contains(&s->seen, run->seen_now.v[i]) &&
                            strv_push(&s->seen, run->seen_now.v[i]) < 0)
                                break;
        if (s->seen.n > 1)
                qsort(s->seen.v, s->seen.n, sizeof(char *), cmp_str);
}

int psweep_run(psweep_t *s, report_t *report, psweep_alert_fn fn, void *userdata,
               psweep_stats_t *stats)
{
        psweep_stats_t st = { 0 };
        run_t run = {
                .s = s, .report = report, .fn = fn, .ud = userdata, .st = &st, .self = getpid()
        };
        ps_list_t procs = { 0 };
        pfind_t *finds = NULL;
        pslist_stats_t pst = { 0 };
        int64_t t0 = timeutil_mono_us();
        unsigned long tasks_before = 0;
        pid_t last_pid = 0;
        int r = 0;

        if (s->pfd < 0) {
                if (report)
                        report_note(report, REPORT_NOTE_INFO, "process",
                                    "running processes are only swept on the running host; "
                                    "for %s only persistence and ld.so.preload are checked",
                                    s->root->path);
                r = sweep_preload(&run);
                if (r == 0)
                        r = sweep_persistence(&run, &procs);
                goto out;
        }
        note_not_root(&run);
        (void)hidden_read_loadavg(s->pfd, &tasks_before, &last_pid);
        {
                pslist_opts_t po = { .exe_stat = s->engine != NULL, .netns = s->conf.all_netns };
                r = pslist_read(s->pfd, &po, &procs, &pst);
                if (r < 0)
                        goto out;
        }
        st.processes = procs.n;
        st.kthreads = pst.kthreads;
        st.vanished = pst.vanished;

        /* Socket tables: this namespace, and every other one a process is
         * in (containers), read once each. */
        if ((r = load_netns(&run, "self", s->own_netns, s->conf.listening_ports)) < 0)
                goto out;
        if (s->conf.all_netns)
                for (size_t i = 0; i < procs.n; i++) {
                        const ps_entry_t *e = &procs.v[i];
                        char pid_dir[24];
                        if (!e->netns || e->netns == s->own_netns || netns_loaded(&run, e->netns))
                                continue;
                        snprintf(pid_dir, sizeof(pid_dir), "%d", (int)e->pid);
                        if ((r = load_netns(&run, pid_dir, e->netns, false)) < 0)
                                goto out;
                }

        finds = calloc(procs.n ? procs.n : 1, sizeof(*finds));
        if (!finds) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < procs.n; i++)
                if ((r = check_process(&run, &procs.v[i], &finds[i])) < 0)
                        goto out;
        if (pool_conns_exist(&run))
                for (size_t i = 0; i < procs.n; i++)
                        if ((r = check_pool(&run, &procs.v[i], &finds[i])) < 0)
                                goto out;
        if ((r = check_upgrades(&run, &procs, finds)) < 0)
                goto out;
        for (size_t i = 0; i < procs.n; i++)
                if (finds[i].any && (r = raise_process(&run, &procs.v[i], &finds[i])) < 0)
                        goto out;
        if (s->conf.hidden && (r = sweep_hidden(&run, &procs, tasks_before, last_pid)) < 0)
                goto out;
        if ((r = sweep_preload(&run)) < 0)
                goto out;
        r = sweep_persistence(&run, &procs);
out:
        if (r == 0)
                finish_remember(&run, true);
        if (finds)
                for (size_t i = 0; i < procs.n; i++)
                        pfind_done(&finds[i]);
        free(finds);
        ps_list_clear(&procs);
        run_done(&run);
        st.elapsed_us = timeutil_mono_us() - t0;
        if (stats)
                *stats = st;
        return r;
}

typedef struct fd_collect {
        unsigned long inodes[64];
        size_t n;
} fd_collect_t;

static int collect_fd(int fd, unsigned long inode, void *userdata)
{
        fd_collect_t *c = userdata;

        (void)fd;
        if (c->n < ELEMENTSOF(c->inodes))
                c->inodes[c->n++] = inode;
        return 0;
}

int psweep_check_pid(psweep_t *s, pid_t pid, report_t *report, psweep_alert_fn fn, void *userdata)
{
        psweep_stats_t st = { 0 };
        run_t run = {
                .s = s, .report = report, .fn = fn, .ud = userdata, .st = &st, .self = getpid()
        };
        pslist_opts_t po = { .exe_stat = s->engine != NULL, .netns = true };
        ps_entry_t e = { 0 };
        pfind_t p = { 0 };
        ps_list_t one = { 0 };
        fd_collect_t fds = { .n = 0 };
        int r;

        if (s->pfd < 0)
                return 0;
        r = pslist_read_pid(s->pfd, pid, &po, &e);
        if (r == -ESRCH)
                return 0;
        if (r < 0)
                return r;
        /* Socket tables only when the process holds sockets at all: most
         * programs that just started hold none. */
        {
                _cleanup_close_ int dfd = -1;
                char name[24];
                snprintf(name, sizeof(name), "%d", (int)pid);
                dfd = openat(s->pfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd >= 0)
                        (void)sockmap_walk_fds(dfd, 4096, collect_fd, &fds);
        }
        if (fds.n > 0) {
                char pid_dir[24];
                snprintf(pid_dir, sizeof(pid_dir), "%d", (int)pid);
                if ((r = load_netns(&run, pid_dir, e.netns ? e.netns : s->own_netns, false)) < 0)
                        goto out;
        }
        if ((r = check_process(&run, &e, &p)) < 0)
                goto out;
        if (fds.n > 0 && pool_conns_exist(&run) && (r = check_pool(&run, &e, &p)) < 0)
                goto out;
        one.v = &e;
        one.n = 1;
        if ((r = check_upgrades(&run, &one, &p)) < 0)
                goto out;
        if (p.any)
                r = raise_process(&run, &e, &p);
out:
        if (r == 0)
                finish_remember(&run, false);
        pfind_done(&p);
        ps_entry_done(&e);
        run_done(&run);
        return r;
}

void psweep_stats_report(report_t *report, const char *scanner, const psweep_stats_t *st)
{
        if (!report)
                return;
        report_count(report, scanner, "processes", (long long)st->processes);
        report_count(report, scanner, "kernel_threads", (long long)st->kthreads);
        report_count(report, scanner, "vanished", (long long)st->vanished);
        report_count(report, scanner, "interpreters_checked", (long long)st->interpreters);
        report_count(report, scanner, "sockets", (long long)st->sockets);
        report_count(report, scanner, "network_namespaces", (long long)st->netns);
        report_count(report, scanner, "yara_scanned", (long long)st->yara_scanned);
        report_count(report, scanner, "yara_cached", (long long)st->yara_cached);
        report_count(report, scanner, "hidden_probed", (long long)st->hidden_probed);
        report_count(report, scanner, "persistence_items", (long long)st->persist_items);
        report_count(report, scanner, "alerts", (long long)st->alerts);
        report_count(report, scanner, "killed", (long long)st->killed);
        report_count(report, scanner, "sweep_us", (long long)st->elapsed_us);
}
