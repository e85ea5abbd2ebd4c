/* Unit tests for detect/netattack/block without touching any firewall: nft
 * is replaced by a small shell script that logs its arguments and answers
 * listings from a file, so the exact commands, the idempotency rules, the
 * refusals, dry-run and failures can be checked as any user. The real nft
 * in a network namespace is the integration test's job
 * (tests/integration/netattack/test-block.sh). Also: the listing parser on
 * real `nft -j` output and the response.block configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detect/netattack/block.h"
#include "detect/netattack/hostaddr.h"

#define ENSURE                                                                                     \
        "add table inet vigil; add set inet vigil blocked4 { type ipv4_addr; flags timeout; }; "   \
        "add set inet vigil blocked6 { type ipv6_addr; flags timeout; }; add chain inet vigil "    \
        "input { type filter hook input priority -10; policy accept; }; flush chain inet vigil "   \
        "input; add rule inet vigil input ip saddr @blocked4 drop; add rule inet vigil input ip6 " \
        "saddr @blocked6 drop"

typedef struct fake {
        char dir[64];
        char nft[128];   /* the fake program */
        char log[128];   /* one line per run: its arguments */
        char state[128]; /* when present: what "nft -j list table" prints */
        char fail[128];  /* when present: scripts exit 1 */
} fake_t;

static fake_t fake;

static char *slurp(const char *path, size_t *ret_len)
{
        FILE *f = fopen(path, "rb");
        char *data;
        long n;

        if (!f)
                return NULL;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        data = malloc((size_t)n + 1);
        assert_non_null(data);
        assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
        data[n] = 0;
        fclose(f);
        if (ret_len)
                *ret_len = (size_t)n;
        return data;
}

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static int setup(void **state)
{
        FILE *f;
        (void)state;

        snprintf(fake.dir, sizeof(fake.dir), "/tmp/vigil-block-XXXXXX");
        assert_non_null(mkdtemp(fake.dir));
        snprintf(fake.nft, sizeof(fake.nft), "%s/nft", fake.dir);
        snprintf(fake.log, sizeof(fake.log), "%s/log", fake.dir);
        snprintf(fake.state, sizeof(fake.state), "%s/state", fake.dir);
        snprintf(fake.fail, sizeof(fake.fail), "%s/fail", fake.dir);
        f = fopen(fake.nft, "w");
        assert_non_null(f);
        /* cmdrun gives the program a fixed environment, so the paths are
         * written into the script. */
        fprintf(f,
                "#!/bin/sh\n"
                "printf '%%s\\n' \"$*\" >> '%s'\n"
                "case \"$1 $2 $3\" in\n"
                "'-j list table') [ -f '%s' ] || exit 1; cat '%s'; exit 0 ;;\n"
                "'-j list tables') printf '{\"nftables\": [{\"metainfo\": {}}]}'; exit 0 ;;\n"
                "esac\n"
                "[ -f '%s' ] && exit 1\n"
                "exit 0\n",
                fake.log, fake.state, fake.state, fake.fail);
        fclose(f);
        assert_int_equal(chmod(fake.nft, 0755), 0);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        unlink(fake.nft);
        unlink(fake.log);
        unlink(fake.state);
        unlink(fake.fail);
        rmdir(fake.dir);
        return 0;
}

static void reset_fake(void)
{
        unlink(fake.log);
        unlink(fake.state);
        unlink(fake.fail);
}

static char *log_text(void)
{
        char *s = slurp(fake.log, NULL);
        return s ? s : strdup("");
}

static blocker_t *make(bool enabled, bool dry_run, const ipnet_t *allow, size_t n_allow)
{
        const char *fixtures = getenv("VIGIL_FIXTURES");
        static char proc[1024];
        block_opts_t o;
        blocker_t *b;

        assert_non_null(fixtures);
        /* The "idle" copy has a default route via 10.99.0.1. */
        snprintf(proc, sizeof(proc), "%s/netattack/proc/idle", fixtures);
        block_opts_default(&o);
        o.enabled = enabled;
        o.dry_run = dry_run;
        o.allow = allow;
        o.n_allow = n_allow;
        o.nft_path = fake.nft;
        o.proc_dir = proc;
        assert_int_equal(block_new(&o, &b), 0);
        return b;
}

static ipaddr_t ip(const char *s)
{
        ipaddr_t a;
        assert_int_equal(ipaddr_parse(s, &a), 0);
        return a;
}

static void test_disabled(void **state)
{
        blocker_t *b;
        ipaddr_t a = ip("203.0.113.9");
        char *cmd = NULL;
        block_entry_t *v = NULL;
        size_t n = 99;
        (void)state;

        reset_fake();
        b = make(false, false, NULL, 0);
        assert_false(block_enabled(b));
        assert_int_equal(block_ip(b, &a, 60, "x", &cmd), -EOPNOTSUPP);
        assert_null(cmd);
        /* Listing still works; no table is an empty list. */
        assert_int_equal(block_list(b, &v, &n), 0);
        assert_int_equal(n, 0);
        assert_null(v);
        block_free(b);
}

static void test_block_command(void **state)
{
        blocker_t *b;
        ipaddr_t a = ip("203.0.113.9"), a6 = ip("2001:db8::66");
        char *cmd = NULL, *log, want[4096];
        (void)state;

        reset_fake();
        b = make(true, false, NULL, 0);
        assert_int_equal(block_ip(b, &a, 5, "ssh.brute_force", &cmd), 0);
        snprintf(want, sizeof(want),
                 "%s '" ENSURE "; add element inet vigil blocked4 { 203.0.113.9 timeout 5s comment "
                 "\"ssh.brute_force\" }; delete element inet vigil blocked4 { 203.0.113.9 }; add "
                 "element inet vigil blocked4 { 203.0.113.9 timeout 5s comment "
                 "\"ssh.brute_force\" }'",
                 fake.nft);
        assert_string_equal(cmd, want);
        free(cmd);
        /* It ran: a listing first, then the script as one argument. */
        log = log_text();
        assert_non_null(strstr(log, "-j list table inet vigil\n"));
        assert_non_null(strstr(log, "add element inet vigil blocked4 { 203.0.113.9 timeout 5s"));
        free(log);

        /* IPv6 goes to blocked6; 0 seconds means the configured 1 h; no
         * reason, no comment. */
        assert_int_equal(block_ip(b, &a6, 0, NULL, &cmd), 0);
        assert_non_null(strstr(cmd,
                               "add element inet vigil blocked6 { 2001:db8::66 timeout "
                               "3600s }; delete element inet vigil blocked6 { 2001:db8::66 }"));
        free(cmd);
        block_free(b);
}

static void test_idempotent(void **state)
{
        const char *fixtures = getenv("VIGIL_FIXTURES");
        char path[1024], *json, *cmd = (char *)"unset", *log;
        ipaddr_t a = ip("203.0.113.9"), b7 = ip("198.51.100.7");
        blocker_t *b;
        (void)state;

        reset_fake();
        snprintf(path, sizeof(path), "%s/netattack/nft/list-table.json", fixtures);
        json = slurp(path, NULL);
        assert_non_null(json);
        write_file(fake.state, json);
        free(json);
        b = make(true, false, NULL, 0);

        /* 203.0.113.9 has 3599 s left: a block of 600 s changes nothing. */
        assert_int_equal(block_ip(b, &a, 600, "again", &cmd), 0);
        assert_null(cmd);
        log = log_text();
        assert_null(strstr(log, "add element"));
        free(log);
        /* 198.51.100.7 has 299 s left: a block of 600 s is renewed. */
        assert_int_equal(block_ip(b, &b7, 600, "again", &cmd), 0);
        assert_non_null(cmd);
        free(cmd);
        log = log_text();
        assert_non_null(strstr(log, "blocked4 { 198.51.100.7 timeout 600s comment \"again\" }"));
        free(log);
        block_free(b);
}

static void test_refusals(void **state)
{
        _cleanup_(hostaddr_list_clear) hostaddr_list_t own = { 0 };
        static const struct {
                const char *addr;
                const char *why;
        } cases[] = {
                { "127.0.0.1", "a loopback address" },
                { "127.5.6.7", "a loopback address" },
                { "::1", "a loopback address" },
                { "0.0.0.0", "an unspecified address" },
                { "::", "an unspecified address" },
                { "224.0.0.1", "a multicast address" },
                { "ff02::1", "a multicast address" },
                { "255.255.255.255", "a reserved or broadcast address" },
                { "192.0.2.44", "in response.block.allowlist" },
                { "2001:db8:aa::5", "in response.block.allowlist" },
                { "10.99.0.1", "a default gateway of this host" },
        };
        ipnet_t allow[2];
        blocker_t *b;
        const char *why;
        char *cmd = NULL, *log;
        (void)state;

        reset_fake();
        assert_int_equal(ipnet_parse("192.0.2.0/24", &allow[0]), 0);
        assert_int_equal(ipnet_parse("2001:db8:aa::/48", &allow[1]), 0);
        b = make(true, false, allow, 2);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                ipaddr_t a = ip(cases[i].addr);

                why = NULL;
                assert_int_equal(block_check(b, &a, &why), -EPERM);
                assert_string_equal(why, cases[i].why);
                assert_int_equal(block_ip(b, &a, 60, "x", &cmd), -EPERM);
                assert_null(cmd);
        }
        /* The host's own addresses. */
        assert_int_equal(hostaddr_local(&own), 0);
        for (size_t i = 0; i < own.n; i++) {
                why = NULL;
                assert_int_equal(block_check(b, &own.v[i], &why), -EPERM);
        }
        /* Nothing ran. */
        log = log_text();
        assert_string_equal(log, "");
        free(log);
        /* A neighbour of the allowlisted network may be blocked. */
        {
                ipaddr_t a = ip("192.0.3.44");
                assert_int_equal(block_check(b, &a, &why), 0);
        }
        block_free(b);
}

static void test_limits(void **state)
{
        blocker_t *b;
        ipaddr_t a = ip("203.0.113.9");
        char *cmd = NULL, long_reason[BLOCK_REASON_MAX + 2];
        block_opts_t o;
        (void)state;

        reset_fake();
        b = make(true, false, NULL, 0);
        assert_int_equal(block_ip(b, &a, BLOCK_MAX_DURATION + 1, "x", &cmd), -ERANGE);
        assert_int_equal(block_ip(b, &a, BLOCK_MAX_DURATION, "x", &cmd), 0);
        assert_non_null(strstr(cmd, "timeout 43200s"));
        free(cmd);
        memset(long_reason, 'a', sizeof(long_reason) - 1);
        long_reason[sizeof(long_reason) - 1] = 0;
        assert_int_equal(block_ip(b, &a, 60, long_reason, &cmd), -EINVAL);
        /* Characters that could end the comment or the command are
         * replaced. */
        assert_int_equal(block_ip(b, &a, 60, "ssh \"x\"; drop\n'$(id)'", &cmd), 0);
        assert_non_null(strstr(cmd, "comment \"ssh _x__ drop____id__\""));
        free(cmd);
        block_free(b);

        block_opts_default(&o);
        o.duration_s = 0;
        assert_int_equal(block_new(&o, &b), -EINVAL);
        block_opts_default(&o);
        o.max_duration_s = BLOCK_MAX_DURATION + 1;
        assert_int_equal(block_new(&o, &b), -EINVAL);
        block_opts_default(&o);
        o.duration_s = 100;
        o.max_duration_s = 50;
        assert_int_equal(block_new(&o, &b), -EINVAL);
        block_opts_default(&o);
        o.nft_path = "nft";
        assert_int_equal(block_new(&o, &b), -EINVAL);
        block_free(NULL);
}

static void test_dry_run(void **state)
{
        blocker_t *b;
        ipaddr_t a = ip("203.0.113.9");
        char *cmd = NULL, *log;
        (void)state;

        reset_fake();
        b = make(true, true, NULL, 0);
        assert_true(block_dry_run(b));
        assert_int_equal(block_ip(b, &a, 120, "ssh.brute_force", &cmd), 0);
        assert_non_null(strstr(cmd, "blocked4 { 203.0.113.9 timeout 120s comment"));
        free(cmd);
        assert_int_equal(block_teardown(b, &cmd), 0);
        assert_non_null(strstr(cmd, "'add table inet vigil; delete table inet vigil'"));
        free(cmd);
        /* Only listings ran. */
        log = log_text();
        assert_null(strstr(log, "add "));
        assert_null(strstr(log, "delete "));
        free(log);
        block_free(b);
}

static void test_remove_and_teardown(void **state)
{
        const char *fixtures = getenv("VIGIL_FIXTURES");
        char path[1024], *json, *cmd = (char *)"unset", *log;
        ipaddr_t a = ip("203.0.113.9"), other = ip("203.0.113.10");
        blocker_t *b;
        (void)state;

        reset_fake();
        b = make(false, false, NULL, 0);
        /* No table: nothing to remove, nothing run. */
        assert_int_equal(block_remove(b, &a, &cmd), 0);
        assert_null(cmd);

        snprintf(path, sizeof(path), "%s/netattack/nft/list-table.json", fixtures);
        json = slurp(path, NULL);
        write_file(fake.state, json);
        free(json);
        cmd = (char *)"unset";
        assert_int_equal(block_remove(b, &other, &cmd), 0);
        assert_null(cmd);
        assert_int_equal(block_remove(b, &a, &cmd), 0);
        assert_non_null(strstr(cmd, "add element inet vigil blocked4 { 203.0.113.9 timeout 1s }; "
                                    "delete element inet vigil blocked4 { 203.0.113.9 }'"));
        free(cmd);
        assert_int_equal(block_teardown(b, &cmd), 0);
        free(cmd);
        log = log_text();
        assert_non_null(strstr(log, "delete element inet vigil blocked4 { 203.0.113.9 }"));
        assert_non_null(strstr(log, "add table inet vigil; delete table inet vigil\n"));
        free(log);
        block_free(b);
}

static void test_nft_fails(void **state)
{
        blocker_t *b;
        ipaddr_t a = ip("203.0.113.9");
        char *cmd = NULL;
        block_entry_t *v;
        size_t n;
        (void)state;

        reset_fake();
        write_file(fake.fail, "");
        b = make(true, false, NULL, 0);
        assert_int_equal(block_ip(b, &a, 60, "x", &cmd), -EIO);
        assert_null(cmd);
        block_free(b);

        /* A listing that is not JSON. */
        write_file(fake.state, "Error: no such table\n");
        b = make(true, false, NULL, 0);
        assert_int_equal(block_list(b, &v, &n), -EBADMSG);
        block_free(b);
}

static void test_parse_list(void **state)
{
        const char *fixtures = getenv("VIGIL_FIXTURES");
        char path[1024], *json, *err = NULL, s[IPADDR_STR_MAX];
        block_entry_t *v = NULL;
        size_t n = 0, len;
        (void)state;

        snprintf(path, sizeof(path), "%s/netattack/nft/list-table.json", fixtures);
        json = slurp(path, &len);
        assert_non_null(json);
        assert_int_equal(block_parse_list(json, len, &v, &n, &err), 0);
        free(json);
        assert_int_equal(n, 3);
        assert_string_equal(ipaddr_format(&v[0].addr, s), "198.51.100.7");
        assert_int_equal(v[0].timeout_s, 300);
        assert_int_equal(v[0].expires_s, 299);
        assert_string_equal(v[0].comment, "");
        assert_string_equal(ipaddr_format(&v[1].addr, s), "203.0.113.9");
        assert_string_equal(v[1].comment, "ssh.brute_force");
        assert_string_equal(ipaddr_format(&v[2].addr, s), "2001:db8::66");
        assert_int_equal(v[2].timeout_s, 43200);
        free(v);

        /* Plain string elements, elements of another shape, other tables,
         * an IPv6 value in the IPv4 set. */
        {
                static const char doc[] =
                        "{\"nftables\": [{\"set\": {\"family\": \"inet\", \"table\": \"vigil\", "
                        "\"name\": \"blocked4\", \"elem\": [\"192.0.2.1\", {\"prefix\": "
                        "{\"addr\": \"10.0.0.0\", \"len\": 8}}, \"2001:db8::1\", 7, null]}}, "
                        "{\"set\": {\"family\": \"ip\", \"table\": \"vigil\", \"name\": "
                        "\"blocked4\", \"elem\": [\"192.0.2.2\"]}}]}";
                assert_int_equal(block_parse_list(doc, sizeof(doc) - 1, &v, &n, NULL), 0);
                assert_int_equal(n, 1);
                assert_string_equal(ipaddr_format(&v[0].addr, s), "192.0.2.1");
                assert_int_equal(v[0].timeout_s, 0);
                free(v);
        }
        assert_int_equal(block_parse_list("[]", 2, &v, &n, &err), -EBADMSG);
        assert_non_null(err);
        free(err);
        err = NULL;
        assert_int_equal(block_parse_list("{\"nftables\"", 11, &v, &n, &err), -EBADMSG);
        assert_non_null(strstr(err, "nft output"));
        free(err);
        assert_int_equal(block_parse_list("{\"nftables\": []}", 16, &v, &n, NULL), 0);
        assert_int_equal(n, 0);
        assert_null(v);
}

static config_t *config_from(const char *yaml)
{
        char path[] = "/tmp/vigil-blockcfg-XXXXXX";
        int fd = mkstemp(path);
        config_t *c = NULL;
        char *err = NULL;

        assert_true(fd >= 0);
        assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
        close(fd);
        assert_int_equal(config_load(path, true, &c, &err), 0);
        unlink(path);
        return c;
}

static void test_config(void **state)
{
        block_config_t bc;
        config_t *c;
        char *err = NULL;
        (void)state;

        c = config_new_empty();
        assert_int_equal(block_config_load(c, &bc, &err), 0);
        assert_false(bc.opts.enabled);
        assert_false(bc.opts.dry_run);
        assert_int_equal(bc.opts.duration_s, 3600);
        assert_int_equal(bc.opts.max_duration_s, 43200);
        assert_int_equal(bc.n_allow, 0);
        block_config_clear(&bc);
        config_free(c);

        c = config_from("response:\n  block:\n    enabled: true\n    dry_run: true\n"
                        "    duration: 2h\n    max_duration: 6h\n"
                        "    allowlist: [198.51.100.0/24, '2001:db8::/32', 192.0.2.1]\n");
        assert_int_equal(block_config_load(c, &bc, &err), 0);
        assert_true(bc.opts.enabled);
        assert_true(bc.opts.dry_run);
        assert_int_equal(bc.opts.duration_s, 7200);
        assert_int_equal(bc.opts.max_duration_s, 21600);
        assert_int_equal(bc.n_allow, 3);
        assert_ptr_equal(bc.opts.allow, bc.allow);
        block_config_clear(&bc);
        config_free(c);

        /* The one-step form. */
        {
                blocker_t *b = NULL;
                c = config_from("response:\n  block:\n    enabled: true\n    dry_run: true\n");
                assert_int_equal(block_new_from_config(c, &b, &err), 0);
                assert_true(block_enabled(b));
                assert_true(block_dry_run(b));
                block_free(b);
                config_free(c);
        }

        c = config_from("response:\n  block:\n    duration: 13h\n");
        assert_int_equal(block_config_load(c, &bc, &err), -EINVAL);
        assert_non_null(strstr(err, "response.block.duration"));
        free(err);
        config_free(c);

        c = config_from("response:\n  block:\n    max_duration: 1d\n");
        assert_int_equal(block_config_load(c, &bc, &err), -EINVAL);
        assert_non_null(strstr(err, "response.block.max_duration"));
        free(err);
        config_free(c);

        c = config_from("response:\n  block:\n    enabled: yes please\n");
        assert_int_equal(block_config_load(c, &bc, &err), -EINVAL);
        assert_non_null(strstr(err, "response.block.enabled"));
        free(err);
        config_free(c);

        c = config_from("response:\n  block:\n    allowlist: [10.0.0.0/33]\n");
        assert_int_equal(block_config_load(c, &bc, &err), -EINVAL);
        assert_non_null(strstr(err, "10.0.0.0/33"));
        free(err);
        config_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_disabled),
                cmocka_unit_test(test_block_command),
                cmocka_unit_test(test_idempotent),
                cmocka_unit_test(test_refusals),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_dry_run),
                cmocka_unit_test(test_remove_and_teardown),
                cmocka_unit_test(test_nft_fails),
                cmocka_unit_test(test_parse_list),
                cmocka_unit_test(test_config),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
