/*
 * test_metrics.c: orcad's /metrics body (server/metrics.c), without a
 * socket. A small centre on the virtual clock with traffic worked out by
 * hand; the text must parse line by line as Prometheus text format 0.0.4
 * (every sample's family announced by # HELP and # TYPE first, names and
 * labels well formed, values numbers) and hold the right families, labels
 * and values.
 */
#include "testutil.h"

#include <ctype.h>
#include <math.h>

#include "metrics.h"

static int name_ok(const char *p, size_t n)
{
    if (n == 0 || !(isalpha((unsigned char)p[0]) || p[0] == '_' || p[0] == ':'))
        return 0;
    for (size_t k = 1; k < n; k++)
        if (!(isalnum((unsigned char)p[k]) || p[k] == '_' || p[k] == ':'))
            return 0;
    return 1;
}

/* Labels {a="x",b="y"} from p; returns the char after '}' or NULL. */
static const char *labels_ok(const char *p)
{
    if (*p != '{')
        return p;
    p++;
    while (*p != '}') {
        const char *n = p;
        while (isalnum((unsigned char)*p) || *p == '_')
            p++;
        if (!name_ok(n, (size_t)(p - n)) || *p++ != '=' || *p++ != '"')
            return NULL;
        while (*p && *p != '"') {
            if (*p == '\\' && !(p[1] == '\\' || p[1] == '"' || p[1] == 'n'))
                return NULL;
            p += *p == '\\' ? 2 : 1;
        }
        if (*p++ != '"')
            return NULL;
        if (*p == ',')
            p++;
        else if (*p != '}')
            return NULL;
    }
    return p + 1;
}

/* Parse the whole text; fail at the first bad line. Returns the number
 * of samples. */
static int parse(const char *text)
{
    char typed[64][64];
    int ntyped = 0, samples = 0;
    char helped[64] = "";
    for (const char *line = text; *line;) {
        const char *eol = strchr(line, '\n');
        assert_non_null(eol); /* every line ends with a newline */
        char buf[1024];
        size_t len = (size_t)(eol - line);
        assert_true(len < sizeof buf);
        memcpy(buf, line, len);
        buf[len] = '\0';
        if (strncmp(buf, "# HELP ", 7) == 0) {
            const char *sp = strchr(buf + 7, ' ');
            assert_non_null(sp);
            assert_true(name_ok(buf + 7, (size_t)(sp - buf - 7)));
            snprintf(helped, sizeof helped, "%.*s", (int)(sp - buf - 7), buf + 7);
        } else if (strncmp(buf, "# TYPE ", 7) == 0) {
            char name[64], type[32];
            assert_int_equal(sscanf(buf + 7, "%63s %31s", name, type), 2);
            assert_string_equal(name, helped); /* HELP then TYPE, same family */
            assert_true(strcmp(type, "gauge") == 0 || strcmp(type, "counter") == 0);
            for (int k = 0; k < ntyped; k++)
                assert_string_not_equal(typed[k], name); /* one TYPE per family */
            assert_true(ntyped < 64);
            snprintf(typed[ntyped++], 64, "%s", name);
        } else {
            const char *p = buf;
            while (isalnum((unsigned char)*p) || *p == '_' || *p == ':')
                p++;
            assert_true(name_ok(buf, (size_t)(p - buf)));
            /* the sample belongs to the family typed last */
            assert_true(ntyped > 0);
            assert_int_equal((size_t)(p - buf), strlen(typed[ntyped - 1]));
            assert_memory_equal(buf, typed[ntyped - 1], (size_t)(p - buf));
            p = labels_ok(p);
            assert_non_null(p);
            assert_true(*p == ' ');
            char *end;
            double v = strtod(p + 1, &end);
            assert_true(end != p + 1 && *end == '\0');
            assert_false(isnan(v));
            samples++;
        }
        line = eol + 1;
    }
    return samples;
}

/* The value of the sample "name{labels}", which must be there once. */
static double value(const char *text, const char *series)
{
    size_t n = strlen(series);
    const char *hit = NULL;
    for (const char *p = text; (p = strstr(p, series)); p += n) {
        if ((p == text || p[-1] == '\n') && p[n] == ' ') {
            if (hit)
                fail_msg("%s twice", series);
            hit = p;
        }
    }
    if (!hit)
        fail_msg("no sample %s in:\n%s", series, text);
    return strtod(hit + n + 1, NULL);
}

static int has(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; (p = strstr(p, series)); p += n)
        if ((p == text || p[-1] == '\n') && p[n] == ' ')
            return 1;
    return 0;
}

typedef struct centre {
    tu_fx fx;
    orca_stats *s;
    orca_queue_id support, sales;
    tu_buf text;
} centre;

/* support (agent 1, READY) and sales (agent 2, NOT_READY); agent 3 is
 * OFFLINE. t=0: 101 on support/voice, offered to 1, accepted at 4 s (ASA
 * 4 s); t=4 s: 102 on support/voice waits (1 is busy); t=5 s: 201 on
 * sales/chat waits (nobody ready). Read at t=10 s. */
static void centre_new(centre *c)
{
    memset(c, 0, sizeof *c);
    orca_engine *e = tu_fx_new(&c->fx, NULL);
    tu_advance(e, 1000000);
    assert_int_equal(orca_stats_new(e, NULL, &c->s), ORCA_OK);
    orca_queue_def qd;
    orca_queue_def_init(&qd);
    qd.name = "support";
    qd.sla_ms = 20000; /* 101, answered after 4 s, is within it */
    c->support = tu_queue_def(e, &qd);
    c->sales = tu_queue(e, "sales", ORCA_STRATEGY_LONGEST_IDLE);
    for (uint64_t a = 1; a <= 3; a++)
        tu_agent(e, a, 100, NULL, 0);
    tu_member(e, c->support, 1, 0);
    tu_member(e, c->sales, 2, 0);
    tu_ready(e, 1);
    tu_notready(e, 2);
    tu_enqueue(e, 101, c->support, ORCA_CHANNEL_VOICE, 0);
    TU_OFFERED_TO(e, 101, 1);
    tu_advance(e, 1004000);
    assert_int_equal(orca_offer_accept(e, 101), ORCA_OK);
    tu_enqueue(e, 102, c->support, ORCA_CHANNEL_VOICE, 0);
    tu_advance(e, 1005000);
    tu_enqueue(e, 201, c->sales, ORCA_CHANNEL_CHAT, 0);
    tu_advance(e, 1010000);
    assert_int_equal(orcad_metrics_write(e, c->s, tu_buf_write, &c->text), ORCA_OK);
    assert_non_null(c->text.p);
}

static void centre_free(centre *c)
{
    free(c->text.p);
    assert_int_equal(orca_stats_free(c->s), ORCA_OK);
    tu_fx_free(&c->fx);
}

static void test_parses_as_prometheus_text(void **state)
{
    (void)state;
    centre c;
    centre_new(&c);
    /* 2 queues and 7 built-in channels in 8 families (EWT per queue only,
     * and only with answers in the window: support), + 4 agent states,
     * + 3 fairness families over all, support and the 7 channels (sales
     * has no agent with ready time: no sample) */
    int n = parse(c.text.p);
    assert_int_equal(n, 8 * (2 + 7) + 1 + 4 + 3 * (1 + 1 + 7));
    centre_free(&c);
}

static void test_families_and_values(void **state)
{
    (void)state;
    centre c;
    centre_new(&c);
    const char *t = c.text.p;
    static const char *const families[] = {
        "orca_waiting gauge", "orca_longest_wait_seconds gauge", "orca_service_level gauge",
        "orca_asa_seconds gauge", "orca_ewt_seconds gauge", "orca_entered_total counter",
        "orca_answered_total counter", "orca_abandoned_total counter",
        "orca_offers_total counter", "orca_agents gauge"
    };
    for (size_t k = 0; k < sizeof families / sizeof families[0]; k++) {
        char want[96];
        snprintf(want, sizeof want, "# TYPE %s\n", families[k]);
        if (!strstr(t, want))
            fail_msg("no '%s'", want);
    }
    assert_true(value(t, "orca_waiting{queue=\"support\"}") == 1);
    assert_true(value(t, "orca_waiting{queue=\"sales\"}") == 1);
    assert_true(value(t, "orca_waiting{channel=\"voice\"}") == 1);
    assert_true(value(t, "orca_waiting{channel=\"chat\"}") == 1);
    assert_true(value(t, "orca_waiting{channel=\"email\"}") == 0);
    assert_true(value(t, "orca_longest_wait_seconds{queue=\"support\"}") == 6.0);
    assert_true(value(t, "orca_longest_wait_seconds{queue=\"sales\"}") == 5.0);
    assert_true(value(t, "orca_asa_seconds{queue=\"support\"}") == 4.0);
    assert_true(value(t, "orca_asa_seconds{channel=\"voice\"}") == 4.0);
    assert_true(value(t, "orca_service_level{queue=\"support\"}") == 1.0);
    assert_true(value(t, "orca_service_level{queue=\"sales\"}") == 0.0); /* nothing counts yet */
    assert_true(value(t, "orca_entered_total{queue=\"support\"}") == 2);
    assert_true(value(t, "orca_answered_total{queue=\"support\"}") == 1);
    assert_true(value(t, "orca_answered_total{queue=\"sales\"}") == 0);
    assert_true(value(t, "orca_abandoned_total{queue=\"support\"}") == 0);
    assert_true(value(t, "orca_offers_total{queue=\"support\"}") == 1);
    assert_true(value(t, "orca_offers_total{channel=\"voice\"}") == 1);
    assert_true(value(t, "orca_offers_total{channel=\"chat\"}") == 0);
    /* EWT: support has an answer in the window, sales none (no estimate) */
    uint64_t ewt;
    assert_int_equal(orca_stats_ewt(c.s, c.support, &ewt), ORCA_OK);
    assert_true(fabs(value(t, "orca_ewt_seconds{queue=\"support\"}") - (double)ewt / 1000) < 1e-3);
    assert_false(has(t, "orca_ewt_seconds{queue=\"sales\"}"));
    assert_true(value(t, "orca_agents{state=\"working\"}") == 1);
    assert_true(value(t, "orca_agents{state=\"not_ready\"}") == 1);
    assert_true(value(t, "orca_agents{state=\"offline\"}") == 1);
    assert_true(value(t, "orca_agents{state=\"idle\"}") == 0);
    centre_free(&c);
}

/* Fairness over the window: in the centre only agent 1 has ready time
 * (working since it was offered 101), so every group it is in reads Gini
 * 0 and max/min 1; sales (agent 2, NOT_READY all along) has no sample.
 * Then agent 4 joins support, READY and idle for 10 s: support's
 * occupancies are 20/20 and 0/10, Gini |1 - 0| / (2 (1 + 0)) = 0.5, and
 * the max/min ratio is undefined (the lowest is 0), so it is absent. */
static void test_fairness(void **state)
{
    (void)state;
    centre c;
    centre_new(&c);
    const char *t = c.text.p;
    assert_non_null(strstr(t, "# TYPE orca_fairness_gini gauge\n"));
    assert_non_null(strstr(t, "# TYPE orca_fairness_max_min_ratio gauge\n"));
    assert_non_null(strstr(t, "# TYPE orca_fairness_handled_gini gauge\n"));
    assert_true(value(t, "orca_fairness_gini{group=\"all\"}") == 0.0);
    assert_true(value(t, "orca_fairness_max_min_ratio{group=\"all\"}") == 1.0);
    assert_true(value(t, "orca_fairness_gini{queue=\"support\"}") == 0.0);
    assert_true(value(t, "orca_fairness_max_min_ratio{channel=\"voice\"}") == 1.0);
    assert_false(has(t, "orca_fairness_gini{queue=\"sales\"}"));
    assert_false(has(t, "orca_fairness_max_min_ratio{queue=\"sales\"}"));

    orca_engine *e = c.fx.e;
    tu_agent(e, 4, 100, NULL, 0);
    tu_member(e, c.support, 4, 0);
    tu_ready(e, 4); /* 102 waits on voice: offered to 4 at once */
    assert_int_equal(orca_interaction_cancel(e, 102), ORCA_OK);
    tu_advance(e, 1020000);
    free(c.text.p);
    memset(&c.text, 0, sizeof c.text);
    assert_int_equal(orcad_metrics_write(e, c.s, tu_buf_write, &c.text), ORCA_OK);
    t = c.text.p;
    parse(t);
    orca_fairness f;
    assert_int_equal(orca_stats_fairness(c.s, ORCA_GROUP_QUEUE, c.support, ORCA_SPAN_WINDOW, &f),
                     ORCA_OK);
    assert_int_equal(f.agents, 2);
    assert_true(f.occ_gini == 0.5);
    assert_true(fabs(value(t, "orca_fairness_gini{queue=\"support\"}") - f.occ_gini) < 1e-6);
    assert_false(has(t, "orca_fairness_max_min_ratio{queue=\"support\"}"));
    centre_free(&c);
}

/* A removed queue's id is skipped and the queues after it are still
 * listed (the walk counts the live ones, not the ids). */
static void test_removed_queue_skipped(void **state)
{
    (void)state;
    centre c;
    centre_new(&c);
    orca_engine *e = c.fx.e;
    orca_queue_id q3 = tu_queue(e, "tiny", ORCA_STRATEGY_LONGEST_IDLE);
    orca_queue_id q4 = tu_queue(e, "late", ORCA_STRATEGY_LONGEST_IDLE);
    (void)q4;
    assert_int_equal(orca_queue_remove(e, q3), ORCA_OK);
    free(c.text.p);
    memset(&c.text, 0, sizeof c.text);
    assert_int_equal(orcad_metrics_write(e, c.s, tu_buf_write, &c.text), ORCA_OK);
    parse(c.text.p);
    assert_false(has(c.text.p, "orca_waiting{queue=\"tiny\"}"));
    assert_true(value(c.text.p, "orca_waiting{queue=\"late\"}") == 0);
    centre_free(&c);
}

static void test_bad_input(void **state)
{
    (void)state;
    centre c;
    centre_new(&c);
    tu_buf b = { 0 };
    assert_int_equal(orcad_metrics_write(NULL, c.s, tu_buf_write, &b), ORCA_EINVAL);
    assert_int_equal(orcad_metrics_write(c.fx.e, NULL, tu_buf_write, &b), ORCA_EINVAL);
    assert_int_equal(orcad_metrics_write(c.fx.e, c.s, NULL, &b), ORCA_EINVAL);
    assert_null(b.p); /* nothing written */
    centre_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parses_as_prometheus_text),
        cmocka_unit_test(test_families_and_values),
        cmocka_unit_test(test_fairness),
        cmocka_unit_test(test_removed_queue_skipped),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
