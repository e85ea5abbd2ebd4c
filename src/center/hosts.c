#include "center/hosts.h"

#include <errno.h>
#include <string.h>

#include "center/cutil.h"
#include "core/jsonx.h"

int hosts_count_findings(cdb_conn_t *c, int64_t host_id, hosts_counts_t *counts)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        cdb_param_t p[] = { CDB_INT(host_id) };
        int r;

        memset(counts->in.findings, 0, sizeof(counts->in.findings));
        counts->in.baseline_failures = 0;
        r = cdb_query(c,
                      "SELECT level, CASE WHEN category = 'baseline' THEN 1 ELSE 0 END, count(*)"
                      " FROM findings WHERE host_id = $1 AND status = 'open'"
                      " GROUP BY level, CASE WHEN category = 'baseline' THEN 1 ELSE 0 END",
                      p, 1, &res);
        if (r < 0)
                return r;
        while ((r = cdb_next(res)) > 0) {
                int64_t level = cdb_get_int(res, 0), n = cdb_get_int(res, 2);
                if (level >= 1 && level <= 3)
                        counts->in.findings[level] += (unsigned)n;
                if (cdb_get_int(res, 1))
                        counts->in.baseline_failures += (unsigned)n;
        }
        return r;
}

int hosts_count_alerts(cdb_conn_t *c, int64_t host_id, hosts_counts_t *counts)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        cdb_param_t p[] = { CDB_INT(host_id) };
        int r;

        memset(counts->in.alerts, 0, sizeof(counts->in.alerts));
        r = cdb_query(c,
                      "SELECT level, count(*) FROM alerts WHERE host_id = $1 AND status = 'open'"
                      " GROUP BY level",
                      p, 1, &res);
        if (r < 0)
                return r;
        while ((r = cdb_next(res)) > 0) {
                int64_t level = cdb_get_int(res, 0);
                if (level >= 1 && level <= 3)
                        counts->in.alerts[level] = (unsigned)cdb_get_int(res, 1);
        }
        return r;
}

int hosts_score(cdb_conn_t *c, int64_t host_id, int old_score, int64_t now_us,
                hosts_counts_t *counts)
{
        counts->score = score_compute(&counts->in);
        if (counts->score == old_score)
                return 0;
        cdb_param_t p[] = { CDB_INT(host_id), CDB_INT(cutil_hour(now_us)), CDB_INT(counts->score) };
        return cdb_exec(c,
                        "INSERT INTO score_history (host_id, bucket, score) VALUES ($1, $2, $3)"
                        " ON CONFLICT (host_id, bucket) DO UPDATE SET score = excluded.score",
                        p, ELEMENTSOF(p), NULL);
}

int hosts_recount(cdb_conn_t *c, int64_t host_id, int64_t now_us, int *ret_score)
{
        hosts_counts_t counts = { 0 };
        int64_t old = 0;
        int r;

        /* Lock the host's row before counting (as intake does), so that a
         * batch stored meanwhile is either counted here or waits for us. */
        cdb_param_t lp[] = { CDB_INT(host_id), CDB_INT(now_us) };
        r = cdb_query_int(c, "UPDATE hosts SET updated_at = $2 WHERE id = $1 RETURNING score", lp,
                          ELEMENTSOF(lp), &old);
        if (r < 0)
                return r;
        r = hosts_count_findings(c, host_id, &counts);
        if (r == 0)
                r = hosts_count_alerts(c, host_id, &counts);
        if (r == 0)
                r = hosts_score(c, host_id, (int)old, now_us, &counts);
        if (r < 0)
                return r;
        cdb_param_t u[] = {
                CDB_INT(host_id),
                CDB_INT(counts.in.findings[3]),
                CDB_INT(counts.in.findings[2]),
                CDB_INT(counts.in.findings[1]),
                CDB_INT(counts.in.baseline_failures),
                CDB_INT(counts.in.alerts[3]),
                CDB_INT(counts.in.alerts[2]),
                CDB_INT(counts.in.alerts[1]),
                CDB_INT(counts.score),
                CDB_INT(now_us),
        };
        r = cdb_exec(c,
                     "UPDATE hosts SET f_high = $2, f_medium = $3, f_low = $4, f_baseline = $5,"
                     " a_urgent = $6, a_suspicious = $7, a_reminder = $8, score = $9,"
                     " updated_at = $10 WHERE id = $1",
                     u, ELEMENTSOF(u), NULL);
        if (r < 0)
                return r;
        if (ret_score)
                *ret_score = counts.score;
        return 0;
}

bool hosts_online(int64_t last_seen_us, int64_t now_us, int64_t offline_after_us)
{
        return last_seen_us > 0 && now_us - last_seen_us <= offline_after_us;
}

static int set_text(json_t *o, const char *key, cdb_res_t *r, int col)
{
        const char *s = cdb_get_text(r, col);

        return json_object_set_new(o, key, s ? jsonx_string_lossy(s) : json_null());
}

json_t *hosts_row_json(cdb_res_t *r, int first, int64_t now_us, int64_t offline_after_us)
{
        json_t *o = json_object();
        int k = first, score;
        int64_t last_seen;
        bool online;
        int e = 0;

        if (!o)
                return NULL;
        e |= json_object_set_new(o, "id", json_integer(cdb_get_int(r, k++)));
        e |= set_text(o, "hostname", r, k++);
        e |= set_text(o, "os", r, k++);
        e |= set_text(o, "os_version", r, k++);
        e |= set_text(o, "arch", r, k++);
        e |= set_text(o, "kernel", r, k++);
        e |= set_text(o, "agent_version", r, k++);
        e |= json_object_set_new(o, "enrolled_at", cutil_json_time(cdb_get_int(r, k++)));
        last_seen = cdb_get_int(r, k++);
        e |= json_object_set_new(o, "last_seen", cutil_json_time(last_seen));
        e |= set_text(o, "last_ip", r, k++);
        e |= json_object_set_new(o, "revoked", json_boolean(cdb_get_int(r, k++) != 0));
        score = (int)cdb_get_int(r, k++);
        online = hosts_online(last_seen, now_us, offline_after_us);
        e |= json_object_set_new(o, "online", json_boolean(online));
        e |= json_object_set_new(o, "status", json_string(online ? "online" : "offline"));
        e |= json_object_set_new(o, "score", json_integer(score));
        e |= json_object_set_new(o, "band", json_string(score_band_name(score_band(score))));
        e |= json_object_set_new(o, "findings",
                                 json_pack("{s:I, s:I, s:I, s:I}", "high",
                                           (json_int_t)cdb_get_int(r, k), "medium",
                                           (json_int_t)cdb_get_int(r, k + 1), "low",
                                           (json_int_t)cdb_get_int(r, k + 2), "baseline",
                                           (json_int_t)cdb_get_int(r, k + 3)));
        k += 4;
        e |= json_object_set_new(o, "alerts",
                                 json_pack("{s:I, s:I, s:I}", "urgent",
                                           (json_int_t)cdb_get_int(r, k), "suspicious",
                                           (json_int_t)cdb_get_int(r, k + 1), "reminder",
                                           (json_int_t)cdb_get_int(r, k + 2)));
        k += 3;
        e |= json_object_set_new(o, "spool",
                                 json_pack("{s:I, s:I}", "items", (json_int_t)cdb_get_int(r, k),
                                           "bytes", (json_int_t)cdb_get_int(r, k + 1)));
        if (e) {
                json_decref(o);
                return NULL;
        }
        return o;
}

int hosts_fleet(cdb_conn_t *c, int64_t now_us, int64_t offline_after_us, hosts_fleet_t *ret)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        hosts_fleet_t f = { 0 };
        score_input_t in = { 0 };
        cdb_param_t p[] = { CDB_INT(now_us - offline_after_us) };
        int r;

        r = cdb_query(c,
                      "SELECT revoked, count(*),"
                      " sum(CASE WHEN last_seen >= $1 THEN 1 ELSE 0 END),"
                      " sum(spool_items), sum(spool_bytes),"
                      " sum(f_high), sum(f_medium), sum(f_low), sum(f_baseline),"
                      " sum(a_urgent), sum(a_suspicious), sum(a_reminder), sum(score),"
                      " sum(CASE WHEN score >= 95 THEN 1 ELSE 0 END),"
                      " sum(CASE WHEN score >= 85 AND score < 95 THEN 1 ELSE 0 END),"
                      " sum(CASE WHEN score >= 70 AND score < 85 THEN 1 ELSE 0 END),"
                      " sum(CASE WHEN score < 70 THEN 1 ELSE 0 END)"
                      " FROM hosts GROUP BY revoked",
                      p, 1, &res);
        if (r < 0)
                return r;
        while ((r = cdb_next(res)) > 0) {
                int64_t score_sum;
                if (cdb_get_int(res, 0) != 0) {
                        f.revoked += cdb_get_int(res, 1);
                        continue;
                }
                f.hosts = cdb_get_int(res, 1);
                f.online = cdb_get_int(res, 2);
                f.spool_items = cdb_get_int(res, 3);
                f.spool_bytes = cdb_get_int(res, 4);
                f.findings[3] = cdb_get_int(res, 5);
                f.findings[2] = cdb_get_int(res, 6);
                f.findings[1] = cdb_get_int(res, 7);
                f.baseline = cdb_get_int(res, 8);
                f.alerts[3] = cdb_get_int(res, 9);
                f.alerts[2] = cdb_get_int(res, 10);
                f.alerts[1] = cdb_get_int(res, 11);
                score_sum = cdb_get_int(res, 12);
                f.bands[SCORE_SECURE] = cdb_get_int(res, 13);
                f.bands[SCORE_FEW_RISKS] = cdb_get_int(res, 14);
                f.bands[SCORE_MANY_RISKS] = cdb_get_int(res, 15);
                f.bands[SCORE_HIGH_RISK] = cdb_get_int(res, 16);
                f.mean_score = f.hosts ? (double)score_sum / (double)f.hosts : SCORE_MAX;
        }
        if (r < 0)
                return r;
        if (f.hosts == 0)
                f.mean_score = SCORE_MAX;
        /* docs/score.md: the fleet score applies the host rules to the
         * fleet's open risks and alerts. */
        for (int l = 1; l <= 3; l++) {
                in.findings[l] = f.findings[l] > UINT32_MAX ? UINT32_MAX : (unsigned)f.findings[l];
                in.alerts[l] = f.alerts[l] > UINT32_MAX ? UINT32_MAX : (unsigned)f.alerts[l];
        }
        in.baseline_failures = f.baseline > UINT32_MAX ? UINT32_MAX : (unsigned)f.baseline;
        f.score = score_compute(&in);
        *ret = f;
        return 0;
}

int hosts_fleet_sample(cdb_conn_t *c, int64_t now_us, int64_t offline_after_us)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        hosts_fleet_t f;
        int64_t bucket = cutil_hour(now_us), added[4] = { 0 };
        int r;

        r = hosts_fleet(c, now_us, offline_after_us, &f);
        if (r < 0)
                return r;
        cdb_param_t q[] = { CDB_INT(bucket) };
        r = cdb_query(c, "SELECT level, sum(n) FROM alert_counts WHERE bucket = $1 GROUP BY level",
                      q, 1, &res);
        if (r < 0)
                return r;
        while ((r = cdb_next(res)) > 0) {
                int64_t l = cdb_get_int(res, 0);
                if (l >= 1 && l <= 3)
                        added[l] = cdb_get_int(res, 1);
        }
        cdb_res_free(TAKE_PTR(res));
        if (r < 0)
                return r;
        cdb_param_t p[] = {
                CDB_INT(bucket),        CDB_INT(f.score),       CDB_REAL(f.mean_score),
                CDB_INT(f.hosts),       CDB_INT(f.online),      CDB_INT(f.findings[3]),
                CDB_INT(f.findings[2]), CDB_INT(f.findings[1]), CDB_INT(f.alerts[3]),
                CDB_INT(f.alerts[2]),   CDB_INT(f.alerts[1]),   CDB_INT(added[3]),
                CDB_INT(added[2]),      CDB_INT(added[1]),      CDB_INT(now_us),
        };
        return cdb_exec(c,
                        "INSERT INTO fleet_history (bucket, score, mean_score, hosts, online,"
                        " f_high, f_medium, f_low, a_urgent, a_suspicious, a_reminder,"
                        " new_urgent, new_suspicious, new_reminder, updated_at)"
                        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
                        " ON CONFLICT (bucket) DO UPDATE SET score = excluded.score,"
                        " mean_score = excluded.mean_score, hosts = excluded.hosts,"
                        " online = excluded.online, f_high = excluded.f_high,"
                        " f_medium = excluded.f_medium, f_low = excluded.f_low,"
                        " a_urgent = excluded.a_urgent, a_suspicious = excluded.a_suspicious,"
                        " a_reminder = excluded.a_reminder, new_urgent = excluded.new_urgent,"
                        " new_suspicious = excluded.new_suspicious,"
                        " new_reminder = excluded.new_reminder, updated_at = excluded.updated_at",
                        p, ELEMENTSOF(p), NULL);
}
