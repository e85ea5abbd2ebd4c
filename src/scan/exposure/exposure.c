#include "scan/exposure/exposure.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/finding.h"
#include "core/report.h"
#include "core/rootfs.h"
#include "scan/exposure/probes.h"

#define SOURCE "exposure"

/* ---- what is known about ports and services ---------------------------- */

/* Well-known ports and process names of each probed service. */
static const struct {
        const char *name;
        uint16_t ports[4];
        const char *comms[6];
} services[EXPO_SVC__MAX] = {
        [EXPO_SVC_REDIS] = { "redis",
                             { 6379 },
                             { "redis-server", "valkey-server", "keydb-server" } },
        [EXPO_SVC_MYSQL] = { "mysql", { 3306 }, { "mysqld", "mariadbd" } },
        [EXPO_SVC_DOCKER] = { "docker", { 2375, 2376 }, { "dockerd" } },
        [EXPO_SVC_MEMCACHED] = { "memcached", { 11211 }, { "memcached" } },
        [EXPO_SVC_ELASTICSEARCH] = { "elasticsearch", { 9200 }, { 0 } },
        [EXPO_SVC_MONGODB] = { "mongodb", { 27017 }, { "mongod", "mongos" } },
        [EXPO_SVC_HTTP] = { "http",
                            { 80, 443, 8080, 8443 },
                            { "nginx", "apache2", "httpd", "lighttpd", "caddy", "h2o" } },
};

/* Ports that should not be reachable from anywhere without a reason. */
typedef struct risky_port {
        int proto;
        uint16_t port;
        const char *name;
        finding_level_t level;
        const char *why;
} risky_port_t;

static const risky_port_t remote_admin[] = {
        { IPPROTO_TCP, 22, "SSH", FINDING_MEDIUM,
          "remote administration open to every address is where password guessing starts" },
        { IPPROTO_TCP, 3389, "RDP", FINDING_MEDIUM,
          "remote desktop open to every address is where password guessing starts" },
};

static const risky_port_t risky[] = {
        { IPPROTO_TCP, 21, "FTP", FINDING_MEDIUM, "FTP sends passwords in clear text" },
        { IPPROTO_TCP, 23, "Telnet", FINDING_MEDIUM, "Telnet sends passwords in clear text" },
        { IPPROTO_TCP, 111, "rpcbind", FINDING_MEDIUM,
          "rpcbind lists RPC services and is used for amplification" },
        { IPPROTO_UDP, 111, "rpcbind", FINDING_MEDIUM,
          "rpcbind lists RPC services and is used for amplification" },
        { IPPROTO_TCP, 139, "NetBIOS/SMB", FINDING_MEDIUM, "file sharing is a common way in" },
        { IPPROTO_TCP, 445, "SMB", FINDING_MEDIUM, "file sharing is a common way in" },
        { IPPROTO_TCP, 873, "rsync daemon", FINDING_MEDIUM,
          "rsync modules are often readable without a login" },
        { IPPROTO_TCP, 1433, "SQL Server", FINDING_MEDIUM,
          "a database should only be reachable by its clients" },
        { IPPROTO_TCP, 1521, "Oracle listener", FINDING_MEDIUM,
          "a database should only be reachable by its clients" },
        { IPPROTO_TCP, 2049, "NFS", FINDING_MEDIUM, "file sharing is a common way in" },
        { IPPROTO_TCP, 2375, "Docker API", FINDING_MEDIUM, "the Docker API controls the host" },
        { IPPROTO_TCP, 2376, "Docker API (TLS)", FINDING_MEDIUM,
          "the Docker API controls the host" },
        { IPPROTO_TCP, 2379, "etcd", FINDING_MEDIUM, "etcd holds cluster secrets" },
        { IPPROTO_TCP, 3306, "MySQL/MariaDB", FINDING_MEDIUM,
          "a database should only be reachable by its clients" },
        { IPPROTO_TCP, 5432, "PostgreSQL", FINDING_MEDIUM,
          "a database should only be reachable by its clients" },
        { IPPROTO_TCP, 5900, "VNC", FINDING_MEDIUM,
          "remote desktop open to every address is where password guessing starts" },
        { IPPROTO_TCP, 5984, "CouchDB", FINDING_MEDIUM,
          "a database should only be reachable by its clients" },
        { IPPROTO_TCP, 6379, "Redis", FINDING_MEDIUM, "Redis is meant for trusted clients only" },
        { IPPROTO_TCP, 9200, "Elasticsearch", FINDING_MEDIUM,
          "a search cluster should only be reachable by its clients" },
        { IPPROTO_TCP, 9300, "Elasticsearch transport", FINDING_MEDIUM,
          "cluster traffic should stay between nodes" },
        { IPPROTO_TCP, 10250, "kubelet", FINDING_MEDIUM,
          "the kubelet API runs commands in containers" },
        { IPPROTO_TCP, 11211, "Memcached", FINDING_MEDIUM,
          "Memcached has no authentication by default" },
        { IPPROTO_UDP, 11211, "Memcached UDP", FINDING_MEDIUM,
          "Memcached over UDP is abused for huge DDoS amplification" },
        { IPPROTO_TCP, 27017, "MongoDB", FINDING_MEDIUM,
          "a database should only be reachable by its clients" },
        { IPPROTO_TCP, 5601, "Kibana", FINDING_LOW,
          "admin interfaces should only be reachable by admins" },
        { IPPROTO_TCP, 8080, "HTTP admin/alternate", FINDING_LOW,
          "admin interfaces and app servers often listen here" },
        { IPPROTO_TCP, 8443, "HTTPS admin/alternate", FINDING_LOW,
          "admin interfaces often listen here" },
        { IPPROTO_TCP, 15672, "RabbitMQ management", FINDING_LOW,
          "admin interfaces should only be reachable by admins" },
};

/* Services a server rarely needs: by port, and by process name. */
static const risky_port_t unneeded_ports[] = {
        { IPPROTO_TCP, 7, "echo", FINDING_LOW, NULL },
        { IPPROTO_UDP, 7, "echo", FINDING_LOW, NULL },
        { IPPROTO_TCP, 9, "discard", FINDING_LOW, NULL },
        { IPPROTO_UDP, 9, "discard", FINDING_LOW, NULL },
        { IPPROTO_TCP, 13, "daytime", FINDING_LOW, NULL },
        { IPPROTO_UDP, 13, "daytime", FINDING_LOW, NULL },
        { IPPROTO_TCP, 19, "chargen", FINDING_LOW, NULL },
        { IPPROTO_UDP, 19, "chargen", FINDING_LOW, NULL },
        { IPPROTO_TCP, 37, "time", FINDING_LOW, NULL },
        { IPPROTO_UDP, 37, "time", FINDING_LOW, NULL },
        { IPPROTO_UDP, 69, "TFTP", FINDING_LOW, NULL },
        { IPPROTO_TCP, 79, "finger", FINDING_LOW, NULL },
        { IPPROTO_UDP, 137, "NetBIOS name service", FINDING_LOW, NULL },
        { IPPROTO_UDP, 138, "NetBIOS datagram service", FINDING_LOW, NULL },
        { IPPROTO_TCP, 512, "rexec", FINDING_LOW, NULL },
        { IPPROTO_TCP, 513, "rlogin", FINDING_LOW, NULL },
        { IPPROTO_TCP, 514, "rsh", FINDING_LOW, NULL },
        { IPPROTO_TCP, 631, "CUPS printing", FINDING_LOW, NULL },
        { IPPROTO_UDP, 631, "CUPS printer browsing", FINDING_LOW, NULL },
        { IPPROTO_UDP, 1900, "SSDP/UPnP", FINDING_LOW, NULL },
        { IPPROTO_UDP, 5353, "mDNS (Avahi)", FINDING_LOW, NULL },
};

static const struct {
        const char *comm;
        const char *name;
} unneeded_comms[] = {
        { "xinetd", "xinetd" },
        { "inetd", "inetd" },
        { "avahi-daemon", "Avahi mDNS" },
        { "cupsd", "CUPS printing" },
        { "cups-browsed", "CUPS browsing" },
        { "rpcbind", "rpcbind" },
        { "in.tftpd", "TFTP" },
        { "tftpd", "TFTP" },
        { "in.telnetd", "Telnet" },
        { "telnetd", "Telnet" },
        { "in.rshd", "rsh" },
        { "in.rlogind", "rlogin" },
        { "in.fingerd", "finger" },
        { "minissdpd", "SSDP" },
};

static const risky_port_t *find_port(const risky_port_t *v, size_t n, int proto, uint16_t port)
{
        for (size_t i = 0; i < n; i++)
                if (v[i].proto == proto && v[i].port == port)
                        return &v[i];
        return NULL;
}

const char *exposure_service_name(exposure_service_t svc)
{
        return svc < EXPO_SVC__MAX ? services[svc].name : "?";
}

unsigned exposure_services_for(const exposure_opts_t *opts, uint16_t port, const char *comm)
{
        unsigned set = 0;

        for (unsigned s = 0; s < EXPO_SVC__MAX; s++) {
                bool hit = false;
                for (size_t i = 0; i < ELEMENTSOF(services[s].ports) && services[s].ports[i]; i++)
                        if (services[s].ports[i] == port)
                                hit = true;
                for (size_t i = 0;
                     comm && i < ELEMENTSOF(services[s].comms) && services[s].comms[i]; i++)
                        if (strcmp(services[s].comms[i], comm) == 0)
                                hit = true;
                for (size_t i = 0; opts && i < opts->n_probe_ports[s]; i++)
                        if (opts->probe_ports[s][i] == port)
                                hit = true;
                if (hit)
                        set |= 1u << s;
        }
        return set;
}

/* ---- options ------------------------------------------------------------ */

void exposure_opts_done(exposure_opts_t *o)
{
        if (!o)
                return;
        free(o->nft_ruleset_file);
        free(o->iptables_save_file);
        free(o->ip6tables_save_file);
        free(o->ports);
        free(o->expected);
        for (unsigned s = 0; s < EXPO_SVC__MAX; s++)
                free(o->probe_ports[s]);
        *o = (exposure_opts_t){ 0 };
}

static void opt_warn(report_t *r, const char *key, const char *what)
{
        if (r)
                (void)report_note(r, REPORT_NOTE_WARNING, SOURCE, "config key exposure.%s: %s", key,
                                  what);
}

int exposure_parse_port_spec(const char *s, struct exposure_port_spec *ret)
{
        struct exposure_port_spec p = { 0 };
        unsigned long long v;

        if (str_startswith(s, "tcp/")) {
                p.proto = IPPROTO_TCP;
                s += 4;
        } else if (str_startswith(s, "udp/")) {
                p.proto = IPPROTO_UDP;
                s += 4;
        }
        if (str_to_u64(s, &v) < 0 || v == 0 || v > 65535)
                return -EINVAL;
        p.port = (uint16_t)v;
        *ret = p;
        return 0;
}

/* One port number from a config value (an integer or a numeric string). */
static int port_item(json_t *e, uint16_t *ret)
{
        struct exposure_port_spec p;
        char num[32];

        if (json_is_integer(e))
                snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(e));
        else if (json_is_string(e))
                snprintf(num, sizeof(num), "%.31s", json_string_value(e));
        else
                return -EINVAL;
        if (exposure_parse_port_spec(num, &p) < 0 || p.proto != 0)
                return -EINVAL;
        *ret = p.port;
        return 0;
}

/* A list of port numbers at exposure.KEY; a single number counts as a list
 * of one. */
static int opt_ports(const config_t *c, const char *key, report_t *r, uint16_t **ret, size_t *ret_n)
{
        _cleanup_free_ char *path = str_printf("exposure.%s", key);
        json_t *j, *e;
        uint16_t *v;
        size_t i, n = 0;

        if (!path)
                return -ENOMEM;
        j = config_get(c, path);
        if (!j)
                return 0;
        if (!json_is_array(j) && !json_is_integer(j) && !json_is_string(j)) {
                opt_warn(r, key, "not a list of port numbers; ignored");
                return 0;
        }
        if (json_is_array(j) && json_array_size(j) > EXPOSURE_MAX_PORTS) {
                opt_warn(r, key, "more than 4096 ports; ignored");
                return 0;
        }
        v = calloc(json_is_array(j) ? json_array_size(j) + 1 : 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        if (!json_is_array(j)) {
                if (port_item(j, &v[0]) == 0)
                        n = 1;
                else
                        opt_warn(r, key, "not a port number (1-65535); ignored");
        } else
                json_array_foreach (j, i, e) {
                        if (port_item(e, &v[n]) == 0)
                                n++;
                        else
                                opt_warn(r, key,
                                         "an item is not a port number (1-65535); it is ignored");
                }
        *ret = v;
        *ret_n = n;
        return 0;
}

static int opt_path(const config_t *c, const char *key, report_t *r, char **ret)
{
        _cleanup_free_ char *path = str_printf("exposure.%s", key);
        json_t *j;

        if (!path)
                return -ENOMEM;
        j = config_get(c, path);
        if (!j)
                return 0;
        if (!json_is_string(j) || !json_string_value(j)[0]) {
                opt_warn(r, key, "not a file name; ignored");
                return 0;
        }
        *ret = strdup(json_string_value(j));
        return *ret ? 0 : -ENOMEM;
}

static int opt_timeout(const config_t *c, const char *key, report_t *r, int def)
{
        _cleanup_free_ char *path = str_printf("exposure.%s", key);
        json_t *j = path ? config_get(c, path) : NULL;
        json_int_t v;

        if (!j)
                return def;
        v = json_is_integer(j) ? json_integer_value(j) : -1;
        if (v < 10 || v > 60000) {
                opt_warn(r, key, "not a number of milliseconds from 10 to 60000; default used");
                return def;
        }
        return (int)v;
}

int exposure_opts_load(const config_t *c, exposure_opts_t *ret, report_t *r)
{
        exposure_opts_t o = { .firewall = EXPO_FW_AUTO, .probes = true };
        json_t *j;
        int k;

        j = config_get(c, "exposure.firewall");
        if (j) {
                const char *s = json_string_value(j);
                if (s && strcmp(s, "none") == 0)
                        o.firewall = EXPO_FW_NONE;
                else if (!s || strcmp(s, "auto") != 0)
                        opt_warn(r, "firewall", "must be \"auto\" or \"none\"; \"auto\" used");
        }
        j = config_get(c, "exposure.probes");
        if (j) {
                if (json_is_boolean(j))
                        o.probes = json_is_true(j);
                else
                        opt_warn(r, "probes", "must be true or false; true used");
        }
        o.connect_timeout_ms = opt_timeout(c, "connect_timeout_ms", r, 1000);
        o.read_timeout_ms = opt_timeout(c, "read_timeout_ms", r, 2000);
        if ((k = opt_path(c, "nft_ruleset_file", r, &o.nft_ruleset_file)) < 0 ||
            (k = opt_path(c, "iptables_save_file", r, &o.iptables_save_file)) < 0 ||
            (k = opt_path(c, "ip6tables_save_file", r, &o.ip6tables_save_file)) < 0 ||
            (k = opt_ports(c, "ports", r, &o.ports, &o.n_ports)) < 0)
                goto fail;

        j = config_get(c, "exposure.expected_ports");
        if (j && !json_is_array(j)) {
                opt_warn(r, "expected_ports", "not a list; ignored");
        } else if (j) {
                json_t *e;
                size_t i;
                if (json_array_size(j) > EXPOSURE_MAX_PORTS) {
                        opt_warn(r, "expected_ports", "more than 4096 items; ignored");
                } else {
                        o.expected = calloc(json_array_size(j) + 1, sizeof(*o.expected));
                        if (!o.expected) {
                                k = -ENOMEM;
                                goto fail;
                        }
                        json_array_foreach (j, i, e) {
                                char spec[40];
                                if (json_is_integer(e))
                                        snprintf(spec, sizeof(spec), "%lld",
                                                 (long long)json_integer_value(e));
                                else if (json_is_string(e))
                                        snprintf(spec, sizeof(spec), "%.39s", json_string_value(e));
                                else
                                        spec[0] = 0;
                                if (exposure_parse_port_spec(spec, &o.expected[o.n_expected]) < 0)
                                        opt_warn(r, "expected_ports",
                                                 "an item is not PORT, tcp/PORT or udp/PORT; "
                                                 "it is ignored");
                                else
                                        o.n_expected++;
                        }
                }
        }

        j = config_get(c, "exposure.probe_ports");
        if (j && !json_is_object(j))
                opt_warn(r, "probe_ports", "not a mapping of service to ports; ignored");
        else if (j) {
                const char *key;
                json_t *val;
                json_object_foreach (j, key, val) {
                        unsigned s;
                        _cleanup_free_ char *sub = str_printf("probe_ports.%s", key);
                        if (!sub) {
                                k = -ENOMEM;
                                goto fail;
                        }
                        for (s = 0; s < EXPO_SVC__MAX; s++)
                                if (strcmp(services[s].name, key) == 0)
                                        break;
                        if (s == EXPO_SVC__MAX) {
                                opt_warn(r, "probe_ports",
                                         "unknown service (use redis, mysql, docker, memcached, "
                                         "elasticsearch, mongodb or http); ignored");
                                continue;
                        }
                        free(o.probe_ports[s]);
                        o.probe_ports[s] = NULL;
                        o.n_probe_ports[s] = 0;
                        if ((k = opt_ports(c, sub, r, &o.probe_ports[s], &o.n_probe_ports[s])) < 0)
                                goto fail;
                }
        }
        *ret = o;
        return 0;
fail:
        exposure_opts_done(&o);
        return k;
}

/* ---- grouping sockets by port ------------------------------------------ */

/* All sockets of one protocol and port: one finding per port, whatever the
 * number of addresses and processes behind it. */
typedef struct group {
        int proto;
        uint16_t port;
        const sock_info_t *owner; /* a socket with a known process, or the first */
        bool exposed;             /* some socket is bound beyond loopback */
        bool any_address;         /* some socket is bound to 0.0.0.0 or :: */
        fw_state_t fw;
        char addresses[192]; /* "0.0.0.0, ::" */
        char probe_addr[INET6_ADDRSTRLEN];
        bool probe_finding;  /* a probe already reported this port */
        bool http;           /* answers plain HTTP */
        bool http_redirects; /* ... with a redirect to https:// */
        bool tls;            /* answers TLS */
        char http_info[160];
} group_t;

static int cmp_sock(const void *a, const void *b)
{
        const sock_info_t *x = *(const sock_info_t *const *)a, *y = *(const sock_info_t *const *)b;

        if (x->proto != y->proto)
                return x->proto - y->proto;
        return (int)x->port - (int)y->port;
}

static bool port_wanted(const exposure_opts_t *o, uint16_t port)
{
        if (o->n_ports == 0)
                return true;
        for (size_t i = 0; i < o->n_ports; i++)
                if (o->ports[i] == port)
                        return true;
        return false;
}

static bool port_expected(const exposure_opts_t *o, int proto, uint16_t port)
{
        for (size_t i = 0; i < o->n_expected; i++)
                if (o->expected[i].port == port &&
                    (o->expected[i].proto == 0 || o->expected[i].proto == proto))
                        return true;
        return false;
}

/* The firewall's answer for one socket: IPv4 sockets ask IPv4; a socket on
 * "::" also takes IPv4 (dual stack), so it asks both. */
static fw_state_t sock_fw(const fw_t *fw, const sock_info_t *s)
{
        int fam = AF_INET6;

        if (!fw)
                return FW_STATE_UNKNOWN;
        if (s->family == AF_INET || IN6_IS_ADDR_V4MAPPED(&s->addr))
                fam = AF_INET;
        else if (s->any_address)
                fam = AF_UNSPEC;
        return fw_port_state(fw, fam, s->proto, s->port);
}

/* Rank of reachability, to keep the most reachable answer of a group. */
static int fw_rank(fw_state_t s)
{
        switch (s) {
        case FW_STATE_UNRESTRICTED:
                return 3;
        case FW_STATE_NONE:
                return 2;
        case FW_STATE_UNKNOWN:
                return 1;
        case FW_STATE_RESTRICTED:
                break;
        }
        return 0;
}

static void group_fill(group_t *g, const sock_info_t *const *v, size_t n, const fw_t *fw)
{
        const char *v4_local = NULL, *v6_local = NULL, *other = NULL;
        bool first_fw = true;
        size_t o = 0;

        *g = (group_t){ .proto = v[0]->proto, .port = v[0]->port, .owner = v[0] };
        for (size_t i = 0; i < n; i++) {
                const sock_info_t *s = v[i];
                bool dup = false;

                if (!g->owner->pid && s->pid)
                        g->owner = s;
                if (s->any_address)
                        g->any_address = true;
                if (!s->loopback) {
                        fw_state_t st = sock_fw(fw, s);
                        g->exposed = true;
                        if (first_fw || fw_rank(st) > fw_rank(g->fw))
                                g->fw = st;
                        first_fw = false;
                }
                /* Where a probe connects: the loopback address of the
                 * socket's family when it takes loopback traffic, else the
                 * address it is bound to (an address of this host). */
                if (s->family == AF_INET || IN6_IS_ADDR_V4MAPPED(&s->addr)) {
                        if (s->any_address || s->loopback)
                                v4_local = "127.0.0.1";
                        else if (!other)
                                other = s->addr_str;
                } else {
                        if (s->any_address || s->loopback)
                                v6_local = "::1";
                        else if (!other)
                                other = s->addr_str;
                }
                for (size_t k = 0; k < i; k++)
                        if (strcmp(v[k]->addr_str, s->addr_str) == 0)
                                dup = true;
                if (!dup && o < sizeof(g->addresses) - 1) {
                        int w = snprintf(g->addresses + o, sizeof(g->addresses) - o, "%s%s",
                                         o ? ", " : "", s->addr_str);
                        o = w < 0 ? o : MIN(o + (size_t)w, sizeof(g->addresses) - 1);
                }
        }
        if (first_fw) /* loopback only: say what the firewall says all the same */
                g->fw = sock_fw(fw, v[0]);
        snprintf(g->probe_addr, sizeof(g->probe_addr), "%s",
                 v4_local   ? v4_local
                 : v6_local ? v6_local
                            : (other && str_startswith(other, "::ffff:") ? other + 7
                               : other                                   ? other
                                                                         : ""));
}

/* Reachable from other machines as far as the host can tell: bound beyond
 * loopback and not restricted by the firewall (an unknown firewall does not
 * count as a restriction). */
static bool group_reachable(const group_t *g)
{
        return g->exposed && g->fw != FW_STATE_RESTRICTED;
}

/* ---- findings ------------------------------------------------------------ */

static finding_t *new_finding(const group_t *g, const char *check, finding_level_t level)
{
        _cleanup_free_ char *object = str_printf("%s/%u", sock_proto_name(g->proto), g->port);
        finding_t *f;

        if (!object)
                return NULL;
        f = finding_new(CAT_EXPOSURE, check, object, level);
        if (!f)
                return NULL;
        if (finding_add_evidence_str(f, "proto", sock_proto_name(g->proto)) < 0 ||
            finding_add_evidence_str(f, "address", g->addresses) < 0 ||
            finding_add_evidence_int(f, "port", g->port) < 0 ||
            finding_add_evidence_str(f, "process", g->owner->comm ? g->owner->comm : "") < 0 ||
            finding_add_evidence_int(f, "pid", g->owner->pid) < 0 ||
            finding_add_evidence_str(f, "exe", g->owner->exe ? g->owner->exe : "") < 0 ||
            finding_add_evidence_str(f, "firewall", fw_state_name(g->fw)) < 0 ||
            finding_add_evidence_str(f, "reach", g->exposed ? "network" : "loopback") < 0) {
                finding_free(f);
                return NULL;
        }
        return f;
}

/* A sentence on where the port can be reached from, for details. */
static void reach_text(const group_t *g, char *out, size_t size)
{
        if (!g->exposed)
                snprintf(out, size,
                         "It listens on %s only, so any local user or process on this "
                         "host (and any web application that can be made to send "
                         "requests) can use it.",
                         g->addresses);
        else if (g->fw == FW_STATE_RESTRICTED)
                snprintf(out, size,
                         "It listens on %s; the host firewall limits who can connect, "
                         "but every local user and anyone inside the allowed sources "
                         "can use it.",
                         g->addresses);
        else
                snprintf(out, size,
                         "It listens on %s and the host firewall %s, so it can be "
                         "reached from the network.",
                         g->addresses,
                         g->fw == FW_STATE_NONE           ? "filters nothing"
                         : g->fw == FW_STATE_UNRESTRICTED ? "lets any source address in"
                                                          : "could not be read (firewall unknown)");
}

/* The nft commands that limit PORT to one trusted network. */
static void fw_advice(const group_t *g, char *out, size_t size)
{
        const char *p = sock_proto_name(g->proto);

        snprintf(out, size,
                 "limit the port to trusted sources in the host firewall, e.g. `nft add rule inet "
                 "filter input %s dport %u ip saddr 203.0.113.0/24 accept` followed by `nft add "
                 "rule inet filter input %s dport %u drop` (put the same rules in "
                 "/etc/nftables.conf to keep them after a reboot)",
                 p, g->port, p, g->port);
}

static int add_finding(scan_ctx_t *ctx, finding_t *f)
{
        return report_add_finding(ctx->report, f);
}

static int report_probe(scan_ctx_t *ctx, group_t *g, exposure_service_t svc,
                        const probe_result_t *pr)
{
        _cleanup_finding_ finding_t *f = NULL;
        char reach[400], fwtxt[400];
        finding_level_t level = FINDING_HIGH;
        const char *check = NULL, *title = NULL;
        int r;

        reach_text(g, reach, sizeof(reach));
        fw_advice(g, fwtxt, sizeof(fwtxt));
        switch (svc) {
        case EXPO_SVC_REDIS:
                check = "exposure.redis-unauthenticated";
                title = "Redis answers without a password";
                break;
        case EXPO_SVC_MYSQL:
                check = "exposure.mysql-root-empty-password";
                title = "MySQL/MariaDB root logs in with an empty password";
                break;
        case EXPO_SVC_DOCKER:
                check = "exposure.docker-api-unauthenticated";
                title = "Docker Engine API on TCP without TLS";
                break;
        case EXPO_SVC_MEMCACHED:
                check = "exposure.memcached-unauthenticated";
                title = "Memcached answers without authentication";
                break;
        case EXPO_SVC_ELASTICSEARCH:
                check = "exposure.elasticsearch-unauthenticated";
                title = "Elasticsearch answers without authentication";
                break;
        case EXPO_SVC_MONGODB:
                check = "exposure.mongodb-unauthenticated";
                title = "MongoDB lists databases without authentication";
                break;
        default:
                return 0;
        }
        /* Data stores without a way to run code or write files are high
         * when the network can reach them; on loopback only (or behind a
         * firewall restriction) they are hardening, because running them
         * so without authentication is their packaged default. */
        if ((svc == EXPO_SVC_MEMCACHED || svc == EXPO_SVC_ELASTICSEARCH ||
             svc == EXPO_SVC_MONGODB) &&
            !group_reachable(g))
                level = FINDING_LOW;

        f = new_finding(g, check, level);
        if (!f)
                return -ENOMEM;
        if (finding_set_title(f, "%s (%s port %u)", title, sock_proto_name(g->proto), g->port) < 0)
                return -ENOMEM;
        if ((pr->version[0] && finding_add_evidence_str(f, "version", pr->version) < 0) ||
            (pr->info[0] && finding_add_evidence_str(f, "response", pr->info) < 0) ||
            (pr->config_file[0] && finding_add_evidence_str(f, "config_file", pr->config_file) < 0))
                return -ENOMEM;

        switch (svc) {
        case EXPO_SVC_REDIS: {
                const char *conf = pr->config_file[0] ? pr->config_file : "/etc/redis/redis.conf";
                r = finding_set_detail(f,
                                       "A PING on port %u was answered with PONG without AUTH. "
                                       "Anyone who can connect can read and change all data, and "
                                       "with CONFIG SET can write files as the Redis user, a "
                                       "common way to take over a host. %s",
                                       g->port, reach);
                if (r == 0)
                        r = finding_set_remediation(
                                f,
                                "In %s%s set `bind 127.0.0.1 -::1`, `protected-mode yes` and "
                                "`requirepass` followed by a long random password (or define ACL "
                                "users), then restart Redis (systemctl restart redis-server). If "
                                "other hosts need Redis, %s.",
                                conf,
                                pr->config_file[0] ? ""
                                                   : " (Redis was started without a config file; "
                                                     "pass these as options or start it with one)",
                                fwtxt);
                finding_add_reference(
                        f,
                        "https://redis.io/docs/latest/operate/oss_and_stack/management/security/");
                break;
        }
        case EXPO_SVC_MYSQL:
                r = finding_set_detail(f,
                                       "A login as root with an empty password on port %u "
                                       "succeeded (server %s). Whoever can connect has every "
                                       "database and, with the FILE privilege, can read and write "
                                       "files as the database user. %s",
                                       g->port, pr->version[0] ? pr->version : "unknown", reach);
                if (r == 0)
                        r = finding_set_remediation(
                                f,
                                "Give root a password or socket authentication: `ALTER USER "
                                "'root'@'localhost' IDENTIFIED VIA unix_socket;` (MariaDB) or "
                                "`ALTER USER 'root'@'localhost' IDENTIFIED BY '<long random "
                                "password>';`, and drop root accounts for other hosts (`SELECT "
                                "user,host FROM mysql.user WHERE user='root';`). Run "
                                "mariadb-secure-installation or mysql_secure_installation. In the "
                                "[mysqld] section (/etc/mysql/mariadb.conf.d/50-server.cnf or "
                                "/etc/mysql/mysql.conf.d/mysqld.cnf) set `bind-address = "
                                "127.0.0.1` unless other hosts need it; then %s.",
                                fwtxt);
                break;
        case EXPO_SVC_DOCKER:
                r = finding_set_detail(f,
                                       "GET /version on port %u answered with the Docker Engine "
                                       "API (%s) over plain TCP. Anyone who can connect controls "
                                       "the Docker daemon and so has root on this host (a "
                                       "container can mount /). %s",
                                       g->port, pr->info, reach);
                if (r == 0)
                        r = finding_set_remediation(
                                f,
                                "Remove `-H tcp://0.0.0.0:%u` (or any tcp:// host) from the "
                                "dockerd "
                                "command line (systemctl edit docker.service) and from \"hosts\" "
                                "in /etc/docker/daemon.json, then restart Docker; use the local "
                                "socket /var/run/docker.sock or SSH (`DOCKER_HOST=ssh://host`). "
                                "If remote access is required, enable TLS with client "
                                "certificates: `--tlsverify --tlscacert=ca.pem --tlscert=cert.pem "
                                "--tlskey=key.pem -H tcp://0.0.0.0:2376`.",
                                g->port);
                finding_add_reference(f, "https://docs.docker.com/engine/security/protect-access/");
                break;
        case EXPO_SVC_MEMCACHED:
                r = finding_set_detail(f,
                                       "The `stats` command on port %u was answered (version "
                                       "%s). Anyone who can connect can read and replace cached "
                                       "data (sessions, tokens). %s",
                                       g->port, pr->version[0] ? pr->version : "unknown", reach);
                if (r == 0)
                        r = finding_set_remediation(
                                f,
                                "In /etc/memcached.conf set `-l 127.0.0.1` and `-U 0` (no UDP), "
                                "then restart memcached; if other hosts need it, enable SASL "
                                "(`-S`) "
                                "and %s.",
                                fwtxt);
                break;
        case EXPO_SVC_ELASTICSEARCH:
                r = finding_set_detail(f,
                                       "GET / on port %u answered with the cluster information "
                                       "(%s, version %s) without credentials. Anyone who can "
                                       "connect can read, change and delete every index. %s",
                                       g->port, pr->info, pr->version[0] ? pr->version : "unknown",
                                       reach);
                if (r == 0)
                        r = finding_set_remediation(
                                f,
                                "In elasticsearch.yml set `xpack.security.enabled: true` (and "
                                "create passwords with elasticsearch-reset-password), and "
                                "`network.host: 127.0.0.1` unless other hosts need it; then %s.",
                                fwtxt);
                break;
        case EXPO_SVC_MONGODB:
                r = finding_set_detail(f,
                                       "listDatabases on port %u succeeded without a login (%s). "
                                       "Anyone who can connect can read and change every "
                                       "database. %s",
                                       g->port, pr->info, reach);
                if (r == 0)
                        r = finding_set_remediation(
                                f,
                                "Create an admin user, then in /etc/mongod.conf set "
                                "`security.authorization: enabled` and `net.bindIp: 127.0.0.1` "
                                "unless other hosts need it, and restart mongod; then %s.",
                                fwtxt);
                break;
        default:
                r = 0;
        }
        if (r < 0)
                return -ENOMEM;
        g->probe_finding = true;
        return add_finding(ctx, TAKE_PTR(f));
}

static int run_probe(exposure_service_t svc, const probe_target_t *t, probe_result_t *ret)
{
        switch (svc) {
        case EXPO_SVC_REDIS:
                return probe_redis(t, ret);
        case EXPO_SVC_MYSQL:
                return probe_mysql(t, ret);
        case EXPO_SVC_DOCKER:
                return probe_docker(t, ret);
        case EXPO_SVC_MEMCACHED:
                return probe_memcached(t, ret);
        case EXPO_SVC_ELASTICSEARCH:
                return probe_elasticsearch(t, ret);
        case EXPO_SVC_MONGODB:
                return probe_mongodb(t, ret);
        default:
                break;
        }
        return -EINVAL;
}

static int probe_group(scan_ctx_t *ctx, const exposure_opts_t *opts, group_t *g)
{
        unsigned set;
        probe_target_t t;
        int r;

        if (g->proto != IPPROTO_TCP || !g->probe_addr[0])
                return 0;
        set = exposure_services_for(opts, g->port, g->owner->comm);
        if (!set)
                return 0;
        if (probe_target_init(&t, g->probe_addr, g->port) < 0)
                return 0;
        t.connect_timeout_ms = opts->connect_timeout_ms;
        t.io_timeout_ms = opts->read_timeout_ms;
        for (unsigned s = 0; s < EXPO_SVC__MAX; s++) {
                probe_result_t pr;

                if (!(set & (1u << s)))
                        continue;
                (void)report_count(ctx->report, SOURCE, "probes", 1);
                if (s == EXPO_SVC_HTTP) {
                        bool redirect = false;
                        if ((r = probe_tls(&t, &pr)) < 0)
                                return r;
                        if (pr.verdict == PROBE_OPEN) {
                                g->tls = true;
                                continue;
                        }
                        if ((r = probe_http(&t, &pr, &redirect)) < 0)
                                return r;
                        if (pr.verdict == PROBE_OPEN) {
                                g->http = true;
                                g->http_redirects = redirect;
                                snprintf(g->http_info, sizeof(g->http_info), "%s", pr.info);
                        }
                        continue;
                }
                if ((r = run_probe((exposure_service_t)s, &t, &pr)) < 0)
                        return r;
                if (pr.verdict == PROBE_OPEN) {
                        if ((r = report_probe(ctx, g, (exposure_service_t)s, &pr)) < 0)
                                return r;
                        /* One service answers on a port; stop asking. */
                        break;
                }
                if (pr.verdict == PROBE_PROTECTED)
                        break;
        }
        return 0;
}

/* Port-based findings: remote administration, risky ports, services not
 * needed. One per port at most, and none when a probe already reported it
 * or the port is expected. */
static int report_port(scan_ctx_t *ctx, const exposure_opts_t *opts, const group_t *g)
{
        _cleanup_finding_ finding_t *f = NULL;
        const risky_port_t *rp;
        const char *comm = g->owner->comm;
        char reach[400], fwtxt[400];

        if (!group_reachable(g) || g->probe_finding || port_expected(opts, g->proto, g->port))
                return 0;
        reach_text(g, reach, sizeof(reach));
        fw_advice(g, fwtxt, sizeof(fwtxt));

        if ((rp = find_port(remote_admin, ELEMENTSOF(remote_admin), g->proto, g->port))) {
                f = new_finding(g, "exposure.remote-admin-open", rp->level);
                if (!f ||
                    finding_set_title(f, "%s (%s port %u) is open to any address", rp->name,
                                      sock_proto_name(g->proto), g->port) < 0 ||
                    finding_set_detail(f, "%s: %s. %s", rp->name, rp->why, reach) < 0 ||
                    finding_set_remediation(
                            f,
                            "Allow only the addresses admins connect from: %s. Or bind the "
                            "service to an internal address (sshd: `ListenAddress` in "
                            "/etc/ssh/sshd_config), or reach it through a VPN or bastion host.",
                            fwtxt) < 0)
                        return -ENOMEM;
                return add_finding(ctx, TAKE_PTR(f));
        }
        if ((rp = find_port(risky, ELEMENTSOF(risky), g->proto, g->port))) {
                f = new_finding(g, "exposure.risky-port-open", rp->level);
                if (!f ||
                    finding_set_title(f, "%s (%s port %u) is reachable from any address", rp->name,
                                      sock_proto_name(g->proto), g->port) < 0 ||
                    finding_set_detail(f, "%s: %s. %s", rp->name, rp->why, reach) < 0 ||
                    finding_set_remediation(
                            f,
                            "Bind the service to 127.0.0.1 (or an internal address) in its "
                            "configuration if only this host or an internal network uses it; "
                            "otherwise %s. Add the port to exposure.expected_ports in the vigil "
                            "config if it is meant to be public.",
                            fwtxt) < 0)
                        return -ENOMEM;
                return add_finding(ctx, TAKE_PTR(f));
        }
        {
                const char *name = NULL;
                if ((rp = find_port(unneeded_ports, ELEMENTSOF(unneeded_ports), g->proto, g->port)))
                        name = rp->name;
                for (size_t i = 0; !name && comm && i < ELEMENTSOF(unneeded_comms); i++)
                        if (strcmp(unneeded_comms[i].comm, comm) == 0)
                                name = unneeded_comms[i].name;
                if (!name)
                        return 0;
                f = new_finding(g, "exposure.unneeded-service", FINDING_LOW);
                if (!f ||
                    finding_set_title(f, "%s listens on %s port %u, which a server rarely needs",
                                      name, sock_proto_name(g->proto), g->port) < 0 ||
                    finding_set_detail(f,
                                       "Every listening service is attack surface; %s is seldom "
                                       "used on servers. %s",
                                       name, reach) < 0 ||
                    finding_set_remediation(
                            f,
                            "If it is not used, stop and disable it (`systemctl disable --now "
                            "<unit>`, e.g. avahi-daemon, cups, rpcbind, xinetd) or remove its "
                            "package; if it is needed, %s, or add the port to "
                            "exposure.expected_ports in the vigil config.",
                            fwtxt) < 0)
                        return -ENOMEM;
                return add_finding(ctx, TAKE_PTR(f));
        }
}

/* Web servers: plain HTTP beyond loopback while nothing on the host
 * answers TLS. A redirect to https:// counts as served over HTTPS
 * (the TLS end may be a proxy or load balancer elsewhere). */
static int report_web(scan_ctx_t *ctx, group_t *groups, size_t n)
{
        bool any_tls = false;

        for (size_t i = 0; i < n; i++)
                if (groups[i].tls)
                        any_tls = true;
        if (any_tls)
                return 0;
        for (size_t i = 0; i < n; i++) {
                _cleanup_finding_ finding_t *f = NULL;
                group_t *g = &groups[i];
                char reach[400];

                if (!g->http || g->http_redirects || !g->exposed)
                        continue;
                reach_text(g, reach, sizeof(reach));
                f = new_finding(g, "exposure.web-without-https", FINDING_MEDIUM);
                if (!f ||
                    finding_set_title(f,
                                      "Web server on port %u serves plain HTTP and the host has "
                                      "no HTTPS",
                                      g->port) < 0 ||
                    finding_add_evidence_str(f, "response", g->http_info) < 0 ||
                    finding_set_detail(f,
                                       "Port %u answers HTTP (%s) and no web port of this host "
                                       "completes a TLS handshake, so passwords, cookies and "
                                       "pages travel in clear text and can be read or changed "
                                       "on the way. %s",
                                       g->port, g->http_info, reach) < 0 ||
                    finding_set_remediation(
                            f,
                            "Serve the site over TLS on port 443 (e.g. `certbot --nginx -d "
                            "example.org` or `certbot --apache`) and redirect port %u to it "
                            "(nginx: `return 301 https://$host$request_uri;`).",
                            g->port) < 0)
                        return -ENOMEM;
                int r = add_finding(ctx, TAKE_PTR(f));
                if (r < 0)
                        return r;
        }
        return 0;
}

int exposure_scan_sockets(scan_ctx_t *ctx, const exposure_opts_t *opts, const sock_list_t *socks,
                          const fw_t *fw)
{
        _cleanup_free_ const sock_info_t **v = NULL;
        _cleanup_free_ group_t *groups = NULL;
        size_t n = 0, ng = 0;
        int r = 0;

        if (socks->n == 0)
                return 0;
        v = malloc(socks->n * sizeof(*v));
        groups = calloc(socks->n, sizeof(*groups));
        if (!v || !groups)
                return -ENOMEM;
        for (size_t i = 0; i < socks->n; i++)
                if (port_wanted(opts, socks->v[i].port))
                        v[n++] = &socks->v[i];
        if (n == 0)
                return 0;
        qsort(v, n, sizeof(*v), cmp_sock);
        for (size_t i = 0; i < n;) {
                size_t j = i + 1;
                while (j < n && v[j]->proto == v[i]->proto && v[j]->port == v[i]->port)
                        j++;
                group_fill(&groups[ng++], v + i, j - i, fw);
                i = j;
        }
        (void)report_count(ctx->report, SOURCE, "ports", (long long)ng);

        for (size_t i = 0; i < ng && opts->probes; i++) {
                if (ctx->progress)
                        progress_update(ctx->progress, "exposure: probing services", i, ng);
                if ((r = probe_group(ctx, opts, &groups[i])) < 0)
                        return r;
        }
        for (size_t i = 0; i < ng; i++)
                if ((r = report_port(ctx, opts, &groups[i])) < 0)
                        return r;
        return report_web(ctx, groups, ng);
}

/* ---- firewall sources ----------------------------------------------------- */

static int read_host_file(const char *path, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

        if (fd < 0)
                return -errno;
        return rootfs_read_fd(fd, FW_MAX_INPUT, ret, ret_len);
}

/* The firewall model from the files named in OPTS. Returns 0 with *RET, or
 * a negative errno with a note added. */
static int fw_from_files(scan_ctx_t *ctx, const exposure_opts_t *opts, fw_t **ret)
{
        const struct {
                const char *path;
                int kind; /* 0 nft JSON, AF_INET/AF_INET6 iptables-save */
        } files[] = {
                { opts->nft_ruleset_file, 0 },
                { opts->iptables_save_file, AF_INET },
                { opts->ip6tables_save_file, AF_INET6 },
        };
        _cleanup_(fw_freep) fw_t *fw = fw_new();

        if (!fw)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *data = NULL, *err = NULL;
                size_t len;
                int r;

                if (!files[i].path)
                        continue;
                r = read_host_file(files[i].path, &data, &len);
                if (r == 0)
                        r = files[i].kind == 0
                                    ? fw_add_nft_json(fw, data, len, &err)
                                    : fw_add_iptables_save(fw, data, len, files[i].kind, &err);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        (void)report_note(ctx->report, REPORT_NOTE_WARNING, files[i].path,
                                          "cannot use this firewall ruleset: %s; firewall state "
                                          "is unknown",
                                          err ? err : strerror(-r));
                        return r;
                }
        }
        *ret = TAKE_PTR(fw);
        return 0;
}

int exposure_scan(scan_ctx_t *ctx)
{
        _cleanup_(exposure_opts_done) exposure_opts_t opts = { 0 };
        _cleanup_(sock_list_clear) sock_list_t socks = { 0 };
        _cleanup_(fw_freep) fw_t *fw = NULL;
        sock_stats_t st = { 0 };
        int r;

        if (!ctx->root->is_host) {
                (void)report_note(ctx->report, REPORT_NOTE_INFO, SOURCE,
                                  "listening sockets can only be seen on the running host; the "
                                  "exposure scanner has nothing to check in %s",
                                  ctx->root->path);
                return 0;
        }
        if ((r = exposure_opts_load(ctx->config, &opts, ctx->report)) < 0)
                return r;

        r = sock_list_listening_at("/proc", &socks, &st);
        if (r < 0) {
                (void)report_note(ctx->report, REPORT_NOTE_ERROR, SOURCE,
                                  "cannot read the listening sockets from /proc/net: %s",
                                  strerror(-r));
                return r;
        }
        (void)report_count(ctx->report, SOURCE, "sockets", (long long)socks.n);
        if (st.bad_lines)
                (void)report_note(ctx->report, REPORT_NOTE_WARNING, "/proc/net",
                                  "%zu lines of the socket tables could not be read", st.bad_lines);
        if (st.unmapped)
                (void)report_note(ctx->report, REPORT_NOTE_INFO, SOURCE,
                                  "%zu listening sockets could not be tied to a process%s",
                                  st.unmapped,
                                  st.fd_dirs_denied ? " (run as root to see every process)" : "");

        if (opts.nft_ruleset_file || opts.iptables_save_file || opts.ip6tables_save_file) {
                r = fw_from_files(ctx, &opts, &fw);
                if (r == -ENOMEM)
                        return r;
        } else if (opts.firewall == EXPO_FW_NONE) {
                (void)report_note(ctx->report, REPORT_NOTE_INFO, SOURCE,
                                  "firewall not read (exposure.firewall: none); every port's "
                                  "firewall state is unknown");
        } else {
                _cleanup_free_ char *why = NULL;
                r = fw_load_host(&fw, &why);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        (void)report_note(ctx->report, REPORT_NOTE_WARNING, SOURCE,
                                          "cannot read the host firewall (%s); every port's "
                                          "firewall state is unknown",
                                          why ? why : strerror(-r));
        }
        if (fw) {
                size_t tables, rules, unknown;
                fw_counts(fw, &tables, &rules, &unknown);
                (void)report_count(ctx->report, SOURCE, "firewall_rules", (long long)rules);
                if (unknown)
                        (void)report_count(ctx->report, SOURCE, "firewall_rules_undecidable",
                                           (long long)unknown);
        }
        r = exposure_scan_sockets(ctx, &opts, &socks, fw);
        if (r < 0)
                (void)report_note(ctx->report, REPORT_NOTE_ERROR, SOURCE, "scan failed: %s",
                                  strerror(-r));
        return r;
}
