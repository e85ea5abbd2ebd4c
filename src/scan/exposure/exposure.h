/* The exposure scanner (category "exposure"): listening services that can
 * be reached without authentication or without restriction.
 *
 * It reads the host's listening sockets and their processes, asks the host
 * firewall whether each port can be reached from an arbitrary source, probes
 * well-known services over the host's own addresses with read-only questions
 * (probes.h), and reports:
 *   - a service that answers without authentication: Redis, the Docker
 *     Engine API, MySQL/MariaDB root with an empty password (high);
 *     Memcached, Elasticsearch, MongoDB (high when reachable from the
 *     network, low when only from the host itself or allowed sources);
 *   - a web server that speaks plain HTTP beyond loopback while the host
 *     serves no HTTPS (medium);
 *   - SSH or RDP listening beyond loopback with no firewall restriction
 *     (medium), and other risky ports the same way (medium or low);
 *   - services a server rarely needs listening beyond loopback (low).
 * docs/exposure.md has the exact rules, the probe safety rules and the
 * configuration keys. A --root scan has no live sockets: it only adds a note.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/scanctx.h"
#include "inventory/host/firewall.h"
#include "inventory/host/sockets.h"

/* Services the scanner can probe. */
typedef enum exposure_service {
        EXPO_SVC_REDIS,
        EXPO_SVC_MYSQL,
        EXPO_SVC_DOCKER,
        EXPO_SVC_MEMCACHED,
        EXPO_SVC_ELASTICSEARCH,
        EXPO_SVC_MONGODB,
        EXPO_SVC_HTTP, /* web servers: TLS first, then plain HTTP */
        EXPO_SVC__MAX,
} exposure_service_t;

/* Caps on configuration lists. */
#define EXPOSURE_MAX_PORTS 4096

typedef enum exposure_fw_mode {
        EXPO_FW_AUTO, /* read the host's nftables / iptables rules */
        EXPO_FW_NONE, /* no firewall information: every answer is "unknown" */
} exposure_fw_mode_t;

/* The scanner's settings, from the "exposure" section of the config. */
typedef struct exposure_opts {
        exposure_fw_mode_t firewall;
        char *nft_ruleset_file;    /* a saved `nft -j list ruleset` instead of the host's */
        char *iptables_save_file;  /* a saved iptables-save output */
        char *ip6tables_save_file; /* a saved ip6tables-save output */
        bool probes;               /* run live probes (default true) */
        int connect_timeout_ms;    /* default 1000 */
        int read_timeout_ms;       /* default 2000 */
        /* Only these ports (either protocol) are looked at; empty: all. */
        uint16_t *ports;
        size_t n_ports;
        /* Ports meant to be open: no port-based finding for them (probe
         * findings still apply). PROTO 0 means either protocol. */
        struct exposure_port_spec {
                int proto;
                uint16_t port;
        } * expected;
        size_t n_expected;
        /* Extra ports to probe per service, besides the well-known ones. */
        uint16_t *probe_ports[EXPO_SVC__MAX];
        size_t n_probe_ports[EXPO_SVC__MAX];
} exposure_opts_t;

/* Read the settings from CONFIG. Values of the wrong type or out of range
 * are reported as warnings in REPORT (may be NULL) and replaced by their
 * defaults. Returns 0 or -ENOMEM. Free with exposure_opts_done. */
int exposure_opts_load(const config_t *config, exposure_opts_t *ret, report_t *report);
void exposure_opts_done(exposure_opts_t *o);

/* Parse an expected-port item: 22, "22", "tcp/22" or "udp/53". Returns 0
 * or -EINVAL. */
int exposure_parse_port_spec(const char *s, struct exposure_port_spec *ret);

/* The config key of SVC ("redis", "mysql", "docker", "memcached",
 * "elasticsearch", "mongodb", "http"). */
const char *exposure_service_name(exposure_service_t svc);

/* The services worth probing on a TCP socket on PORT owned by a process
 * named COMM (may be NULL): its well-known ports, its usual process names,
 * and the extra ports in OPTS. A bit set of 1u << exposure_service_t. */
unsigned exposure_services_for(const exposure_opts_t *opts, uint16_t port, const char *comm);

/* The scan proper on given inputs: SOCKS (the listening sockets) and FW
 * (NULL when firewall information is missing). Findings and notes go to
 * CTX->report. Returns 0 or -ENOMEM. */
int exposure_scan_sockets(scan_ctx_t *ctx, const exposure_opts_t *opts, const sock_list_t *socks,
                          const fw_t *fw);

/* The scanner entry point for the registry (scan/scanners.c). */
int exposure_scan(scan_ctx_t *ctx);
