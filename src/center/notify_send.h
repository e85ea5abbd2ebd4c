/* Transports for notifications: an HTTP POST of a JSON body (webhooks and
 * chat services) and mail over SMTP, both with libcurl, and syslog over UDP
 * or TCP with plain sockets.
 *
 * Every call is synchronous and bounded in time (NOTIFY_SEND_TIMEOUT_MS for
 * the whole exchange), so a dead receiver holds the notifier for at most
 * that long. Nothing is retried here: the notifier decides when to try
 * again. libcurl is told to speak only the protocols the channel allows
 * (http/https, smtp/smtps), never to follow redirects, and to verify TLS
 * certificates. Errors come back as a negative errno and, in *RET_ERROR, a
 * short message for the admin (caller frees; may quote the receiver's
 * answer, so escape it when printing). */
#pragma once

#include <stddef.h>

#include "center/notify_conf.h"

#define NOTIFY_SEND_TIMEOUT_MS 15000

/* POST N bytes of JSON BODY to URL. Returns 0 for a 2xx answer; -EPROTO for
 * another status, -EHOSTUNREACH / -ETIMEDOUT / -EIO for transport errors. */
int notify_send_http(const char *url, const char *body, size_t n, char **ret_error);

/* Send the message MSG (N bytes, CRLF lines, from notify_render_mail)
 * through CH's SMTP server to CH's recipients. Returns 0 or as above. */
int notify_send_mail(const notify_channel_t *ch, const char *msg, size_t n, char **ret_error);

/* Send N bytes of one syslog message to ADDRESS ("HOST:PORT", "[v6]:PORT")
 * over TCP (the message carries its octet-counting frame) or UDP (one
 * datagram). Returns 0, -EINVAL for a bad address, or a socket error. */
int notify_send_syslog(const char *address, bool tcp, const char *msg, size_t n, char **ret_error);
