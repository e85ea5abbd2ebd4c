/* The host firewall as far as it decides whether a listening port can be
 * reached from the network: the input-side filter chains of the nftables
 * ruleset (`nft -j list ruleset`) and of iptables (`iptables-save`,
 * `ip6tables-save` text), read into one small model and asked one question:
 * "does a new connection to PROTO port P from an arbitrary source address
 * get in?"
 *
 * The answer is worked out for a generic packet: the first packet of a new
 * connection (conntrack state "new"), arriving on a non-loopback interface,
 * from a source address that is in no specific address list (only a /0
 * prefix matches it). An accept limited to listed sources therefore does not
 * let it in, a negated source match (`ip saddr != 10.0.0.0/8 drop`) applies
 * to it, and the chain policy decides when no rule does. A packet is let in
 * only when every filter base chain on the prerouting and input hooks of its
 * family accepts it (an accept in one base chain does not skip the next; a
 * drop in any is final). Jumps, gotos, returns, anonymous and named sets and
 * verdict maps are followed. A match the model cannot judge for the generic
 * packet (destination address, interface names other than "lo", TCP flags,
 * marks, "recent" lists, ...) is explored both ways; if the two ways end
 * differently the answer is "unknown", never a guess. Limits: nat, raw,
 * mangle, netdev/ingress and bridge chains are not read, nor iptables-legacy
 * rules when nftables is also present, nor what a cloud provider's network
 * filters in front of the host.
 *
 * Both rule sources are attacker-influenced only through an admin's
 * configuration, but they are parsed defensively all the same: hard caps on
 * sizes and counts, every value checked for its type. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/macro.h"

/* Caps: the command output or file read, and the evaluation work per
 * question (rules visited, jump depth). */
#define FW_MAX_INPUT      (32 * MiB)
#define FW_MAX_JUMPS      32
#define FW_MAX_VISITS     100000
#define FW_CMD_TIMEOUT_MS 5000

typedef enum fw_state {
        FW_STATE_NONE,       /* no input filtering at all for this family */
        FW_STATE_RESTRICTED, /* the generic packet is dropped: only listed sources (or none) get in
                              */
        FW_STATE_UNRESTRICTED, /* filtering exists but lets the generic packet in */
        FW_STATE_UNKNOWN,      /* no ruleset could be read, or the rules do not decide */
} fw_state_t;

typedef struct fw fw_t;

/* An empty model (no chains: every question answers FW_STATE_NONE). Returns
 * NULL when out of memory. Free with fw_free. */
fw_t *fw_new(void);
void fw_free(fw_t *fw);
static inline void fw_freep(fw_t **fw)
{
        fw_free(*fw);
}
#define _cleanup_fw_ _cleanup_(fw_freep)

/* Add the tables of an `nft -j list ruleset` document (N bytes). On a
 * document that is not the nftables JSON schema returns -EINVAL and sets
 * *RET_ERROR (caller frees; may be NULL) to a message naming the position;
 * nothing is added then. Other errors: -E2BIG over FW_MAX_INPUT, -ENOMEM. */
int fw_add_nft_json(fw_t *fw, const char *data, size_t n, char **ret_error);

/* Add the *filter table of iptables-save (FAMILY AF_INET) or ip6tables-save
 * (AF_INET6) output. Lines that do not parse make their rule "unknown" and
 * are counted; a file that is not iptables-save output at all gives -EINVAL
 * with *RET_ERROR ("line N: ..."). Other errors: -E2BIG, -ENOMEM. */
int fw_add_iptables_save(fw_t *fw, const char *data, size_t n, int family, char **ret_error);

/* True when some table of FAMILY (AF_INET, AF_INET6) read from nftables
 * holds iptables-compat ("xt") expressions that nft cannot show, i.e. the
 * iptables-save view of that family says more. */
bool fw_nft_has_xt(const fw_t *fw, int family);

/* Remove the tables of FAMILY that were read from nftables and have the
 * given NAME (used to replace an iptables-nft table by its iptables-save
 * view). */
void fw_drop_nft_table(fw_t *fw, int family, const char *name);

/* Number of tables and of rules read, and of rules that hold something the
 * model cannot judge (for statistics). */
void fw_counts(const fw_t *fw, size_t *ret_tables, size_t *ret_rules, size_t *ret_unknown);

/* Read the running host's firewall: nftables through `nft -j list ruleset`,
 * and iptables-save/ip6tables-save when nft is missing or shows
 * iptables-compat expressions. Programs are run without a shell with
 * FW_CMD_TIMEOUT_MS and FW_MAX_INPUT. Returns 0 with *RET (caller frees) when
 * at least one source could be read; -ENOENT when no tool is installed,
 * -EACCES when none could be run successfully (e.g. not root), with
 * *RET_ERROR (caller frees; may be NULL) saying why. */
int fw_load_host(fw_t **ret, char **ret_error);

/* The answer for a new connection from an arbitrary source to PROTO
 * (IPPROTO_TCP or IPPROTO_UDP) port PORT over FAMILY (AF_INET or AF_INET6;
 * AF_UNSPEC asks both and returns the more reachable answer, for a socket
 * bound to "::" that also takes IPv4). */
fw_state_t fw_port_state(const fw_t *fw, int family, int proto, uint16_t port);

/* "none", "restricted", "unrestricted" or "unknown". */
const char *fw_state_name(fw_state_t s);
