/* Fuzz the login detectors' state machine: the input is a stream of
 * 8-byte records, each one event (kind, service, method, a user and a
 * source from small pools or from the input, a port, a time step that may
 * go backwards). Small table caps and thresholds make evictions, episodes,
 * spraying windows, held publickey failures and the baseline all run. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alert.h"
#include "core/config.h"
#include "detect/login/detectors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int drop(alert_t *a, void *userdata)
{
        (*(unsigned *)userdata)++;
        alert_free(a);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const services[] = { "sshd", "vsftpd", "mysql", "postgres", "su" };
        static const char *const methods[] = { "password", "publickey", "none", "",
                                               "keyboard-interactive/pam" };
        static const char *const srcs[] = { "45.33.32.156", "45.33.32.157", "2a02:ff00::1",
                                            "127.0.0.1",    "host.example", "" };
        static const char *const users[] = { "root", "alice", "x from 6.6.6.6 port 22", "" };
        config_t *c;
        json_error_t jerr;
        login_detectors_t *d = NULL;
        login_detectors_opts_t o = { 0 };
        unsigned alerts = 0;
        int64_t t = 1795687200LL * 1000000;

        c = config_new_empty();
        if (!c)
                return 0;
        json_decref(c->root);
        c->root = json_loads(
                "{\"login\": {\"bruteforce\": {\"failures\": 3, \"window\": 60,"
                " \"cooldown\": 120, \"followup_factor\": 2,"
                " \"publickey_grace\": 5},"
                " \"spray\": {\"accounts\": 3, \"sources\": 3, \"window\": 60},"
                " \"learning_period\": 30, \"usual_after\": 2, \"judge_private\": true,"
                " \"abnormal\": {\"cooldown\": 10},"
                " \"approved\": {\"times\": \"mon-fri 08:00-18:00\","
                " \"utc_offset\": \"UTC\"},"
                " \"limits\": {\"sources\": 16, \"accounts\": 16, \"connections\": 16}}}",
                0, &jerr);
        o.config = c;
        o.host = "fuzz";
        o.on_alert = drop;
        o.userdata = &alerts;
        if (!c->root || login_detectors_new(&o, &d, NULL) < 0) {
                config_free(c);
                return 0;
        }
        for (size_t i = 0; i + 8 <= size; i += 8) {
                const uint8_t *r = data + i;
                logevent_t e;

                memset(&e, 0, sizeof(e));
                e.kind = (logevent_kind_t)(r[0] % LOGEVENT_KIND__MAX);
                snprintf(e.service, sizeof(e.service), "%s", services[r[1] % 5]);
                snprintf(e.method, sizeof(e.method), "%s", methods[r[2] % 5]);
                if (r[3] & 0x80)
                        snprintf(e.user, sizeof(e.user), "u%u", r[3] & 0x7f);
                else
                        snprintf(e.user, sizeof(e.user), "%s", users[r[3] % 4]);
                if (r[4] & 0x80) {
                        snprintf(e.src, sizeof(e.src), "81.2.%u.%u", r[4] & 0x7f, r[5]);
                } else
                        snprintf(e.src, sizeof(e.src), "%s", srcs[r[4] % 6]);
                if (e.src[0] && ipaddr_parse(e.src, &e.src_ip) == 0)
                        e.has_ip = true;
                e.port = (uint16_t)(r[5] % 4 ? 40000 + r[5] : 0);
                e.pid = r[6] % 3 ? r[6] : 0;
                /* Mostly forward, sometimes back, sometimes no time. */
                t += ((int64_t)(int8_t)r[7]) * 1000000;
                e.time_us = r[7] == 0x80 ? 0 : t;
                e.file = "fuzz.log";
                e.line = i / 8 + 1;
                if (login_detectors_feed(d, &e) < 0)
                        break;
                if (r[0] == 0xff)
                        (void)login_detectors_tick(d, t);
        }
        (void)login_detectors_flush(d);
        login_detectors_free(d);
        config_free(c);
        return 0;
}
