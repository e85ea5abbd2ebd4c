/* The read half of the REST API (JSON; docs/api.md):
 *
 *   GET /api/v1/overview                 fleet score and band, counts by level,
 *                                         trend, hosts needing attention
 *   GET /api/v1/hosts                    hosts, filtered and paged
 *   GET /api/v1/hosts/{id}               one host with its risks by category and
 *                                         alert timeline
 *   GET /api/v1/hosts/{id}/commands      commands queued for a host and their results
 *   GET /api/v1/findings                 risks, filtered (level, category, host,
 *                                         status, time) and paged
 *   GET /api/v1/alerts                   alerts, filtered (level, type, host,
 *                                         status, rule, time) and paged
 *   GET /api/v1/events                   events, filtered (host, type, time), paged
 *   GET /api/v1/scores/history           a host's or the fleet's score over time
 *
 * Lists use keyset pagination: each page ends with "next_cursor", an
 * opaque string to pass back as ?cursor= for the next page (null on the
 * last page), so paging stays fast and stable however deep it goes and
 * while new rows arrive. Filters take comma-separated lists where it makes
 * sense (?level=urgent,suspicious). Every string that came from a host is
 * returned as a JSON string, exactly as stored. */
#pragma once

#include <stddef.h>

#include "center/http.h"

#define API_READ_DEFAULT_LIMIT 100
#define API_READ_MAX_LIMIT     500

extern const http_route_t api_read_routes[];
extern const size_t api_read_n_routes;
