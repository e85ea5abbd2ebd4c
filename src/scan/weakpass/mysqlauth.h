/* A minimal MySQL/MariaDB client that does one thing: try to log in with a
 * user name and password and say whether the server let it in. It speaks
 * the client/server protocol's handshake (protocol 10, HandshakeResponse41)
 * with the mysql_native_password and caching_sha2_password methods, follows
 * an authentication switch to either, and, when the server lets it in, asks
 * one read-only question (SELECT CURRENT_USER(), to learn which account
 * matched: an unknown user name may be let in by an anonymous account)
 * before it leaves with COM_QUIT. Other methods (ed25519, PAM, GSSAPI) are
 * reported as unsupported instead of being guessed at.
 *
 * It is written here rather than linked from libmariadb because the login
 * exchange is small, vigil needs no other part of the client library, and
 * the bytes a server sends are untrusted input: every packet is read with a
 * hard size cap and parsed by the functions below, which the fuzz target
 * drives directly.
 *
 * Every connection has a timeout for connect, each read and each write, so
 * a silent or slow server never stalls a scan. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest server packet accepted during login. */
#define MYSQLAUTH_PACKET_MAX   (64 * 1024)
#define MYSQLAUTH_SCRAMBLE_MAX 32

typedef struct mysqlauth_endpoint {
        const char *unix_path; /* Unix socket path on this host, or NULL for TCP */
        const char *host;      /* numeric IPv4 or IPv6 address (TCP) */
        uint16_t port;
} mysqlauth_endpoint_t;

typedef enum mysqlauth_outcome {
        MYSQLAUTH_ACCEPTED,    /* the server logged us in */
        MYSQLAUTH_DENIED,      /* the server refused these credentials */
        MYSQLAUTH_UNSUPPORTED, /* the account needs a method this client does not speak */
        MYSQLAUTH_REFUSED,     /* the server refused the connection before any login */
} mysqlauth_outcome_t;

typedef struct mysqlauth_result {
        mysqlauth_outcome_t outcome;
        unsigned error_code; /* server error number for DENIED/REFUSED, else 0 */
        char server_version[64];
        char plugin[64];        /* method asked for, when UNSUPPORTED */
        char message[160];      /* server's error text (printable ASCII only), may be empty */
        char current_user[160]; /* ACCEPTED: "user@host" the server matched, "" if unknown */
} mysqlauth_result_t;

/* Try to log in at EP as USER with PASSWORD ("" for none), waiting at most
 * TIMEOUT_MS for the connection and for each packet. Returns 0 and the
 * outcome in *RET, or a negative errno when no MySQL conversation was
 * possible: -ENOENT/-ECONNREFUSED (nothing listening), -ETIMEDOUT, -EPROTO
 * (the peer does not speak the protocol), -EINVAL (bad endpoint), -ENOMEM. */
int mysqlauth_try(const mysqlauth_endpoint_t *ep, const char *user, const char *password,
                  int timeout_ms, mysqlauth_result_t *ret);

/* The server's first packet, as far as the login needs it. */
typedef struct mysqlauth_handshake {
        uint8_t protocol;
        char server_version[64]; /* printable ASCII only */
        uint32_t capabilities;
        uint8_t scramble[MYSQLAUTH_SCRAMBLE_MAX];
        size_t scramble_len;
        char plugin[64];     /* default authentication method, may be empty */
        unsigned error_code; /* when the server sent an error instead (protocol 0xff) */
        char message[160];
} mysqlauth_handshake_t;

/* Parse the payload (without the 4-byte header) of the initial packet.
 * Returns 0 (for an error packet too: protocol is 0xff and error_code set),
 * or -EPROTO for anything malformed or of another protocol version. */
int mysqlauth_parse_handshake(const uint8_t *p, size_t n, mysqlauth_handshake_t *ret);

/* The kinds of reply to a login attempt. */
typedef enum mysqlauth_reply_kind {
        MYSQLAUTH_REPLY_OK,
        MYSQLAUTH_REPLY_ERR,
        MYSQLAUTH_REPLY_SWITCH,    /* AuthSwitchRequest: plugin and new scramble */
        MYSQLAUTH_REPLY_MORE_DATA, /* AuthMoreData: data[0..data_len) */
} mysqlauth_reply_kind_t;

typedef struct mysqlauth_reply {
        mysqlauth_reply_kind_t kind;
        unsigned error_code;
        char message[160];
        char plugin[64];
        uint8_t data[MYSQLAUTH_SCRAMBLE_MAX];
        size_t data_len;
} mysqlauth_reply_t;

/* Parse the payload of a reply to a login packet. Returns 0 or -EPROTO. */
int mysqlauth_parse_reply(const uint8_t *p, size_t n, mysqlauth_reply_t *ret);

/* Parse a text result-set row packet holding one string column into OUT
 * (printable ASCII kept, at most OUTLEN - 1 bytes). Returns 0, -ENODATA for
 * SQL NULL, or -EPROTO. */
int mysqlauth_parse_row(const uint8_t *p, size_t n, char *out, size_t outlen);

/* The response a method computes from PASSWORD and SCRAMBLE into OUT (room
 * for 32 bytes); its length in *RET_LEN (0 for the empty password). PLUGIN
 * is "mysql_native_password" or "caching_sha2_password". Returns 0 or
 * -EOPNOTSUPP for other methods. */
int mysqlauth_scramble(const char *plugin, const char *password, const uint8_t *scramble,
                       size_t scramble_len, uint8_t *out, size_t *ret_len);
