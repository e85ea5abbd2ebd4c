#include "scan/vuln/cvss.h"

#include <errno.h>
#include <math.h> /* NAN only */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* One metric of a vector: its name, allowed values (NULL-terminated) and
 * whether it is a base metric (required, and used for the score). */
typedef struct metric_def {
        const char *name;
        const char *const *values;
        bool base;
} metric_def_t;

#define VALUES(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Parse "K:V/K:V/..." (S, modified in place) against DEFS into VALS (the
 * index of each metric's value, -1 when absent). */
static int parse_metrics(char *s, const metric_def_t *defs, size_t n, int *vals)
{
        char *save = NULL;

        for (size_t i = 0; i < n; i++)
                vals[i] = -1;
        if (!*s)
                return -EINVAL;
        for (char *part = s; part; part = save) {
                char *colon, *val;
                size_t k;
                save = strchr(part, '/');
                if (save)
                        *save++ = 0;
                colon = strchr(part, ':');
                if (!colon)
                        return -EINVAL;
                *colon = 0;
                val = colon + 1;
                for (k = 0; k < n; k++)
                        if (strcmp(defs[k].name, part) == 0)
                                break;
                if (k == n || vals[k] >= 0)
                        return -EINVAL; /* unknown or repeated metric */
                for (int v = 0; defs[k].values[v]; v++)
                        if (strcmp(defs[k].values[v], val) == 0) {
                                vals[k] = v;
                                break;
                        }
                if (vals[k] < 0)
                        return -EINVAL;
        }
        for (size_t i = 0; i < n; i++)
                if (defs[i].base && vals[i] < 0)
                        return -EINVAL;
        return 0;
}

static int copy_vector(const char *vector, const char *prefix, char *buf, size_t n)
{
        size_t plen = strlen(prefix);
        size_t len = strnlen(vector, CVSS_VECTOR_MAX + 1);

        if (len > CVSS_VECTOR_MAX || strncmp(vector, prefix, plen) != 0 || len - plen >= n)
                return -EINVAL;
        memcpy(buf, vector + plen, len - plen + 1);
        return 0;
}

/* vigil links without libm, so the few operations the formulas need are
 * written out here; every value they see is small (|x| < 2^52), where
 * these are exact. */
static double dfloor(double x)
{
        double t = (double)(long long)x;
        return t > x ? t - 1 : t;
}

static double dceil(double x)
{
        double t = (double)(long long)x;
        return t < x ? t + 1 : t;
}

static double dmin(double a, double b)
{
        return a < b ? a : b;
}

static double dmax(double a, double b)
{
        return a > b ? a : b;
}

/* Round half up to one decimal. */
static double round1(double x)
{
        return dfloor(x * 10.0 + 0.5) / 10.0;
}

/* ---- CVSS v2.0 ---- */

enum { V2_AV, V2_AC, V2_AU, V2_C, V2_I, V2_A };

static const metric_def_t v2_defs[] = {
        { "AV", VALUES("L", "A", "N"), true },
        { "AC", VALUES("H", "M", "L"), true },
        { "Au", VALUES("M", "S", "N"), true },
        { "C", VALUES("N", "P", "C"), true },
        { "I", VALUES("N", "P", "C"), true },
        { "A", VALUES("N", "P", "C"), true },
        { "E", VALUES("U", "POC", "F", "H", "ND"), false },
        { "RL", VALUES("OF", "TF", "W", "U", "ND"), false },
        { "RC", VALUES("UC", "UR", "C", "ND"), false },
        { "CDP", VALUES("N", "L", "LM", "MH", "H", "ND"), false },
        { "TD", VALUES("N", "L", "M", "H", "ND"), false },
        { "CR", VALUES("L", "M", "H", "ND"), false },
        { "IR", VALUES("L", "M", "H", "ND"), false },
        { "AR", VALUES("L", "M", "H", "ND"), false },
};

int cvss2_score(const char *vector, double *ret_score)
{
        static const double av[] = { 0.395, 0.646, 1.0 };
        static const double ac[] = { 0.35, 0.61, 0.71 };
        static const double au[] = { 0.45, 0.56, 0.704 };
        static const double cia[] = { 0.0, 0.275, 0.660 };
        char buf[CVSS_VECTOR_MAX + 1];
        int vals[ELEMENTSOF(v2_defs)];
        double impact, exploit, f;
        size_t len;
        int r;

        if ((r = copy_vector(vector, "", buf, sizeof(buf))) < 0)
                return r;
        len = strlen(buf);
        if (len >= 2 && buf[0] == '(' && buf[len - 1] == ')') {
                memmove(buf, buf + 1, len - 2);
                buf[len - 2] = 0;
        }
        if ((r = parse_metrics(buf, v2_defs, ELEMENTSOF(v2_defs), vals)) < 0)
                return r;
        impact =
                10.41 * (1 - (1 - cia[vals[V2_C]]) * (1 - cia[vals[V2_I]]) * (1 - cia[vals[V2_A]]));
        exploit = 20 * av[vals[V2_AV]] * ac[vals[V2_AC]] * au[vals[V2_AU]];
        f = impact == 0 ? 0 : 1.176;
        *ret_score = dmax(0.0, round1(((0.6 * impact) + (0.4 * exploit) - 1.5) * f));
        return 0;
}

/* ---- CVSS v3.0 / v3.1 ---- */

enum { V3_AV, V3_AC, V3_PR, V3_UI, V3_S, V3_C, V3_I, V3_A };

static const metric_def_t v3_defs[] = {
        { "AV", VALUES("N", "A", "L", "P"), true },
        { "AC", VALUES("L", "H"), true },
        { "PR", VALUES("N", "L", "H"), true },
        { "UI", VALUES("N", "R"), true },
        { "S", VALUES("U", "C"), true },
        { "C", VALUES("H", "L", "N"), true },
        { "I", VALUES("H", "L", "N"), true },
        { "A", VALUES("H", "L", "N"), true },
        { "E", VALUES("X", "U", "P", "F", "H"), false },
        { "RL", VALUES("X", "O", "T", "W", "U"), false },
        { "RC", VALUES("X", "U", "R", "C"), false },
        { "CR", VALUES("X", "L", "M", "H"), false },
        { "IR", VALUES("X", "L", "M", "H"), false },
        { "AR", VALUES("X", "L", "M", "H"), false },
        { "MAV", VALUES("X", "N", "A", "L", "P"), false },
        { "MAC", VALUES("X", "L", "H"), false },
        { "MPR", VALUES("X", "N", "L", "H"), false },
        { "MUI", VALUES("X", "N", "R"), false },
        { "MS", VALUES("X", "U", "C"), false },
        { "MC", VALUES("X", "N", "L", "H"), false },
        { "MI", VALUES("X", "N", "L", "H"), false },
        { "MA", VALUES("X", "N", "L", "H"), false },
};

/* CVSS v3.1 Roundup: the smallest number with one decimal that is >= X,
 * computed on integers so that e.g. 4.000000000000001 gives 4.0. */
static double roundup31(double x)
{
        long long i = (long long)dfloor(x * 100000.0 + 0.5);

        if (i % 10000 == 0)
                return (double)i / 100000.0;
        return (dfloor((double)i / 10000.0) + 1) / 10.0;
}

static double roundup30(double x)
{
        return dceil(x * 10.0) / 10.0;
}

int cvss3_score(const char *vector, double *ret_score, cvss_version_t *ret_version)
{
        static const double av[] = { 0.85, 0.62, 0.55, 0.2 };
        static const double ac[] = { 0.77, 0.44 };
        static const double pr_u[] = { 0.85, 0.62, 0.27 };
        static const double pr_c[] = { 0.85, 0.68, 0.5 };
        static const double ui[] = { 0.85, 0.62 };
        static const double cia[] = { 0.56, 0.22, 0.0 };
        char buf[CVSS_VECTOR_MAX + 1];
        int vals[ELEMENTSOF(v3_defs)];
        cvss_version_t version;
        double iss, impact, exploit, score;
        bool changed;
        int r;

        if (copy_vector(vector, "CVSS:3.1/", buf, sizeof(buf)) == 0)
                version = CVSS_V31;
        else if (copy_vector(vector, "CVSS:3.0/", buf, sizeof(buf)) == 0)
                version = CVSS_V30;
        else
                return -EINVAL;
        if ((r = parse_metrics(buf, v3_defs, ELEMENTSOF(v3_defs), vals)) < 0)
                return r;
        changed = vals[V3_S] == 1;
        iss = 1 - (1 - cia[vals[V3_C]]) * (1 - cia[vals[V3_I]]) * (1 - cia[vals[V3_A]]);
        if (changed)
                impact = 7.52 * (iss - 0.029) - 3.25 * __builtin_powi(iss - 0.02, 15);
        else
                impact = 6.42 * iss;
        exploit = 8.22 * av[vals[V3_AV]] * ac[vals[V3_AC]] * (changed ? pr_c : pr_u)[vals[V3_PR]] *
                  ui[vals[V3_UI]];
        if (impact <= 0)
                score = 0;
        else if (changed)
                score = dmin(1.08 * (impact + exploit), 10);
        else
                score = dmin(impact + exploit, 10);
        if (impact > 0)
                score = version == CVSS_V31 ? roundup31(score) : roundup30(score);
        *ret_score = score;
        if (ret_version)
                *ret_version = version;
        return 0;
}

/* ---- CVSS v4.0 ---- */

enum {
        V4_AV,
        V4_AC,
        V4_AT,
        V4_PR,
        V4_UI,
        V4_VC,
        V4_VI,
        V4_VA,
        V4_SC,
        V4_SI,
        V4_SA,
};

static const metric_def_t v4_defs[] = {
        { "AV", VALUES("N", "A", "L", "P"), true },
        { "AC", VALUES("L", "H"), true },
        { "AT", VALUES("N", "P"), true },
        { "PR", VALUES("N", "L", "H"), true },
        { "UI", VALUES("N", "P", "A"), true },
        { "VC", VALUES("H", "L", "N"), true },
        { "VI", VALUES("H", "L", "N"), true },
        { "VA", VALUES("H", "L", "N"), true },
        { "SC", VALUES("H", "L", "N"), true },
        { "SI", VALUES("H", "L", "N"), true },
        { "SA", VALUES("H", "L", "N"), true },
        { "E", VALUES("X", "A", "P", "U"), false },
        { "CR", VALUES("X", "H", "M", "L"), false },
        { "IR", VALUES("X", "H", "M", "L"), false },
        { "AR", VALUES("X", "H", "M", "L"), false },
        { "MAV", VALUES("X", "N", "A", "L", "P"), false },
        { "MAC", VALUES("X", "L", "H"), false },
        { "MAT", VALUES("X", "N", "P"), false },
        { "MPR", VALUES("X", "N", "L", "H"), false },
        { "MUI", VALUES("X", "N", "P", "A"), false },
        { "MVC", VALUES("X", "H", "L", "N"), false },
        { "MVI", VALUES("X", "H", "L", "N"), false },
        { "MVA", VALUES("X", "H", "L", "N"), false },
        { "MSC", VALUES("X", "H", "L", "N"), false },
        { "MSI", VALUES("X", "S", "H", "L", "N"), false },
        { "MSA", VALUES("X", "S", "H", "L", "N"), false },
        { "S", VALUES("X", "N", "P"), false },
        { "AU", VALUES("X", "N", "Y"), false },
        { "R", VALUES("X", "A", "U", "I"), false },
        { "V", VALUES("X", "D", "C"), false },
        { "RE", VALUES("X", "L", "M", "H"), false },
        { "U", VALUES("X", "Clear", "Green", "Amber", "Red"), false },
};

/* The score of each MacroVector (EQ1..EQ6) in tenths, from the table FIRST
 * publishes with the CVSS v4.0 specification; 0 marks a MacroVector that
 * does not exist (EQ3=2 only occurs with EQ6=1). */
#define I4(a, b, c, d, e, f) ((((((a)*2 + (b)) * 3 + (c)) * 3 + (d)) * 3 + (e)) * 2 + (f))
static const unsigned char v4_lookup[3 * 2 * 3 * 3 * 3 * 2] = {
        [I4(0, 0, 0, 0, 0, 0)] = 100, [I4(0, 0, 0, 0, 0, 1)] = 99, [I4(0, 0, 0, 0, 1, 0)] = 98,
        [I4(0, 0, 0, 0, 1, 1)] = 95,  [I4(0, 0, 0, 0, 2, 0)] = 95, [I4(0, 0, 0, 0, 2, 1)] = 92,
        [I4(0, 0, 0, 1, 0, 0)] = 100, [I4(0, 0, 0, 1, 0, 1)] = 96, [I4(0, 0, 0, 1, 1, 0)] = 93,
        [I4(0, 0, 0, 1, 1, 1)] = 87,  [I4(0, 0, 0, 1, 2, 0)] = 91, [I4(0, 0, 0, 1, 2, 1)] = 81,
        [I4(0, 0, 0, 2, 0, 0)] = 93,  [I4(0, 0, 0, 2, 0, 1)] = 90, [I4(0, 0, 0, 2, 1, 0)] = 89,
        [I4(0, 0, 0, 2, 1, 1)] = 80,  [I4(0, 0, 0, 2, 2, 0)] = 81, [I4(0, 0, 0, 2, 2, 1)] = 68,
        [I4(0, 0, 1, 0, 0, 0)] = 98,  [I4(0, 0, 1, 0, 0, 1)] = 95, [I4(0, 0, 1, 0, 1, 0)] = 95,
        [I4(0, 0, 1, 0, 1, 1)] = 92,  [I4(0, 0, 1, 0, 2, 0)] = 90, [I4(0, 0, 1, 0, 2, 1)] = 84,
        [I4(0, 0, 1, 1, 0, 0)] = 93,  [I4(0, 0, 1, 1, 0, 1)] = 92, [I4(0, 0, 1, 1, 1, 0)] = 89,
        [I4(0, 0, 1, 1, 1, 1)] = 81,  [I4(0, 0, 1, 1, 2, 0)] = 81, [I4(0, 0, 1, 1, 2, 1)] = 65,
        [I4(0, 0, 1, 2, 0, 0)] = 88,  [I4(0, 0, 1, 2, 0, 1)] = 80, [I4(0, 0, 1, 2, 1, 0)] = 78,
        [I4(0, 0, 1, 2, 1, 1)] = 70,  [I4(0, 0, 1, 2, 2, 0)] = 69, [I4(0, 0, 1, 2, 2, 1)] = 48,
        [I4(0, 0, 2, 0, 0, 1)] = 92,  [I4(0, 0, 2, 0, 1, 1)] = 82, [I4(0, 0, 2, 0, 2, 1)] = 72,
        [I4(0, 0, 2, 1, 0, 1)] = 79,  [I4(0, 0, 2, 1, 1, 1)] = 69, [I4(0, 0, 2, 1, 2, 1)] = 50,
        [I4(0, 0, 2, 2, 0, 1)] = 69,  [I4(0, 0, 2, 2, 1, 1)] = 55, [I4(0, 0, 2, 2, 2, 1)] = 27,
        [I4(0, 1, 0, 0, 0, 0)] = 99,  [I4(0, 1, 0, 0, 0, 1)] = 97, [I4(0, 1, 0, 0, 1, 0)] = 95,
        [I4(0, 1, 0, 0, 1, 1)] = 92,  [I4(0, 1, 0, 0, 2, 0)] = 92, [I4(0, 1, 0, 0, 2, 1)] = 85,
        [I4(0, 1, 0, 1, 0, 0)] = 95,  [I4(0, 1, 0, 1, 0, 1)] = 91, [I4(0, 1, 0, 1, 1, 0)] = 90,
        [I4(0, 1, 0, 1, 1, 1)] = 83,  [I4(0, 1, 0, 1, 2, 0)] = 84, [I4(0, 1, 0, 1, 2, 1)] = 71,
        [I4(0, 1, 0, 2, 0, 0)] = 92,  [I4(0, 1, 0, 2, 0, 1)] = 81, [I4(0, 1, 0, 2, 1, 0)] = 82,
        [I4(0, 1, 0, 2, 1, 1)] = 71,  [I4(0, 1, 0, 2, 2, 0)] = 72, [I4(0, 1, 0, 2, 2, 1)] = 53,
        [I4(0, 1, 1, 0, 0, 0)] = 95,  [I4(0, 1, 1, 0, 0, 1)] = 93, [I4(0, 1, 1, 0, 1, 0)] = 92,
        [I4(0, 1, 1, 0, 1, 1)] = 85,  [I4(0, 1, 1, 0, 2, 0)] = 85, [I4(0, 1, 1, 0, 2, 1)] = 73,
        [I4(0, 1, 1, 1, 0, 0)] = 92,  [I4(0, 1, 1, 1, 0, 1)] = 82, [I4(0, 1, 1, 1, 1, 0)] = 80,
        [I4(0, 1, 1, 1, 1, 1)] = 72,  [I4(0, 1, 1, 1, 2, 0)] = 70, [I4(0, 1, 1, 1, 2, 1)] = 59,
        [I4(0, 1, 1, 2, 0, 0)] = 84,  [I4(0, 1, 1, 2, 0, 1)] = 70, [I4(0, 1, 1, 2, 1, 0)] = 71,
        [I4(0, 1, 1, 2, 1, 1)] = 52,  [I4(0, 1, 1, 2, 2, 0)] = 50, [I4(0, 1, 1, 2, 2, 1)] = 30,
        [I4(0, 1, 2, 0, 0, 1)] = 86,  [I4(0, 1, 2, 0, 1, 1)] = 75, [I4(0, 1, 2, 0, 2, 1)] = 52,
        [I4(0, 1, 2, 1, 0, 1)] = 71,  [I4(0, 1, 2, 1, 1, 1)] = 52, [I4(0, 1, 2, 1, 2, 1)] = 29,
        [I4(0, 1, 2, 2, 0, 1)] = 63,  [I4(0, 1, 2, 2, 1, 1)] = 29, [I4(0, 1, 2, 2, 2, 1)] = 17,
        [I4(1, 0, 0, 0, 0, 0)] = 98,  [I4(1, 0, 0, 0, 0, 1)] = 95, [I4(1, 0, 0, 0, 1, 0)] = 94,
        [I4(1, 0, 0, 0, 1, 1)] = 87,  [I4(1, 0, 0, 0, 2, 0)] = 91, [I4(1, 0, 0, 0, 2, 1)] = 81,
        [I4(1, 0, 0, 1, 0, 0)] = 94,  [I4(1, 0, 0, 1, 0, 1)] = 89, [I4(1, 0, 0, 1, 1, 0)] = 86,
        [I4(1, 0, 0, 1, 1, 1)] = 74,  [I4(1, 0, 0, 1, 2, 0)] = 77, [I4(1, 0, 0, 1, 2, 1)] = 64,
        [I4(1, 0, 0, 2, 0, 0)] = 87,  [I4(1, 0, 0, 2, 0, 1)] = 75, [I4(1, 0, 0, 2, 1, 0)] = 74,
        [I4(1, 0, 0, 2, 1, 1)] = 63,  [I4(1, 0, 0, 2, 2, 0)] = 63, [I4(1, 0, 0, 2, 2, 1)] = 49,
        [I4(1, 0, 1, 0, 0, 0)] = 94,  [I4(1, 0, 1, 0, 0, 1)] = 89, [I4(1, 0, 1, 0, 1, 0)] = 88,
        [I4(1, 0, 1, 0, 1, 1)] = 77,  [I4(1, 0, 1, 0, 2, 0)] = 76, [I4(1, 0, 1, 0, 2, 1)] = 67,
        [I4(1, 0, 1, 1, 0, 0)] = 86,  [I4(1, 0, 1, 1, 0, 1)] = 76, [I4(1, 0, 1, 1, 1, 0)] = 74,
        [I4(1, 0, 1, 1, 1, 1)] = 58,  [I4(1, 0, 1, 1, 2, 0)] = 59, [I4(1, 0, 1, 1, 2, 1)] = 50,
        [I4(1, 0, 1, 2, 0, 0)] = 72,  [I4(1, 0, 1, 2, 0, 1)] = 57, [I4(1, 0, 1, 2, 1, 0)] = 57,
        [I4(1, 0, 1, 2, 1, 1)] = 52,  [I4(1, 0, 1, 2, 2, 0)] = 52, [I4(1, 0, 1, 2, 2, 1)] = 25,
        [I4(1, 0, 2, 0, 0, 1)] = 83,  [I4(1, 0, 2, 0, 1, 1)] = 70, [I4(1, 0, 2, 0, 2, 1)] = 54,
        [I4(1, 0, 2, 1, 0, 1)] = 65,  [I4(1, 0, 2, 1, 1, 1)] = 58, [I4(1, 0, 2, 1, 2, 1)] = 26,
        [I4(1, 0, 2, 2, 0, 1)] = 53,  [I4(1, 0, 2, 2, 1, 1)] = 21, [I4(1, 0, 2, 2, 2, 1)] = 13,
        [I4(1, 1, 0, 0, 0, 0)] = 95,  [I4(1, 1, 0, 0, 0, 1)] = 90, [I4(1, 1, 0, 0, 1, 0)] = 88,
        [I4(1, 1, 0, 0, 1, 1)] = 76,  [I4(1, 1, 0, 0, 2, 0)] = 76, [I4(1, 1, 0, 0, 2, 1)] = 70,
        [I4(1, 1, 0, 1, 0, 0)] = 90,  [I4(1, 1, 0, 1, 0, 1)] = 77, [I4(1, 1, 0, 1, 1, 0)] = 75,
        [I4(1, 1, 0, 1, 1, 1)] = 62,  [I4(1, 1, 0, 1, 2, 0)] = 61, [I4(1, 1, 0, 1, 2, 1)] = 53,
        [I4(1, 1, 0, 2, 0, 0)] = 77,  [I4(1, 1, 0, 2, 0, 1)] = 66, [I4(1, 1, 0, 2, 1, 0)] = 68,
        [I4(1, 1, 0, 2, 1, 1)] = 59,  [I4(1, 1, 0, 2, 2, 0)] = 52, [I4(1, 1, 0, 2, 2, 1)] = 30,
        [I4(1, 1, 1, 0, 0, 0)] = 89,  [I4(1, 1, 1, 0, 0, 1)] = 78, [I4(1, 1, 1, 0, 1, 0)] = 76,
        [I4(1, 1, 1, 0, 1, 1)] = 67,  [I4(1, 1, 1, 0, 2, 0)] = 62, [I4(1, 1, 1, 0, 2, 1)] = 58,
        [I4(1, 1, 1, 1, 0, 0)] = 74,  [I4(1, 1, 1, 1, 0, 1)] = 59, [I4(1, 1, 1, 1, 1, 0)] = 57,
        [I4(1, 1, 1, 1, 1, 1)] = 57,  [I4(1, 1, 1, 1, 2, 0)] = 47, [I4(1, 1, 1, 1, 2, 1)] = 23,
        [I4(1, 1, 1, 2, 0, 0)] = 61,  [I4(1, 1, 1, 2, 0, 1)] = 52, [I4(1, 1, 1, 2, 1, 0)] = 57,
        [I4(1, 1, 1, 2, 1, 1)] = 29,  [I4(1, 1, 1, 2, 2, 0)] = 24, [I4(1, 1, 1, 2, 2, 1)] = 16,
        [I4(1, 1, 2, 0, 0, 1)] = 71,  [I4(1, 1, 2, 0, 1, 1)] = 59, [I4(1, 1, 2, 0, 2, 1)] = 30,
        [I4(1, 1, 2, 1, 0, 1)] = 58,  [I4(1, 1, 2, 1, 1, 1)] = 26, [I4(1, 1, 2, 1, 2, 1)] = 15,
        [I4(1, 1, 2, 2, 0, 1)] = 23,  [I4(1, 1, 2, 2, 1, 1)] = 13, [I4(1, 1, 2, 2, 2, 1)] = 6,
        [I4(2, 0, 0, 0, 0, 0)] = 93,  [I4(2, 0, 0, 0, 0, 1)] = 87, [I4(2, 0, 0, 0, 1, 0)] = 86,
        [I4(2, 0, 0, 0, 1, 1)] = 72,  [I4(2, 0, 0, 0, 2, 0)] = 75, [I4(2, 0, 0, 0, 2, 1)] = 58,
        [I4(2, 0, 0, 1, 0, 0)] = 86,  [I4(2, 0, 0, 1, 0, 1)] = 74, [I4(2, 0, 0, 1, 1, 0)] = 74,
        [I4(2, 0, 0, 1, 1, 1)] = 61,  [I4(2, 0, 0, 1, 2, 0)] = 56, [I4(2, 0, 0, 1, 2, 1)] = 34,
        [I4(2, 0, 0, 2, 0, 0)] = 70,  [I4(2, 0, 0, 2, 0, 1)] = 54, [I4(2, 0, 0, 2, 1, 0)] = 52,
        [I4(2, 0, 0, 2, 1, 1)] = 40,  [I4(2, 0, 0, 2, 2, 0)] = 40, [I4(2, 0, 0, 2, 2, 1)] = 22,
        [I4(2, 0, 1, 0, 0, 0)] = 85,  [I4(2, 0, 1, 0, 0, 1)] = 75, [I4(2, 0, 1, 0, 1, 0)] = 74,
        [I4(2, 0, 1, 0, 1, 1)] = 55,  [I4(2, 0, 1, 0, 2, 0)] = 62, [I4(2, 0, 1, 0, 2, 1)] = 51,
        [I4(2, 0, 1, 1, 0, 0)] = 72,  [I4(2, 0, 1, 1, 0, 1)] = 57, [I4(2, 0, 1, 1, 1, 0)] = 55,
        [I4(2, 0, 1, 1, 1, 1)] = 41,  [I4(2, 0, 1, 1, 2, 0)] = 46, [I4(2, 0, 1, 1, 2, 1)] = 19,
        [I4(2, 0, 1, 2, 0, 0)] = 53,  [I4(2, 0, 1, 2, 0, 1)] = 36, [I4(2, 0, 1, 2, 1, 0)] = 34,
        [I4(2, 0, 1, 2, 1, 1)] = 19,  [I4(2, 0, 1, 2, 2, 0)] = 19, [I4(2, 0, 1, 2, 2, 1)] = 8,
        [I4(2, 0, 2, 0, 0, 1)] = 64,  [I4(2, 0, 2, 0, 1, 1)] = 51, [I4(2, 0, 2, 0, 2, 1)] = 20,
        [I4(2, 0, 2, 1, 0, 1)] = 47,  [I4(2, 0, 2, 1, 1, 1)] = 21, [I4(2, 0, 2, 1, 2, 1)] = 11,
        [I4(2, 0, 2, 2, 0, 1)] = 24,  [I4(2, 0, 2, 2, 1, 1)] = 9,  [I4(2, 0, 2, 2, 2, 1)] = 4,
        [I4(2, 1, 0, 0, 0, 0)] = 88,  [I4(2, 1, 0, 0, 0, 1)] = 75, [I4(2, 1, 0, 0, 1, 0)] = 73,
        [I4(2, 1, 0, 0, 1, 1)] = 53,  [I4(2, 1, 0, 0, 2, 0)] = 60, [I4(2, 1, 0, 0, 2, 1)] = 50,
        [I4(2, 1, 0, 1, 0, 0)] = 73,  [I4(2, 1, 0, 1, 0, 1)] = 55, [I4(2, 1, 0, 1, 1, 0)] = 59,
        [I4(2, 1, 0, 1, 1, 1)] = 40,  [I4(2, 1, 0, 1, 2, 0)] = 41, [I4(2, 1, 0, 1, 2, 1)] = 20,
        [I4(2, 1, 0, 2, 0, 0)] = 54,  [I4(2, 1, 0, 2, 0, 1)] = 43, [I4(2, 1, 0, 2, 1, 0)] = 45,
        [I4(2, 1, 0, 2, 1, 1)] = 22,  [I4(2, 1, 0, 2, 2, 0)] = 20, [I4(2, 1, 0, 2, 2, 1)] = 11,
        [I4(2, 1, 1, 0, 0, 0)] = 75,  [I4(2, 1, 1, 0, 0, 1)] = 55, [I4(2, 1, 1, 0, 1, 0)] = 58,
        [I4(2, 1, 1, 0, 1, 1)] = 45,  [I4(2, 1, 1, 0, 2, 0)] = 40, [I4(2, 1, 1, 0, 2, 1)] = 21,
        [I4(2, 1, 1, 1, 0, 0)] = 61,  [I4(2, 1, 1, 1, 0, 1)] = 51, [I4(2, 1, 1, 1, 1, 0)] = 48,
        [I4(2, 1, 1, 1, 1, 1)] = 18,  [I4(2, 1, 1, 1, 2, 0)] = 20, [I4(2, 1, 1, 1, 2, 1)] = 9,
        [I4(2, 1, 1, 2, 0, 0)] = 46,  [I4(2, 1, 1, 2, 0, 1)] = 18, [I4(2, 1, 1, 2, 1, 0)] = 17,
        [I4(2, 1, 1, 2, 1, 1)] = 7,   [I4(2, 1, 1, 2, 2, 0)] = 8,  [I4(2, 1, 1, 2, 2, 1)] = 2,
        [I4(2, 1, 2, 0, 0, 1)] = 53,  [I4(2, 1, 2, 0, 1, 1)] = 24, [I4(2, 1, 2, 0, 2, 1)] = 14,
        [I4(2, 1, 2, 1, 0, 1)] = 24,  [I4(2, 1, 2, 1, 1, 1)] = 12, [I4(2, 1, 2, 1, 2, 1)] = 5,
        [I4(2, 1, 2, 2, 0, 1)] = 10,  [I4(2, 1, 2, 2, 1, 1)] = 3,  [I4(2, 1, 2, 2, 2, 1)] = 1,
};

/* Severity levels of metric values for the distance computation, in the
 * metric order the reference calculator sums them. Each table is indexed
 * by the value's letter. */
enum {
        L_AV,
        L_PR,
        L_UI,
        L_AC,
        L_AT,
        L_VC,
        L_VI,
        L_VA,
        L_SC,
        L_SI,
        L_SA,
        L_CR,
        L_IR,
        L_AR,
        L_E,
        L__N
};

/* A metric value as a letter for the level tables: AV N/A/L/P, PR N/L/H,
 * UI N/P/A, AC L/H, AT N/P, VC..SA H/L/N (S for the subsequent system's
 * safety), CR..AR H/M/L, E A/P/U. */
typedef char v4_vec_t[L__N];

static double level_of(int metric, char v)
{
        switch (metric) {
        case L_AV:
                return v == 'N' ? 0.0 : v == 'A' ? 0.1 : v == 'L' ? 0.2 : 0.3;
        case L_PR:
                return v == 'N' ? 0.0 : v == 'L' ? 0.1 : 0.2;
        case L_UI:
                return v == 'N' ? 0.0 : v == 'P' ? 0.1 : 0.2;
        case L_AC:
                return v == 'L' ? 0.0 : 0.1;
        case L_AT:
                return v == 'N' ? 0.0 : 0.1;
        case L_VC:
        case L_VI:
        case L_VA:
                return v == 'H' ? 0.0 : v == 'L' ? 0.1 : 0.2;
        case L_SC:
                return v == 'H' ? 0.1 : v == 'L' ? 0.2 : 0.3;
        case L_SI:
        case L_SA:
                return v == 'S' ? 0.0 : v == 'H' ? 0.1 : v == 'L' ? 0.2 : 0.3;
        case L_CR:
        case L_IR:
        case L_AR:
                return v == 'H' ? 0.0 : v == 'M' ? 0.1 : 0.2;
        default: /* L_E */
                return v == 'U' ? 0.2 : v == 'P' ? 0.1 : 0;
        }
}

/* The highest-severity vectors of each MacroVector part, as in the
 * specification's "max composed" lists. Strings give the letters of the
 * metrics the part covers, in the order named in the comment. */
static const char *const max_eq1[3][4] = {
        { "NNN", NULL }, /* AV PR UI */
        { "ANN", "NLN", "NNP", NULL },
        { "PNN", "ALP", NULL },
};
static const char *const max_eq2[2][3] = {
        { "LN", NULL }, /* AC AT */
        { "HN", "LP", NULL },
};
static const char *const max_eq3eq6[3][2][6] = {
        /* VC VI VA CR IR AR */
        { { "HHHHHH", NULL }, { "HHLMMH", "HHHMMM", NULL } },
        { { "LHHHHH", "HLHHHH", NULL },
          { "LHLHMH", "LHHHMM", "HLHMHM", "HLLMHH", "LLHHHM", NULL } },
        { { NULL }, { "LLLHHH", NULL } },
};
static const char *const max_eq4[3][2] = {
        { "HSS", NULL }, /* SC SI SA */
        { "HHH", NULL },
        { "LLL", NULL },
};
static const double max_severity_eq1[3] = { 1, 4, 5 };
static const double max_severity_eq2[2] = { 1, 2 };
static const double max_severity_eq3eq6[3][2] = { { 7, 6 }, { 8, 8 }, { 0, 10 } };
static const double max_severity_eq4[3] = { 6, 5, 4 };

static double lookup4(int e1, int e2, int e3, int e4, int e5, int e6)
{
        if (e1 > 2 || e2 > 1 || e3 > 2 || e4 > 2 || e5 > 2 || e6 > 1)
                return NAN;
        unsigned char t = v4_lookup[I4(e1, e2, e3, e4, e5, e6)];
        return t ? t / 10.0 : NAN;
}

int cvss4_score(const char *vector, double *ret_score)
{
        static const char letters[][4] = {
                [V4_AV] = "NALP", [V4_AC] = "LH",  [V4_AT] = "NP",  [V4_PR] = "NLH",
                [V4_UI] = "NPA",  [V4_VC] = "HLN", [V4_VI] = "HLN", [V4_VA] = "HLN",
                [V4_SC] = "HLN",  [V4_SI] = "HLN", [V4_SA] = "HLN",
        };
        const double step = 0.1;
        char buf[CVSS_VECTOR_MAX + 1];
        int vals[ELEMENTSOF(v4_defs)];
        char m[V4_SA + 1];
        v4_vec_t cur, best;
        double value, d[L__N] = { 0 }, sum = 0;
        double next_eq1, next_eq2, next_eq3eq6, next_eq4, next_eq5;
        int eq1, eq2, eq3, eq4, eq5, eq6, n_lower = 0, r;
        bool found = false;

        if (copy_vector(vector, "CVSS:4.0/", buf, sizeof(buf)) < 0)
                return -EINVAL;
        if ((r = parse_metrics(buf, v4_defs, ELEMENTSOF(v4_defs), vals)) < 0)
                return r;
        for (int i = V4_AV; i <= V4_SA; i++)
                m[i] = letters[i][vals[i]];

        /* No impact on any system: the score is 0 by definition. */
        if (m[V4_VC] == 'N' && m[V4_VI] == 'N' && m[V4_VA] == 'N' && m[V4_SC] == 'N' &&
            m[V4_SI] == 'N' && m[V4_SA] == 'N') {
                *ret_score = 0.0;
                return 0;
        }

        /* The base score takes the threat and environmental metrics as not
         * defined: E as Attacked, CR/IR/AR as High, no modified metrics. */
        if (m[V4_AV] == 'N' && m[V4_PR] == 'N' && m[V4_UI] == 'N')
                eq1 = 0;
        else if ((m[V4_AV] == 'N' || m[V4_PR] == 'N' || m[V4_UI] == 'N') && m[V4_AV] != 'P')
                eq1 = 1;
        else
                eq1 = 2;
        eq2 = m[V4_AC] == 'L' && m[V4_AT] == 'N' ? 0 : 1;
        if (m[V4_VC] == 'H' && m[V4_VI] == 'H')
                eq3 = 0;
        else if (m[V4_VC] == 'H' || m[V4_VI] == 'H' || m[V4_VA] == 'H')
                eq3 = 1;
        else
                eq3 = 2;
        eq4 = m[V4_SC] == 'H' || m[V4_SI] == 'H' || m[V4_SA] == 'H' ? 1 : 2;
        eq5 = 0;
        eq6 = m[V4_VC] == 'H' || m[V4_VI] == 'H' || m[V4_VA] == 'H' ? 0 : 1;

        value = lookup4(eq1, eq2, eq3, eq4, eq5, eq6);
        if (__builtin_isnan(value))
                return -EINVAL; /* cannot happen for a parsed vector */

        next_eq1 = lookup4(eq1 + 1, eq2, eq3, eq4, eq5, eq6);
        next_eq2 = lookup4(eq1, eq2 + 1, eq3, eq4, eq5, eq6);
        if (eq3 == 1 && eq6 == 1)
                next_eq3eq6 = lookup4(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
        else if (eq3 == 0 && eq6 == 1)
                next_eq3eq6 = lookup4(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
        else if (eq3 == 1 && eq6 == 0)
                next_eq3eq6 = lookup4(eq1, eq2, eq3, eq4, eq5, eq6 + 1);
        else if (eq3 == 0 && eq6 == 0) {
                /* Two ways down; the higher score counts (NaN when neither
                 * exists, as Math.max would give). */
                double left = lookup4(eq1, eq2, eq3, eq4, eq5, eq6 + 1);
                double right = lookup4(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
                next_eq3eq6 =
                        __builtin_isnan(left) || __builtin_isnan(right) ? NAN : dmax(left, right);
        } else
                next_eq3eq6 = NAN;
        next_eq4 = lookup4(eq1, eq2, eq3, eq4 + 1, eq5, eq6);
        next_eq5 = lookup4(eq1, eq2, eq3, eq4, eq5 + 1, eq6);

        /* The vector being scored, as letters per level metric. */
        cur[L_AV] = m[V4_AV];
        cur[L_PR] = m[V4_PR];
        cur[L_UI] = m[V4_UI];
        cur[L_AC] = m[V4_AC];
        cur[L_AT] = m[V4_AT];
        cur[L_VC] = m[V4_VC];
        cur[L_VI] = m[V4_VI];
        cur[L_VA] = m[V4_VA];
        cur[L_SC] = m[V4_SC];
        cur[L_SI] = m[V4_SI];
        cur[L_SA] = m[V4_SA];
        cur[L_CR] = cur[L_IR] = cur[L_AR] = 'H';
        cur[L_E] = 'A';

        /* Find the first highest-severity vector of this MacroVector that
         * is at least as severe as the scored one in every metric. */
        for (size_t a = 0; !found && max_eq1[eq1][a]; a++)
                for (size_t b = 0; !found && max_eq2[eq2][b]; b++)
                        for (size_t c = 0; !found && max_eq3eq6[eq3][eq6][c]; c++)
                                for (size_t e = 0; !found && max_eq4[eq4][e]; e++) {
                                        const char *p1 = max_eq1[eq1][a], *p2 = max_eq2[eq2][b];
                                        const char *p3 = max_eq3eq6[eq3][eq6][c];
                                        const char *p4 = max_eq4[eq4][e];
                                        bool ok = true;
                                        best[L_AV] = p1[0];
                                        best[L_PR] = p1[1];
                                        best[L_UI] = p1[2];
                                        best[L_AC] = p2[0];
                                        best[L_AT] = p2[1];
                                        best[L_VC] = p3[0];
                                        best[L_VI] = p3[1];
                                        best[L_VA] = p3[2];
                                        best[L_CR] = p3[3];
                                        best[L_IR] = p3[4];
                                        best[L_AR] = p3[5];
                                        best[L_SC] = p4[0];
                                        best[L_SI] = p4[1];
                                        best[L_SA] = p4[2];
                                        best[L_E] = 'A';
                                        for (int k = 0; k < L__N; k++) {
                                                d[k] = level_of(k, cur[k]) - level_of(k, best[k]);
                                                if (d[k] < 0)
                                                        ok = false;
                                        }
                                        found = ok;
                                }

        double dist_eq1 = d[L_AV] + d[L_PR] + d[L_UI];
        double dist_eq2 = d[L_AC] + d[L_AT];
        double dist_eq3eq6 = d[L_VC] + d[L_VI] + d[L_VA] + d[L_CR] + d[L_IR] + d[L_AR];
        double dist_eq4 = d[L_SC] + d[L_SI] + d[L_SA];
        double n1 = 0, n2 = 0, n3 = 0, n4 = 0, n5 = 0;

        if (!__builtin_isnan(value - next_eq1)) {
                n_lower++;
                n1 = (value - next_eq1) * (dist_eq1 / (max_severity_eq1[eq1] * step));
        }
        if (!__builtin_isnan(value - next_eq2)) {
                n_lower++;
                n2 = (value - next_eq2) * (dist_eq2 / (max_severity_eq2[eq2] * step));
        }
        if (!__builtin_isnan(value - next_eq3eq6)) {
                n_lower++;
                n3 = (value - next_eq3eq6) * (dist_eq3eq6 / (max_severity_eq3eq6[eq3][eq6] * step));
        }
        if (!__builtin_isnan(value - next_eq4)) {
                n_lower++;
                n4 = (value - next_eq4) * (dist_eq4 / (max_severity_eq4[eq4] * step));
        }
        if (!__builtin_isnan(value - next_eq5)) {
                /* EQ5 has one value per MacroVector: its distance is 0. */
                n_lower++;
                n5 = 0;
        }
        sum = n1 + n2 + n3 + n4 + n5;
        *ret_score = round1(dmax(0, dmin(10, value - (n_lower ? sum / n_lower : 0))));
        return 0;
}

int cvss_score(const char *vector, double *ret_score, cvss_version_t *ret_version)
{
        cvss_version_t v;
        double s;
        int r;

        if (!vector)
                return -EINVAL;
        if (strncmp(vector, "CVSS:4.0/", 9) == 0) {
                v = CVSS_V40;
                r = cvss4_score(vector, &s);
        } else if (strncmp(vector, "CVSS:3.", 7) == 0)
                r = cvss3_score(vector, &s, &v);
        else {
                v = CVSS_V2;
                r = cvss2_score(vector, &s);
        }
        if (r < 0)
                return r;
        if (ret_score)
                *ret_score = s;
        if (ret_version)
                *ret_version = v;
        return 0;
}

finding_level_t cvss_level(double score)
{
        if (score >= 7.0)
                return FINDING_HIGH;
        if (score >= 4.0)
                return FINDING_MEDIUM;
        return FINDING_LOW;
}

const char *cvss_version_name(cvss_version_t v)
{
        switch (v) {
        case CVSS_V2:
                return "2.0";
        case CVSS_V30:
                return "3.0";
        case CVSS_V31:
                return "3.1";
        default:
                return "4.0";
        }
}
