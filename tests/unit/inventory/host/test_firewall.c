/* Unit tests for inventory/host/firewall: the answer "does a new connection
 * from an arbitrary source reach port P?" for rulesets saved with the real
 * nft and iptables-save tools (tests/fixtures/exposure/firewall, made by
 * regen.sh there from the *.nft and *.rules sources), plus hand-made
 * malformed inputs. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "core/macro.h"
#include "core/text.h"
#include "inventory/host/firewall.h"

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP

static char *read_fixture(const char *name, size_t *ret_len)
{
        const char *dir = getenv("VIGIL_FIXTURES");
        char path[4096];
        FILE *f;
        char *data;
        long n;

        assert_non_null(dir);
        snprintf(path, sizeof(path), "%s/exposure/firewall/%s", dir, name);
        f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        data = malloc((size_t)n + 1);
        assert_non_null(data);
        assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
        data[n] = 0;
        fclose(f);
        *ret_len = (size_t)n;
        return data;
}

static fw_t *load_nft(const char *name)
{
        fw_t *fw = fw_new();
        size_t len;
        char *data = read_fixture(name, &len), *err = NULL;
        int r;

        assert_non_null(fw);
        r = fw_add_nft_json(fw, data, len, &err);
        if (r < 0)
                fail_msg("%s: %d %s", name, r, err ? err : "");
        free(data);
        return fw;
}

static void add_ipt(fw_t *fw, const char *name, int family)
{
        size_t len;
        char *data = read_fixture(name, &len), *err = NULL;
        int r = fw_add_iptables_save(fw, data, len, family, &err);

        if (r < 0)
                fail_msg("%s: %d %s", name, r, err ? err : "");
        free(data);
}

#define expect_state(fw, fam, proto, port, want)                                                   \
        assert_string_equal(fw_state_name(fw_port_state(fw, fam, proto, port)), want)

static void test_empty(void **state)
{
        fw_t *fw = load_nft("empty.json");
        (void)state;

        expect_state(fw, AF_INET, TCP, 22, "none");
        expect_state(fw, AF_UNSPEC, TCP, 22, "none");
        fw_free(fw);
        fw = fw_new();
        expect_state(fw, AF_INET6, UDP, 53, "none");
        fw_free(fw);
        /* No model at all: nothing is known. */
        expect_state(NULL, AF_INET, TCP, 22, "unknown");
}

static void test_default_accept(void **state)
{
        fw_t *fw = load_nft("default-accept.json");
        (void)state;

        expect_state(fw, AF_INET, TCP, 22, "unrestricted");
        expect_state(fw, AF_INET6, TCP, 22, "unrestricted");
        expect_state(fw, AF_INET, TCP, 23, "restricted");
        expect_state(fw, AF_UNSPEC, TCP, 23, "restricted");
        /* A UDP rule does not touch TCP of the same number. */
        expect_state(fw, AF_INET, UDP, 69, "restricted");
        expect_state(fw, AF_INET, TCP, 69, "unrestricted");
        fw_free(fw);
}

static void test_default_drop(void **state)
{
        fw_t *fw = load_nft("default-drop.json");
        (void)state;

        /* Accept limited to a prefix, and to a named set of addresses. */
        expect_state(fw, AF_INET, TCP, 22, "restricted");
        expect_state(fw, AF_UNSPEC, TCP, 22, "restricted");
        expect_state(fw, AF_INET, TCP, 6379, "restricted");
        /* An anonymous set of ports without a source limit. */
        expect_state(fw, AF_INET, TCP, 80, "unrestricted");
        expect_state(fw, AF_INET6, TCP, 443, "unrestricted");
        /* Nothing accepts 3306: the policy drops it. */
        expect_state(fw, AF_INET, TCP, 3306, "restricted");
        expect_state(fw, AF_INET6, UDP, 5353, "restricted");
        fw_free(fw);
}

static void test_open_ssh(void **state)
{
        fw_t *fw = load_nft("open-ssh.json");
        (void)state;

        expect_state(fw, AF_INET, TCP, 22, "unrestricted");
        expect_state(fw, AF_INET6, TCP, 22, "unrestricted");
        /* "ip saddr 0.0.0.0/0" is no restriction; it only matches IPv4. */
        expect_state(fw, AF_INET, TCP, 3389, "unrestricted");
        expect_state(fw, AF_INET6, TCP, 3389, "restricted");
        expect_state(fw, AF_UNSPEC, TCP, 3389, "unrestricted");
        expect_state(fw, AF_INET, TCP, 5900, "restricted");
        fw_free(fw);
}

static void test_ipv4_only(void **state)
{
        fw_t *fw = load_nft("ipv4-only.json");
        (void)state;

        expect_state(fw, AF_INET, TCP, 8080, "unrestricted");
        expect_state(fw, AF_INET, TCP, 22, "restricted");
        /* No IPv6 filtering at all. */
        expect_state(fw, AF_INET6, TCP, 22, "none");
        expect_state(fw, AF_UNSPEC, TCP, 22, "none");
        fw_free(fw);
}

static void test_mixed(void **state)
{
        fw_t *fw = load_nft("mixed.json");
        (void)state;

        expect_state(fw, AF_INET, TCP, 22, "restricted");     /* @admins */
        expect_state(fw, AF_INET, TCP, 3306, "restricted");   /* 10.0.0.0/8 only */
        expect_state(fw, AF_INET, TCP, 80, "unrestricted");   /* @webports */
        expect_state(fw, AF_INET, TCP, 8050, "unrestricted"); /* range in anonymous set */
        expect_state(fw, AF_INET, TCP, 9000, "unrestricted");
        expect_state(fw, AF_INET, TCP, 5432, "restricted");  /* saddr != 10/8 drop */
        expect_state(fw, AF_INET, TCP, 6379, "restricted");  /* vmap drop */
        expect_state(fw, AF_INET, TCP, 11211, "restricted"); /* vmap jump, return, policy */
        expect_state(fw, AF_INET6, TCP, 2222, "restricted"); /* ip6 saddr prefix */
        expect_state(fw, AF_INET, UDP, 53, "unrestricted");
        expect_state(fw, AF_INET, TCP, 53, "restricted");
        expect_state(fw, AF_INET, TCP, 7000, "unknown");      /* tcp flags */
        expect_state(fw, AF_INET, TCP, 8443, "unrestricted"); /* through jump */
        /* Second base chain in table ip t2 rejects 9999 for IPv4 only. */
        expect_state(fw, AF_INET, TCP, 9999, "restricted");
        fw_free(fw);
}

static void test_undecided(void **state)
{
        fw_t *fw = load_nft("undecided.json");
        (void)state;

        expect_state(fw, AF_INET, TCP, 22, "unknown");   /* daddr */
        expect_state(fw, AF_INET, TCP, 5432, "unknown"); /* iifname eth0 */
        /* Unknown match, but both ways end in a drop. */
        expect_state(fw, AF_INET, TCP, 6000, "restricted");
        /* Both gotos accept 9000; only the lan chain takes 9100. */
        expect_state(fw, AF_INET, TCP, 9000, "unrestricted");
        expect_state(fw, AF_INET, TCP, 9100, "unknown");
        expect_state(fw, AF_INET, TCP, 80, "restricted");
        fw_free(fw);
}

static void test_two_chains(void **state)
{
        fw_t *fw = load_nft("two-chains.json");
        (void)state;

        /* A drop in a prerouting filter chain counts; another base chain's
         * accept does not override it. */
        expect_state(fw, AF_INET, TCP, 2375, "restricted");
        expect_state(fw, AF_INET6, TCP, 2375, "unrestricted");
        expect_state(fw, AF_INET, TCP, 9200, "restricted");
        expect_state(fw, AF_INET, TCP, 80, "unrestricted");
        fw_free(fw);
}

static void test_iptables_nft_xt(void **state)
{
        fw_t *fw = load_nft("iptables-nft.json");
        size_t tables, rules, unknown;
        (void)state;

        assert_true(fw_nft_has_xt(fw, AF_INET));
        assert_false(fw_nft_has_xt(fw, AF_INET6));
        /* nft cannot show the conntrack and multiport matches: what comes
         * after them is undecided in this view, what comes before is not. */
        expect_state(fw, AF_INET, TCP, 80, "unknown");
        expect_state(fw, AF_INET, TCP, 22, "unknown");
        expect_state(fw, AF_INET6, TCP, 22, "none");
        /* Replaced by the iptables-save view, 80 is decided. */
        fw_drop_nft_table(fw, AF_INET, "filter");
        fw_counts(fw, &tables, &rules, &unknown);
        assert_int_equal(tables, 0);
        add_ipt(fw, "iptables.save", AF_INET);
        expect_state(fw, AF_INET, TCP, 80, "unrestricted");
        expect_state(fw, AF_INET, TCP, 22, "restricted");
        fw_free(fw);
}

static void test_iptables_save(void **state)
{
        fw_t *fw = fw_new();
        size_t tables, rules, unknown;
        (void)state;

        add_ipt(fw, "iptables.save", AF_INET);
        expect_state(fw, AF_INET, TCP, 22, "restricted");
        expect_state(fw, AF_INET, TCP, 443, "unrestricted");
        expect_state(fw, AF_INET, TCP, 8050, "unrestricted"); /* multiport range */
        expect_state(fw, AF_INET, TCP, 5432, "restricted");
        expect_state(fw, AF_INET, TCP, 2200, "unrestricted"); /* --state NEW */
        expect_state(fw, AF_INET, TCP, 3306, "restricted");   /* user chain, RETURN */
        expect_state(fw, AF_INET, UDP, 53, "unrestricted");
        expect_state(fw, AF_INET, TCP, 6379, "restricted"); /* LOG goes on to the policy */
        expect_state(fw, AF_INET6, TCP, 22, "none");
        add_ipt(fw, "ip6tables.save", AF_INET6);
        expect_state(fw, AF_INET6, TCP, 22, "restricted");
        expect_state(fw, AF_INET6, TCP, 80, "unrestricted");
        expect_state(fw, AF_INET6, TCP, 25, "unknown"); /* -m recent */
        fw_counts(fw, &tables, &rules, &unknown);
        assert_int_equal(tables, 2);
        assert_int_equal(rules, 14);
        assert_int_equal(unknown, 1);
        fw_free(fw);
}

static void test_iptables_handmade(void **state)
{
        static const char text[] =
                "# comment\n"
                "*nat\n"
                ":PREROUTING ACCEPT [0:0]\n"
                "-A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.0.1\n"
                "COMMIT\n"
                "*filter\n"
                ":INPUT DROP [0:0]\n"
                "-A INPUT -p tcp -m tcp --dport 21 -m comment --comment \"unterminated -j ACCEPT\n"
                "-A INPUT -p tcp --dport 10000:10010 -s 0.0.0.0/0 -j ACCEPT\n"
                "-A INPUT -p tcp ! --dport 1:1000 -j ACCEPT\n"
                "-A INPUT -p tcp -m set --match-set admins src -j ACCEPT\n"
                "-A INPUT -p tcp --dport 23 -g NOWHERE\n"
                "COMMIT\n";
        fw_t *fw = fw_new();
        char *err = NULL;
        (void)state;

        assert_int_equal(fw_add_iptables_save(fw, text, strlen(text), AF_INET, &err), 0);
        /* The unterminated quote makes that rule unknown, for port 21 and
         * every other port before the later rules. */
        expect_state(fw, AF_INET, TCP, 21, "unknown");
        expect_state(fw, AF_INET, TCP, 10005, "unknown");
        fw_free(fw);

        /* Without the broken line the rest is decided. */
        {
                static const char ok[] =
                        "*filter\n"
                        ":INPUT DROP [0:0]\n"
                        "-A INPUT -p tcp --dport 10000:10010 -s 0.0.0.0/0 -j ACCEPT\n"
                        "-A INPUT -p tcp ! --dport 1:1000 -j ACCEPT\n"
                        "-A INPUT -p tcp -m set --match-set admins src -j ACCEPT\n"
                        "-A INPUT -p tcp --dport 23 -g NOWHERE\n"
                        "COMMIT\n";
                fw = fw_new();
                assert_int_equal(fw_add_iptables_save(fw, ok, strlen(ok), AF_INET, &err), 0);
                expect_state(fw, AF_INET, TCP, 10005, "unrestricted");
                expect_state(fw, AF_INET, TCP, 2000, "unrestricted");
                expect_state(fw, AF_INET, TCP, 22, "restricted");
                /* A goto to a chain that does not exist: unknown. */
                expect_state(fw, AF_INET, TCP, 23, "unknown");
                fw_free(fw);
        }
}

static void test_bad_input(void **state)
{
        static const char *const bad_json[] = {
                "", "{", "[]", "{\"nftables\": 3}", "{\"a\":1,\"a\":2}", "null",
        };
        fw_t *fw = fw_new();
        char *err;
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(bad_json); i++) {
                err = NULL;
                assert_int_equal(fw_add_nft_json(fw, bad_json[i], strlen(bad_json[i]), &err),
                                 -EINVAL);
                assert_non_null(err);
                free(err);
        }
        /* Shapes that are JSON but nonsense are ignored, never fatal. */
        {
                static const char odd[] =
                        "{\"nftables\": [1, \"x\", {\"table\": 5}, {\"chain\": {\"family\": "
                        "\"inet\", \"table\": \"t\", \"name\": \"c\", \"type\": \"filter\", "
                        "\"hook\": \"input\", \"policy\": \"drop\"}}, {\"rule\": {\"family\": "
                        "\"inet\", \"table\": \"t\", \"chain\": \"c\", \"expr\": 7}}, "
                        "{\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"c\", "
                        "\"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": "
                        "{\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": "
                        "\"@missing\"}}, {\"accept\": null}]}}]}";
                assert_int_equal(fw_add_nft_json(fw, odd, strlen(odd), NULL), 0);
                /* The expr-less rule may do anything. */
                expect_state(fw, AF_INET, TCP, 22, "unknown");
        }
        fw_free(fw);

        fw = fw_new();
        err = NULL;
        assert_int_equal(fw_add_iptables_save(fw, "hello\n", 6, AF_INET, &err), -EINVAL);
        assert_non_null(err);
        free(err);
        assert_int_equal(fw_add_iptables_save(fw, "*filter\0x", 9, AF_INET, NULL), -EINVAL);
        assert_int_equal(fw_add_iptables_save(fw, "", 0, AF_INET, NULL), 0);
        expect_state(fw, AF_INET, TCP, 22, "none");
        fw_free(fw);
}

/* A jump loop must end (depth cap) and answer unknown. */
static void test_jump_loop(void **state)
{
        static const char loop[] =
                "{\"nftables\": [{\"table\": {\"family\": \"ip\", \"name\": \"t\"}},"
                "{\"chain\": {\"family\": \"ip\", \"table\": \"t\", \"name\": \"in\", \"type\": "
                "\"filter\", \"hook\": \"input\", \"policy\": \"accept\"}},"
                "{\"chain\": {\"family\": \"ip\", \"table\": \"t\", \"name\": \"a\"}},"
                "{\"rule\": {\"family\": \"ip\", \"table\": \"t\", \"chain\": \"in\", \"expr\": "
                "[{\"jump\": {\"target\": \"a\"}}]}},"
                "{\"rule\": {\"family\": \"ip\", \"table\": \"t\", \"chain\": \"a\", \"expr\": "
                "[{\"jump\": {\"target\": \"a\"}}]}}]}";
        fw_t *fw = fw_new();
        (void)state;

        assert_int_equal(fw_add_nft_json(fw, loop, strlen(loop), NULL), 0);
        expect_state(fw, AF_INET, TCP, 22, "unknown");
        fw_free(fw);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_default_accept),
                cmocka_unit_test(test_default_drop),
                cmocka_unit_test(test_open_ssh),
                cmocka_unit_test(test_ipv4_only),
                cmocka_unit_test(test_mixed),
                cmocka_unit_test(test_undecided),
                cmocka_unit_test(test_two_chains),
                cmocka_unit_test(test_iptables_nft_xt),
                cmocka_unit_test(test_iptables_save),
                cmocka_unit_test(test_iptables_handmade),
                cmocka_unit_test(test_bad_input),
                cmocka_unit_test(test_jump_loop),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
