/* vigil center: the server agents report to (intake, storage, REST API,
 * metrics), and the admin's shell tools for it: schema migrations,
 * enrollment tokens and API keys. docs/center.md describes the settings;
 * docs/api.md the endpoints. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "center/auth.h"
#include "center/cdb.h"
#include "center/center.h"
#include "center/console.h"
#include "center/cutil.h"
#include "center/enroll.h"
#include "center/schema.h"
#include "center/users.h"
#include "center/users_totp.h"
#include "cli/cli.h"
#include "core/log.h"
#include "core/store.h"
#include "core/text.h"
#include "core/timeutil.h"

static void center_help(FILE *f)
{
        fputs("Usage: vigil center [COMMAND] [OPTIONS]\n"
              "\n"
              "The center: agents enroll with it and send their findings, alerts and\n"
              "heartbeats; it stores them (SQLite or PostgreSQL) and serves the REST API.\n"
              "\n"
              "Commands:\n"
              "  serve (default)        run the server until SIGTERM or SIGINT\n"
              "  migrate                apply the database schema migrations and exit\n"
              "  token create           make an enrollment token (printed once)\n"
              "  token list             list enrollment tokens (without their secrets)\n"
              "  token revoke ID        revoke an enrollment token\n"
              "  apikey create          make an API key for the REST API (printed once)\n"
              "  apikey revoke ID       revoke an API key\n"
              "  user add NAME          add a console user (--role; prints a generated password)\n"
              "  user passwd NAME       set a new password (generated and printed, or\n"
              "                         --password-stdin); ends the user's sessions\n"
              "  user role NAME         change a user's role (--role)\n"
              "  user totp NAME         turn the TOTP second factor on (prints the secret),\n"
              "                         or off with --off\n"
              "  user unlock NAME       lift a lockout after failed logins\n"
              "  user del NAME          delete a user\n"
              "  user list              list users\n"
              "\n"
              "Options:\n"
              "  --listen ADDR:PORT     listen address (center.listen; "
              "default " CENTER_DEFAULT_LISTEN ")\n"
              "  --db URL               sqlite:PATH or postgres://USER@HOST:PORT/DB (center.db;\n"
              "                         default sqlite:STATE_DIR/center.db)\n"
              "  --uses N               token create: enrollments allowed (default 1)\n"
              "  --expires DURATION     token create: lifetime, e.g. 30m, 24h, 7d (default 24h)\n"
              "  --note TEXT            token create: a note shown in the token list\n"
              "  --role ROLE            apikey create, user add/role: viewer or admin\n"
              "                         (default viewer)\n"
              "  --password-stdin       user passwd: read the password from the first line\n"
              "                         of standard input (at least 12 characters)\n"
              "  --off                  user totp: turn the second factor off\n"
              "  --name NAME            apikey create: what the key is for\n"
              "  --json                 token/apikey create, token/user list: print JSON\n"
              "  --ready-file FILE      serve: write the URL to FILE once listening\n"
              "  --state DIR, --config FILE, -v, -q   see 'vigil --help'\n"
              "  -h, --help             print this help\n"
              "\n"
              "Plain HTTP is served only on a loopback address; anywhere else set\n"
              "center.tls.cert and center.tls.key. Exit status: 0 ok, 2 on any error.\n",
              f);
}

static void on_log(center_log_level_t level, const char *msg, void *userdata)
{
        switch (level) {
        case CENTER_LOG_ERROR:
                log_error("%s", msg);
                break;
        case CENTER_LOG_WARN:
                log_warn("%s", msg);
                break;
        case CENTER_LOG_INFO:
                log_info("%s", msg);
                break;
        }
}

/* Many agents keep a connection each: raise the descriptor limit to what
 * the system allows. */
static void raise_nofile(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void)setrlimit(RLIMIT_NOFILE, &rl);
        }
}

static int write_ready(const char *path, const char *url)
{
        _cleanup_free_ char *tmp = str_printf("%s.tmp", path);
        FILE *f;

        if (!tmp)
                return -ENOMEM;
        f = fopen(tmp, "we");
        if (!f)
                return -errno;
        fprintf(f, "%s\n", url);
        if (fclose(f) != 0 || rename(tmp, path) < 0)
                return -errno;
        return 0;
}

/* Whether DIR is STATE or lies below it, compared as written: a path with
 * a ".." segment never counts as below, since it may lead out. */
static bool below_state(const char *dir, const char *state, size_t *ret_state_len)
{
        size_t n = strlen(state);

        while (n > 1 && state[n - 1] == '/')
                n--;
        if (strncmp(dir, state, n) != 0 || (dir[n] != 0 && dir[n] != '/'))
                return false;
        for (const char *s = dir + n; (s = strstr(s, "/..")) != NULL; s += 3)
                if (s[3] == '/' || s[3] == 0)
                        return false;
        *ret_state_len = n;
        return true;
}

/* SQLite creates the database file but not the directory it goes in, so
 * a first run with a fresh state directory would fail with SQLite's
 * "unable to open database file". Make that directory (mode 0700) before
 * the database is opened. The state directory itself is made with its
 * parents, as every command makes it; below it, every missing directory
 * down to the database's. A database elsewhere gets only its own directory
 * made and its parent must exist, so that a typing error in the path does
 * not leave a tree of directories somewhere unexpected. On failure, says
 * which directory and why. Returns 0 or a negative errno. */
static int prepare_db_dir(const char *db_url, const char *state_dir)
{
        _cleanup_free_ char *path = NULL, *dir = NULL;
        struct stat st;
        size_t n = 0;
        char *slash;
        int r;

        if (!str_startswith(db_url, "sqlite:") || strcmp(db_url, "sqlite::memory:") == 0)
                return 0;
        path = strdup(db_url + STRLEN("sqlite:"));
        if (!path)
                return -ENOMEM;
        slash = strrchr(path, '/');
        if (!slash)
                return 0; /* the working directory */
        dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
        if (!dir)
                return -ENOMEM;
        if (stat(dir, &st) == 0) {
                if (S_ISDIR(st.st_mode))
                        return 0;
                log_error("cannot use %s for the database %s: it is not a directory", dir, path);
                return -ENOTDIR;
        }
        if (state_dir && below_state(dir, state_dir, &n)) {
                _cleanup_free_ char *state = strndup(dir, n);
                if (!state)
                        return -ENOMEM;
                r = store_mkdir_p(state);
                if (r < 0) {
                        log_error("cannot create the state directory %s: %s", state, strerror(-r));
                        return r;
                }
                /* Each directory below the state directory in turn. */
                for (char *s = dir + n + 1; s <= dir + strlen(dir); s++) {
                        char c = *s;
                        if (c != '/' && c != 0)
                                continue;
                        *s = 0;
                        r = mkdir(dir, 0700) < 0 && errno != EEXIST ? -errno : 0;
                        if (r < 0) {
                                log_error("cannot create the directory %s for the database: %s",
                                          dir, strerror(-r));
                                return r;
                        }
                        *s = c;
                        if (c == 0)
                                break;
                }
                return 0;
        }
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                r = -errno;
                if (r == -ENOENT)
                        log_error("cannot create the directory %s for the database: its parent "
                                  "directory does not exist (only directories under the state "
                                  "directory %s are made with their parents)",
                                  dir, state_dir ? state_dir : "(none)");
                else
                        log_error("cannot create the directory %s for the database: %s", dir,
                                  strerror(-r));
                return r;
        }
        return 0;
}

static int serve(const center_config_t *cfg, const char *state_dir, const char *ready_file)
{
        _cleanup_center_ center_t *c = NULL;
        _cleanup_free_ char *err = NULL, *url = NULL;
        sigset_t set;
        int sig = 0, r;

        /* The signals are taken by sigwait below; every thread started from
         * here inherits the mask, so none of them is interrupted. */
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);
        raise_nofile();

        if (prepare_db_dir(cfg->db_url, state_dir) < 0)
                return EXIT_TROUBLE;
        r = center_open(cfg, on_log, NULL, &c, &err);
        if (r < 0) {
                log_error("%s", err ? err : strerror(-r));
                return EXIT_TROUBLE;
        }
        r = console_attach(c);
        if (r < 0) {
                log_error("cannot attach the console's session login: %s", strerror(-r));
                return EXIT_TROUBLE;
        }
        r = center_start(c, &err);
        if (r < 0) {
                log_error("%s", err ? err : strerror(-r));
                return EXIT_TROUBLE;
        }
        {
                const char *host = cfg->listen;
                const char *colon = strrchr(host, ':');
                url = str_printf("%s://%.*s:%d", cfg->tls_cert ? "https" : "http",
                                 (int)(colon - host), host, center_port(c));
        }
        if (!url)
                return EXIT_TROUBLE;
        log_info("center listening on %s (database: %s)", url, cdb_engine_name(c->db));
        if (ready_file && (r = write_ready(ready_file, url)) < 0) {
                log_error("%s: %s", ready_file, strerror(-r));
                return EXIT_TROUBLE;
        }
        for (;;) {
                if (sigwait(&set, &sig) != 0)
                        continue;
                if (sig == SIGHUP) {
                        log_info("SIGHUP: nothing to reload; restart to change settings");
                        continue;
                }
                break;
        }
        log_info("stopping (signal %d): finishing requests in progress", sig);
        center_stop(c);
        return EXIT_CLEAN;
}

static cdb_t *open_db(const center_config_t *cfg, const char *state_dir)
{
        _cleanup_free_ char *err = NULL;
        cdb_t *db = NULL;
        unsigned applied = 0;
        int r;

        if (prepare_db_dir(cfg->db_url, state_dir) < 0)
                return NULL;
        r = cdb_open(cfg->db_url, 1, cfg->sqlite_sync_full, &db, &err);
        if (r == 0)
                r = cdb_migrate(db, schema_migrations, schema_n_migrations, &applied, &err);
        if (r < 0) {
                log_error("%s", err ? err : strerror(-r));
                cdb_close(db);
                return NULL;
        }
        if (applied)
                log_info("database schema: applied %u migration(s)", applied);
        return db;
}

struct opts {
        const char *state_dir; /* for the database's directory */
        const char *listen, *db, *note, *name, *ready_file;
        const char *role, *expires;
        unsigned long long uses;
        bool json, password_stdin, off;
};

static int token_cmd(const center_config_t *cfg, const struct opts *o, int argc, char **argv)
{
        _cleanup_cdb_ cdb_t *db = NULL;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        const char *sub = argc > 0 ? argv[0] : NULL;
        int64_t now = timeutil_now_us();
        int r;

        if (!sub)
                return cli_usage_error("center", "token needs create, list or revoke");
        if (strcmp(sub, "create") == 0) {
                _cleanup_free_ char *token = NULL;
                int64_t ttl = USEC_PER_DAY;
                char id[17], iso[TIMEUTIL_ISO_LEN];

                if (argc > 1)
                        return cli_usage_error("center", "token create takes no arguments");
                if (o->expires && cutil_parse_duration(o->expires, &ttl) < 0)
                        return cli_usage_error("center", "--expires: '%s' is not a duration",
                                               o->expires);
                if (o->uses < 1 || o->uses > ENROLL_MAX_USES)
                        return cli_usage_error("center", "--uses must be from 1 to %d",
                                               ENROLL_MAX_USES);
                if (ttl < ENROLL_MIN_TTL_US || ttl > ENROLL_MAX_TTL_US)
                        return cli_usage_error("center", "--expires must be from 1m to 366d");
                db = open_db(cfg, o->state_dir);
                if (!db || cdb_acquire(db, &conn) < 0)
                        return EXIT_TROUBLE;
                r = enroll_token_create(conn, (unsigned)o->uses, ttl, o->note, "cli", now, &token,
                                        id);
                if (r < 0) {
                        log_error("cannot create the token: %s",
                                  r == -EINVAL ? "bad note" : cdb_errmsg(conn));
                        return EXIT_TROUBLE;
                }
                timeutil_format_iso(now + ttl, iso, sizeof(iso));
                if (o->json) {
                        json_t *j = json_pack("{s:s, s:s, s:I, s:s}", "id", id, "token", token,
                                              "uses", (json_int_t)o->uses, "expires_at", iso);
                        json_dumpf(j, stdout, JSON_COMPACT);
                        json_decref(j);
                        fputc('\n', stdout);
                } else {
                        printf("%s\n", token);
                        fprintf(stderr, "token %s: %llu enrollment%s until %s\n", id, o->uses,
                                o->uses == 1 ? "" : "s", iso);
                }
                return EXIT_CLEAN;
        }
        if (strcmp(sub, "list") == 0) {
                json_t *arr = NULL;
                size_t i;
                json_t *t;

                db = open_db(cfg, o->state_dir);
                if (!db || cdb_acquire(db, &conn) < 0)
                        return EXIT_TROUBLE;
                r = enroll_token_list(conn, now, &arr);
                if (r < 0) {
                        log_error("%s", cdb_errmsg(conn));
                        return EXIT_TROUBLE;
                }
                if (o->json) {
                        json_dumpf(arr, stdout, JSON_COMPACT);
                        fputc('\n', stdout);
                } else {
                        printf("%-16s  %-8s  %-9s  %-27s  %s\n", "ID", "STATE", "USES LEFT",
                               "EXPIRES", "NOTE");
                        json_array_foreach (arr, i, t) {
                                printf("%-16s  %-8s  %4lld/%-4lld  %-27s  ",
                                       json_string_value(json_object_get(t, "id")),
                                       json_string_value(json_object_get(t, "state")),
                                       (long long)json_integer_value(
                                               json_object_get(t, "uses_left")),
                                       (long long)json_integer_value(
                                               json_object_get(t, "uses_total")),
                                       json_string_value(json_object_get(t, "expires_at")));
                                text_put_escaped(stdout,
                                                 json_string_value(json_object_get(t, "note"))
                                                         ?: "");
                                fputc('\n', stdout);
                        }
                }
                json_decref(arr);
                return EXIT_CLEAN;
        }
        if (strcmp(sub, "revoke") == 0) {
                if (argc != 2)
                        return cli_usage_error("center", "token revoke needs one token id");
                db = open_db(cfg, o->state_dir);
                if (!db || cdb_acquire(db, &conn) < 0)
                        return EXIT_TROUBLE;
                r = enroll_token_revoke(conn, argv[1]);
                if (r == -ENOENT) {
                        log_error("no token with id '%s'", argv[1]);
                        return EXIT_TROUBLE;
                }
                if (r < 0) {
                        log_error("%s", cdb_errmsg(conn));
                        return EXIT_TROUBLE;
                }
                log_info("token %s revoked", argv[1]);
                return EXIT_CLEAN;
        }
        return cli_usage_error("center", "unknown token command '%s'", sub);
}

static int apikey_cmd(const center_config_t *cfg, const struct opts *o, int argc, char **argv)
{
        _cleanup_cdb_ cdb_t *db = NULL;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        const char *sub = argc > 0 ? argv[0] : NULL;
        int role, r;

        if (!sub)
                return cli_usage_error("center", "apikey needs create or revoke");
        if (strcmp(sub, "create") == 0) {
                _cleanup_free_ char *key = NULL;
                char id[17];

                if (auth_role_from_name(o->role ? o->role : "viewer", &role) < 0)
                        return cli_usage_error("center", "--role must be viewer or admin");
                db = open_db(cfg, o->state_dir);
                if (!db || cdb_acquire(db, &conn) < 0)
                        return EXIT_TROUBLE;
                r = auth_apikey_create(conn, o->name ? o->name : "cli", role, timeutil_now_us(),
                                       &key, id);
                if (r < 0) {
                        log_error("cannot create the key: %s",
                                  r == -EINVAL ? "bad name" : cdb_errmsg(conn));
                        return EXIT_TROUBLE;
                }
                if (o->json) {
                        json_t *j = json_pack("{s:s, s:s, s:s}", "id", id, "key", key, "role",
                                              auth_role_name(role));
                        json_dumpf(j, stdout, JSON_COMPACT);
                        json_decref(j);
                        fputc('\n', stdout);
                } else {
                        printf("%s\n", key);
                        fprintf(stderr, "API key %s (%s)\n", id, auth_role_name(role));
                }
                return EXIT_CLEAN;
        }
        if (strcmp(sub, "revoke") == 0) {
                if (argc != 2)
                        return cli_usage_error("center", "apikey revoke needs one key id");
                db = open_db(cfg, o->state_dir);
                if (!db || cdb_acquire(db, &conn) < 0)
                        return EXIT_TROUBLE;
                r = auth_apikey_revoke(conn, argv[1]);
                if (r < 0) {
                        log_error("%s", r == -ENOENT ? "no such key" : cdb_errmsg(conn));
                        return EXIT_TROUBLE;
                }
                return EXIT_CLEAN;
        }
        return cli_usage_error("center", "unknown apikey command '%s'", sub);
}

/* Read one line of standard input (the password), without its newline.
 * Returns 0, -EINVAL when there is none or it is too long. */
static int read_password(char *out, size_t size)
{
        size_t n;

        if (!fgets(out, (int)size, stdin))
                return -EINVAL;
        n = strlen(out);
        if (n > 0 && out[n - 1] == '\n')
                out[--n] = 0;
        else if (!feof(stdin))
                return -EINVAL; /* longer than the buffer */
        if (n > 0 && out[n - 1] == '\r')
                out[--n] = 0;
        return 0;
}

static int user_error(cdb_conn_t *conn, const char *what, const char *name, int r)
{
        if (r == -ENOENT)
                log_error("no user named '%s'", name);
        else if (r == -EEXIST)
                log_error("a user named '%s' exists already", name);
        else if (r == -EINVAL)
                log_error("%s: bad user name, role or password (names: letters, digits, '.', "
                          "'_', '@', '-'; passwords: %d to %d characters)",
                          what, USERS_PASSWORD_MIN, USERS_PASSWORD_MAX);
        else
                log_error("%s: %s", what,
                          r == -EIO || r == -EAGAIN ? cdb_errmsg(conn) : strerror(-r));
        return EXIT_TROUBLE;
}

static int user_cmd(const center_config_t *cfg, const struct opts *o, int argc, char **argv)
{
        _cleanup_cdb_ cdb_t *db = NULL;
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        const char *sub = argc > 0 ? argv[0] : NULL, *name = argc > 1 ? argv[1] : NULL;
        int64_t now = timeutil_now_us();
        int role = HTTP_AUTH_VIEWER, r;

        if (!sub)
                return cli_usage_error("center",
                                       "user needs add, passwd, role, totp, unlock, del or list");
        if (strcmp(sub, "list") == 0) {
                json_t *arr = NULL, *u;
                size_t i;

                if (argc != 1)
                        return cli_usage_error("center", "user list takes no arguments");
                db = open_db(cfg, o->state_dir);
                if (!db || cdb_acquire(db, &conn) < 0)
                        return EXIT_TROUBLE;
                r = users_list(conn, now, &arr);
                if (r < 0)
                        return user_error(conn, "user list", "", r);
                if (o->json) {
                        json_dumpf(arr, stdout, JSON_COMPACT);
                        fputc('\n', stdout);
                } else {
                        printf("%-24s  %-6s  %-4s  %-6s  %s\n", "NAME", "ROLE", "TOTP", "LOCKED",
                               "LAST LOGIN");
                        json_array_foreach (arr, i, u) {
                                const char *ll =
                                        json_string_value(json_object_get(u, "last_login"));
                                printf("%-24s  %-6s  %-4s  %-6s  %s\n",
                                       json_string_value(json_object_get(u, "name")),
                                       json_string_value(json_object_get(u, "role")),
                                       json_is_true(json_object_get(u, "totp")) ? "on" : "off",
                                       json_is_true(json_object_get(u, "locked")) ? "yes" : "no",
                                       ll ? ll : "never");
                        }
                }
                json_decref(arr);
                return EXIT_CLEAN;
        }
        if (argc != 2)
                return cli_usage_error("center", "user %s needs one user name", sub);
        if ((strcmp(sub, "add") == 0 || strcmp(sub, "role") == 0) &&
            auth_role_from_name(o->role ? o->role : "viewer", &role) < 0)
                return cli_usage_error("center", "--role must be viewer or admin");
        if (strcmp(sub, "role") == 0 && !o->role)
                return cli_usage_error("center", "user role needs --role");
        if (strcmp(sub, "add") == 0 || strcmp(sub, "passwd") == 0) {
                char pw[USERS_PASSWORD_MAX + 2];
                bool generated = !o->password_stdin;

                if (strcmp(sub, "add") == 0 && o->password_stdin)
                        return cli_usage_error("center", "user add always generates the password; "
                                                         "use user passwd --password-stdin after");
                if (!users_name_ok(name))
                        return cli_usage_error("center",
                                               "'%s' is not a user name (1 to %d letters, digits, "
                                               "'.', '_', '@', '-')",
                                               name, USERS_NAME_MAX);
                if (generated)
                        r = users_generate_password(pw);
                else if ((r = read_password(pw, sizeof(pw))) == 0 && users_password_ok(pw) < 0)
                        r = -EINVAL;
                if (r < 0) {
                        log_error("%s", generated ? "no randomness for a password"
                                                  : "the password must be one line of 12 to "
                                                    "1024 characters");
                        return EXIT_TROUBLE;
                }
                db = open_db(cfg, o->state_dir);
                if (!db || cdb_acquire(db, &conn) < 0)
                        return EXIT_TROUBLE;
                if (strcmp(sub, "add") == 0)
                        r = users_add(conn, name, role, pw, now, NULL);
                else
                        r = users_set_password(conn, name, pw, now);
                if (r < 0) {
                        explicit_bzero(pw, sizeof(pw));
                        return user_error(conn, sub, name, r);
                }
                if (generated)
                        printf("%s\n", pw);
                explicit_bzero(pw, sizeof(pw));
                if (strcmp(sub, "add") == 0)
                        fprintf(stderr, "user %s (%s) added; the password above is shown once\n",
                                name, auth_role_name(role));
                else
                        fprintf(stderr, "password of %s changed; their sessions have ended\n",
                                name);
                return EXIT_CLEAN;
        }
        db = open_db(cfg, o->state_dir);
        if (!db || cdb_acquire(db, &conn) < 0)
                return EXIT_TROUBLE;
        if (strcmp(sub, "role") == 0)
                r = users_set_role(conn, name, role);
        else if (strcmp(sub, "unlock") == 0)
                r = users_unlock(conn, name);
        else if (strcmp(sub, "del") == 0)
                r = users_delete(conn, name);
        else if (strcmp(sub, "totp") == 0) {
                char secret[USERS_TOTP_SECRET_LEN + 1];

                r = users_set_totp(conn, name, o->off ? NULL : secret);
                if (r == 0 && !o->off) {
                        /* The otpauth URI is what authenticator apps read
                         * from a QR code; the name is from users_name_ok's
                         * alphabet, so it needs no escaping. */
                        printf("%s\n", secret);
                        printf("otpauth://totp/vigil:%s?secret=%s&issuer=vigil&algorithm=SHA1"
                               "&digits=%d&period=%d\n",
                               name, secret, USERS_TOTP_DIGITS, USERS_TOTP_STEP_S);
                        explicit_bzero(secret, sizeof(secret));
                }
        } else
                return cli_usage_error("center", "unknown user command '%s'", sub);
        if (r < 0)
                return user_error(conn, sub, name, r);
        return EXIT_CLEAN;
}

int cmd_center(int argc, char **argv, cli_globals_t *g)
{
        enum {
                OPT_LISTEN = 0x2000,
                OPT_DB,
                OPT_USES,
                OPT_EXPIRES,
                OPT_NOTE,
                OPT_ROLE,
                OPT_NAME,
                OPT_JSON,
                OPT_READY,
                OPT_PASSWORD_STDIN,
                OPT_OFF,
        };
        static const struct option longopts[] = {
                CLI_GLOBAL_LONGOPTS,
                { "listen", required_argument, NULL, OPT_LISTEN },
                { "db", required_argument, NULL, OPT_DB },
                { "uses", required_argument, NULL, OPT_USES },
                { "expires", required_argument, NULL, OPT_EXPIRES },
                { "note", required_argument, NULL, OPT_NOTE },
                { "role", required_argument, NULL, OPT_ROLE },
                { "name", required_argument, NULL, OPT_NAME },
                { "json", no_argument, NULL, OPT_JSON },
                { "ready-file", required_argument, NULL, OPT_READY },
                { "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
                { "off", no_argument, NULL, OPT_OFF },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct opts o = { .uses = 1, .state_dir = g->state_dir };
        _cleanup_config_ config_t *config = NULL;
        _cleanup_free_ char *err = NULL;
        center_config_t cfg;
        const char *cmd = "serve";
        int opt, r, rest;

        opterr = 0;
        /* 0, not 1: glibc then starts afresh and permutes, so options may
         * follow the subcommand ("token create --uses 5"). */
        optind = 0;
        while ((opt = getopt_long(argc, argv, "vqh", longopts, NULL)) != -1) {
                if (cli_global_option(g, opt, optarg))
                        continue;
                switch (opt) {
                case OPT_LISTEN:
                        o.listen = optarg;
                        break;
                case OPT_DB:
                        o.db = optarg;
                        break;
                case OPT_USES:
                        if (str_to_u64(optarg, &o.uses) < 0)
                                return cli_usage_error("center", "--uses needs a number");
                        break;
                case OPT_EXPIRES:
                        o.expires = optarg;
                        break;
                case OPT_NOTE:
                        o.note = optarg;
                        break;
                case OPT_ROLE:
                        o.role = optarg;
                        break;
                case OPT_NAME:
                        o.name = optarg;
                        break;
                case OPT_JSON:
                        o.json = true;
                        break;
                case OPT_READY:
                        o.ready_file = optarg;
                        break;
                case OPT_PASSWORD_STDIN:
                        o.password_stdin = true;
                        break;
                case OPT_OFF:
                        o.off = true;
                        break;
                case 'h':
                        center_help(stdout);
                        return EXIT_CLEAN;
                default:
                        return cli_usage_error("center", "unknown or incomplete option '%s'",
                                               argv[optind - 1]);
                }
        }
        if (optind < argc)
                cmd = argv[optind++];
        rest = argc - optind;

        config = cli_load_config(g);
        if (!config)
                return EXIT_TROUBLE;
        r = center_config_load(config, g->state_dir, &cfg, &err);
        if (r < 0) {
                log_error("%s: %s", g->config_path, err ? err : strerror(-r));
                return EXIT_TROUBLE;
        }
        if (o.listen) {
                free(cfg.listen);
                cfg.listen = strdup(o.listen);
        }
        if (o.db) {
                free(cfg.db_url);
                cfg.db_url = strdup(o.db);
        }
        if (!cfg.listen || !cfg.db_url) {
                center_config_clear(&cfg);
                return EXIT_TROUBLE;
        }
        if (strcmp(cmd, "serve") == 0 && rest == 0)
                r = serve(&cfg, g->state_dir, o.ready_file);
        else if (strcmp(cmd, "migrate") == 0 && rest == 0) {
                cdb_t *db = open_db(&cfg, g->state_dir);
                r = db ? EXIT_CLEAN : EXIT_TROUBLE;
                cdb_close(db);
        } else if (strcmp(cmd, "token") == 0)
                r = token_cmd(&cfg, &o, rest, argv + optind);
        else if (strcmp(cmd, "apikey") == 0)
                r = apikey_cmd(&cfg, &o, rest, argv + optind);
        else if (strcmp(cmd, "user") == 0)
                r = user_cmd(&cfg, &o, rest, argv + optind);
        else
                r = cli_usage_error("center", "unknown command or extra argument: '%s'", cmd);
        center_config_clear(&cfg);
        return r;
}
