/* The blocking response: drop all traffic from an attacking address for a
 * while, with nftables. vigil owns one table and touches nothing else:
 *
 *   table inet vigil {
 *           set blocked4 { type ipv4_addr; flags timeout; }
 *           set blocked6 { type ipv6_addr; flags timeout; }
 *           chain input {
 *                   type filter hook input priority -10; policy accept;
 *                   ip saddr @blocked4 drop
 *                   ip6 saddr @blocked6 drop
 *           }
 *   }
 *
 * A block is a set element with a timeout, so the kernel itself lifts it on
 * expiry: nothing has to run for a block to end, and a block outlives a
 * restart of the agent (not a reboot). The table is created (or repaired:
 * the chain's two rules are rewritten) in the same nft transaction as the
 * first block, so there is never a half-built table, and removed with
 * block_teardown.
 *
 * nft is run as a program (fork and execve through cmdrun, no shell, fixed
 * environment, time limit, output cap) rather than through libnftables:
 * no library to link into the agent, a crash or hang of nft cannot take
 * the agent down, and the dry-run text is exactly the command that would
 * run. The whole nft script is one argument, built only from validated
 * addresses, numbers and a sanitised comment.
 *
 * Never blocked: loopback, unspecified, multicast and broadcast addresses,
 * the host's own interface addresses and its default gateways (looked up at
 * each block, in the caller's network namespace), and the configured
 * allowlist (response.block.allowlist: addresses or CIDRs — put the admin
 * networks and the center there). Blocking is off unless enabled; with
 * dry_run, every call returns the command it would run and changes
 * nothing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/ipaddr.h"

#define BLOCK_TABLE "vigil"
/* Default block duration and the hard upper limit of any block. */
#define BLOCK_DEFAULT_DURATION (60 * 60)
#define BLOCK_MAX_DURATION     (12 * 60 * 60)
/* A reason longer than this is refused. */
#define BLOCK_REASON_MAX 128
/* Limits of one nft run. */
#define BLOCK_NFT_TIMEOUT_MS 10000
#define BLOCK_NFT_MAX_OUT    (16 * 1024 * 1024)
/* block_list reads at most this many elements. */
#define BLOCK_MAX_ENTRIES (1024 * 1024)

typedef struct block_opts {
        bool enabled;            /* false: block_ip refuses (-EOPNOTSUPP) */
        bool dry_run;            /* only return the commands */
        unsigned duration_s;     /* used when block_ip is asked for 0 seconds */
        unsigned max_duration_s; /* longer requests are refused; ≤ BLOCK_MAX_DURATION */
        const ipnet_t *allow;    /* never blocked; borrowed, copied by block_new */
        size_t n_allow;
        const char *nft_path; /* NULL: nft from the system directories */
        const char *proc_dir; /* NULL: "/proc" (for the default gateways) */
} block_opts_t;

/* Disabled, not dry-run, 1 h, at most 12 h, no allowlist. */
void block_opts_default(block_opts_t *o);

/* The blocker's settings from the configuration:
 *   response.block.enabled      false
 *   response.block.dry_run      false
 *   response.block.duration     3600 (seconds, or "1h"; at most max_duration)
 *   response.block.max_duration 43200 (at most 12 h)
 *   response.block.allowlist    [] (addresses or CIDRs never blocked)
 * OPTS.allow points into ALLOW, which the struct owns. */
typedef struct block_config {
        block_opts_t opts;
        ipnet_t *allow;
        size_t n_allow;
} block_config_t;

/* Returns 0, -EINVAL with *RET_ERROR naming the key (caller frees), or
 * -ENOMEM. Free with block_config_clear. */
int block_config_load(const config_t *c, block_config_t *ret, char **ret_error);
void block_config_clear(block_config_t *bc);

typedef struct blocker blocker_t;

/* Create a blocker. Returns 0, -EINVAL for inconsistent options (a duration
 * of 0 or over the maximum, a maximum over BLOCK_MAX_DURATION), -ENOENT when
 * blocking is enabled (not dry-run) and nft is not installed, -ENOMEM. */
int block_new(const block_opts_t *o, blocker_t **ret);
void block_free(blocker_t *b);
static inline void block_freep(blocker_t **b)
{
        block_free(*b);
}
#define _cleanup_blocker_ _cleanup_(block_freep)

/* block_config_load and block_new in one step (the detectors' usual way in).
 * Returns as either; *RET_ERROR (may be NULL; caller frees) names the key
 * of a bad setting. */
int block_new_from_config(const config_t *c, blocker_t **ret, char **ret_error);

bool block_enabled(const blocker_t *b);
bool block_dry_run(const blocker_t *b);

/* Whether IP may be blocked. Returns 0, or -EPERM with *RET_WHY (static
 * text, may be NULL) saying why not ("loopback", "an address of this host",
 * "a default gateway", "in response.block.allowlist", …), or the error of
 * looking up the host's addresses. */
int block_check(const blocker_t *b, const ipaddr_t *ip, const char **ret_why);

/* Block IP for SECONDS (0: the configured duration) with REASON (the rule,
 * e.g. "ssh.brute_force"; NULL for none) stored as the element's comment —
 * characters other than letters, digits and " ._:,/=@+-" become '_'.
 * Idempotent: an address already blocked for at least SECONDS more is left
 * as it is (nothing runs, *RET_CMD is set to NULL); otherwise its block is
 * set to SECONDS from now. *RET_CMD (may be NULL) gets the command run, or
 * in dry-run mode the command that would run; caller frees.
 * Returns 0; -EOPNOTSUPP when blocking is disabled; -EPERM for an address
 * that must not be blocked (see block_check); -ERANGE for SECONDS over the
 * maximum; -EINVAL for a bad reason; -EIO when nft failed (exit status not
 * 0: no permission, no nftables in the kernel); -ETIMEDOUT, -ENOENT (no nft),
 * -ENOMEM. */
int block_ip(blocker_t *b, const ipaddr_t *ip, unsigned seconds, const char *reason,
             char **ret_cmd);

/* Lift the block of IP now. Idempotent (an address not blocked, or no
 * table, is success with nothing run and *RET_CMD NULL). Honours dry-run.
 * Returns as block_ip, without -EOPNOTSUPP/-EPERM/-ERANGE. */
int block_remove(blocker_t *b, const ipaddr_t *ip, char **ret_cmd);

/* Delete the whole vigil table (all blocks end). Idempotent. Honours
 * dry-run. Returns as block_remove. */
int block_teardown(blocker_t *b, char **ret_cmd);

typedef struct block_entry {
        ipaddr_t addr;
        int64_t timeout_s; /* the block's length, 0 when the element has none */
        int64_t expires_s; /* seconds left, 0 when unknown */
        char comment[BLOCK_REASON_MAX + 1];
} block_entry_t;

/* The blocked addresses now (read with nft -j). No table means an empty
 * list. *RET is an array of *RET_N entries (caller frees; NULL when
 * empty). Returns 0, -EIO when nft failed, -EBADMSG when its output could
 * not be read, -ETIMEDOUT, -ENOENT (no nft), -ENOMEM. Works when blocking
 * is disabled; never changes anything. */
int block_list(blocker_t *b, block_entry_t **ret, size_t *ret_n);

/* Parse `nft -j list table inet vigil` (or list set) output of N bytes:
 * the elements of the sets blocked4 and blocked6 of table inet vigil.
 * Elements of another shape (ranges, prefixes) are skipped. Returns 0,
 * -EBADMSG when the text is not nftables JSON (with *RET_ERROR, may be
 * NULL, caller frees), -E2BIG over BLOCK_MAX_ENTRIES, -ENOMEM. */
int block_parse_list(const char *json, size_t n, block_entry_t **ret, size_t *ret_n,
                     char **ret_error);
