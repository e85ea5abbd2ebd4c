/* What a notification says, for each kind of channel: the text people
 * read (mail, chat), the JSON bodies webhooks get, a complete mail message
 * (headers and base64 body), and an RFC 5424 syslog line.
 *
 * Input is a JSON array of one item (an immediate notification) or more (a
 * digest). Each item is an object the notifier builds from the database:
 *   {"kind": "alert"|"finding", "id", "level", "title", "host": {"id",
 *    "hostname"}, ...the alert's or finding's other fields}
 * Every string in it may come from a host and is treated as data: JSON
 * output is written by jansson (never by pasting strings), text output has
 * control characters replaced, mail headers get no CR or LF from it and
 * non-ASCII subjects are RFC 2047 encoded, syslog structured-data values
 * are escaped as RFC 5424 section 6.3.3 says.
 *
 * All functions append to OUT (a buf_t whose cap the caller chose) and
 * return 0, -E2BIG when OUT's cap would be passed, -EINVAL for an input of
 * the wrong shape, or -ENOMEM. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "center/notify_conf.h"
#include "core/buf.h"

/* Text longer than this is cut (at a character boundary) with a note
 * saying so: chat services refuse long messages, and the full item is one
 * click away in the console. */
#define NOTIFY_TEXT_MAX 4000
/* Items listed in one digest; the rest are counted. */
#define NOTIFY_DIGEST_MAX 50
/* The longest syslog line we send (RFC 5424 asks receivers for 2048 at
 * least; common ones take 8 KiB). */
#define NOTIFY_SYSLOG_MAX (8 * 1024)

/* The subject line: "[vigil] URGENT alert on web-1: title" or "[vigil] 3
 * new findings (digest)". Plain UTF-8 text, no control characters. */
int notify_render_subject(const json_t *items, buf_t *out);

/* The message text, several lines. SLACK escapes &, < and > as Slack's
 * mrkdwn wants. Cut at NOTIFY_TEXT_MAX bytes with a note when longer. */
int notify_render_text(const json_t *items, bool slack, buf_t *out);

/* The JSON body to POST for a webhook kind (NOTIFY_WEBHOOK, _SLACK,
 * _DINGTALK, _FEISHU). The generic webhook gets the item itself (one item)
 * or {"kind": "digest", "count": N, "items": [...]}; the chat services get
 * their text-message shape. */
int notify_render_webhook(notify_kind_t kind, const json_t *items, buf_t *out);

/* A complete RFC 5322 message for CH (From, To, Subject, Date, Message-ID,
 * MIME headers, base64 body) with CRLF line ends, dated NOW_US. MSGID is
 * the unique left part of the Message-ID (letters, digits, '.', '-'). */
int notify_render_mail(const notify_channel_t *ch, const json_t *items, int64_t now_us,
                       const char *msgid, buf_t *out);

/* One RFC 5424 syslog message for ITEM (an object) with CH's facility, sent
 * by HOSTNAME (the center's), at NOW_US. With CH->tcp the octet-counting
 * frame ("LEN SP MSG", RFC 6587 3.4.1) is included. */
int notify_render_syslog(const notify_channel_t *ch, const json_t *item, const char *hostname,
                         int64_t now_us, buf_t *out);
