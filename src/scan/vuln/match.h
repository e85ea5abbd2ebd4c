/* Matching: is an installed version inside an advisory's affected ranges,
 * and how the advisories that hit one package become findings.
 *
 * Range semantics are those of the OSV specification's evaluation
 * algorithm: a version is affected when it equals one of the explicit
 * versions, or when some range has it before all of its "limit" events (if
 * any) and, walking the range's events sorted by version ("introduced: 0"
 * first), the last event that applies is an "introduced" (v >= introduced
 * makes it affected, v >= fixed or v > last_affected makes it unaffected).
 * ECOSYSTEM ranges compare in the package's ecosystem, SEMVER ranges in
 * SemVer 2.0.
 *
 * Grouping (docs/vulnerabilities.md): advisories that bundle CVEs (DSA,
 * DLA, USN, GHSA, RHSA, ...) are reported once per package with all their
 * CVE ids; a per-CVE record (CVE-…, DEBIAN-CVE-…, UBUNTU-CVE-…, the Debian
 * tracker) whose CVE an advisory of the same package lists is folded into
 * that advisory; an advisory whose CVEs are all listed by others is folded
 * into the one sharing most; so no CVE is reported twice for one package. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/finding.h"
#include "inventory/version/vercmp.h"
#include "scan/vuln/feeddb.h"
#include "scan/vuln/fjson.h"

typedef struct match_result {
        bool affected;
        bool by_version_list; /* matched an explicit version, not a range */
        /* The fix for the range that matched: the version that fixed it, or
         * (when the range ends with last_affected) the last affected one;
         * both NULL when no fix is known. */
        const char *fixed;
        const char *last_affected;
} match_result_t;

/* Evaluate VERSION against AF (SCHEME orders its ECOSYSTEM ranges).
 * *RANGES_COMPARED (may be NULL) is increased by the ranges looked at.
 * Never fails: a version or event that does not parse still has a place in
 * every order (vercmp.h). Returns RET->affected. */
bool match_affected(version_scheme_t scheme, const char *version, const feed_affected_t *af,
                    match_result_t *ret, size_t *ranges_compared);

/* One advisory that hit a package, with what a finding needs. */
typedef struct match_hit {
        const char *id;      /* advisory id as stored */
        const char *source;  /* FEED_SOURCE_* */
        const char *summary; /* may be NULL */
        const feed_alias_t *aliases;
        size_t n_aliases;
        const char *fixed; /* as match_result_t */
        const char *last_affected;
        /* Severity inputs: the highest-scoring CVSS vector (score < 0 when
         * none), the advisory's severity word, the package's urgency. */
        double cvss_score;
        const char *cvss_vector;
        const char *severity;
        const char *urgency;
        const feed_ref_t *refs;
        size_t n_refs;
} match_hit_t;

typedef enum match_level_source {
        MATCH_LEVEL_CVSS,
        MATCH_LEVEL_SEVERITY, /* the feed's severity word */
        MATCH_LEVEL_URGENCY,  /* Debian tracker urgency */
        MATCH_LEVEL_DEFAULT,  /* nothing known: medium */
} match_level_source_t;

/* One finding: an advisory group (or a lone CVE) for one package. Arrays
 * and strings live in the arena given to match_group_hits. */
typedef struct match_group {
        const char *check; /* the group's advisory id, or the CVE id */
        const char **cves; /* CVE ids listed for this finding, sorted */
        size_t n_cves;
        const char **advisories; /* every advisory id folded in, the check first */
        size_t n_advisories;
        const char *summary;
        const char *fixed; /* highest known fixed version, or NULL */
        const char *last_affected;
        finding_level_t level;
        match_level_source_t level_source;
        double cvss_score; /* < 0 when none */
        const char *cvss_vector;
        const char *severity; /* the word that decided the level, if any */
        const char **refs;    /* URLs from the feeds, without duplicates */
        size_t n_refs;
} match_group_t;

/* Is ID a CVE id ("CVE-2024-1234")? */
bool match_is_cve(const char *id);

/* The finding level a severity word gives: critical/high/important ->
 * high; medium/moderate/not yet assigned/end-of-life -> medium;
 * low/negligible/unimportant -> low. Returns 0, or -ENOENT for another word. */
int match_word_level(const char *word, finding_level_t *ret);

/* Group the N hits of one package into findings (SCHEME orders fixed
 * versions). Returns 0 with *RET (in A) and *RET_N, or -ENOMEM/-E2BIG. */
int match_group_hits(version_scheme_t scheme, const match_hit_t *hits, size_t n, fj_arena_t *a,
                     match_group_t **ret, size_t *ret_n);
