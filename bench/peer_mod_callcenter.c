/* peer_mod_callcenter.c: see peer_mod_callcenter.h. */
#include "peer_mod_callcenter.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* agents.status */
enum { MC_LOGGED_OUT = 0, MC_AVAILABLE = 1 };
/* members.state: Waiting, Trying (offered), Answered */
enum { MC_WAITING = 0, MC_TRYING = 1, MC_ANSWERED = 2 };
/* tiers.state */
enum { MC_TIER_READY = 0 };

#define MC_QUEUE 1
#define MC_MAXREQ 3

static const char schema[] =
    "CREATE TABLE agents ("
    " name INTEGER PRIMARY KEY,"          /* the agent's id */
    " status INTEGER NOT NULL,"           /* MC_LOGGED_OUT, MC_AVAILABLE */
    " capacity INTEGER NOT NULL,"         /* units */
    " used INTEGER NOT NULL,"             /* units offered, busy */
    " cnt0 INTEGER NOT NULL, cnt1 INTEGER NOT NULL, cnt2 INTEGER NOT NULL," /* per channel */
    " lim0 INTEGER NOT NULL, lim1 INTEGER NOT NULL, lim2 INTEGER NOT NULL,"
    " last_bridge_end INTEGER NOT NULL,"
    " last_offered_call INTEGER NOT NULL,"
    " calls_answered INTEGER NOT NULL,"
    " weight INTEGER NOT NULL,"
    " wr_key INTEGER NOT NULL);"
    "CREATE TABLE tiers ("
    " queue INTEGER NOT NULL, agent INTEGER NOT NULL, state INTEGER NOT NULL,"
    " level INTEGER NOT NULL, position INTEGER NOT NULL,"
    " PRIMARY KEY (queue, agent)) WITHOUT ROWID;"
    "CREATE TABLE agent_skills ("
    " agent INTEGER NOT NULL, skill INTEGER NOT NULL, level INTEGER NOT NULL,"
    " PRIMARY KEY (agent, skill)) WITHOUT ROWID;"
    "CREATE INDEX agent_skills_by_skill ON agent_skills (skill, level);"
    "CREATE TABLE members ("
    " uuid INTEGER PRIMARY KEY,"          /* the interaction's id */
    " queue INTEGER NOT NULL, state INTEGER NOT NULL,"
    " priority INTEGER NOT NULL, joined_epoch INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " channel INTEGER NOT NULL, cost INTEGER NOT NULL,"
    " serving_agent INTEGER,"
    " r1 INTEGER, l1 INTEGER, r2 INTEGER, l2 INTEGER, r3 INTEGER, l3 INTEGER);"
    "CREATE INDEX members_waiting ON members (queue, priority DESC, joined_epoch, seq)"
    " WHERE state = 0;";

struct mc_peer {
    mc_config cfg;
    sqlite3 *db;
    uint32_t *weight;          /* per agent index: configuration, not state */
    uint32_t nagents;
    size_t cap_agents;
    uint32_t *holders;         /* per skill: agents holding it (join order) */
    size_t cap_holders;
    uint64_t seq, offer_counter, rng, wr_clock;
    int bulk;                  /* inside mc_bulk_begin */
    sqlite3_stmt *begin, *commit;
    sqlite3_stmt *ins_agent, *ins_tier, *ins_skill, *ready, *agent_room;
    sqlite3_stmt *ins_member, *offer_member, *offer_agent;
    sqlite3_stmt *accept_member, *accept_agent;
    sqlite3_stmt *end_member, *end_agent, *abandon;
    sqlite3_stmt *arrival[WL_NCHANNELS][MC_MAXREQ + 1];
    sqlite3_stmt *release;
};

static void fail(const mc_peer *p, const char *what)
{
    fprintf(stderr, "orca-bench: mod_callcenter_style: %s: %s\n", what,
            p->db != NULL ? sqlite3_errmsg(p->db) : "no database");
    exit(1);
}

static void exec(mc_peer *p, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(p->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "orca-bench: mod_callcenter_style: %s: %s\n", sql,
                err != NULL ? err : "?");
        exit(1);
    }
}

static sqlite3_stmt *prep(mc_peer *p, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(p->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "orca-bench: mod_callcenter_style: cannot prepare %s: %s\n", sql,
                sqlite3_errmsg(p->db));
        exit(1);
    }
    return st;
}

/* Step a statement that returns no row (or ignore them), then reset it. */
static void run(mc_peer *p, sqlite3_stmt *st, const char *what)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    if (rc != SQLITE_DONE)
        fail(p, what);
    sqlite3_reset(st);
}

/* Step once: 1 with a row (the caller reads it, then resets), 0 without
 * (reset done). */
static int row(mc_peer *p, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc != SQLITE_DONE)
        fail(p, what);
    sqlite3_reset(st);
    return 0;
}

static void done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
}

static void tx_begin(mc_peer *p)
{
    if (!p->bulk)
        run(p, p->begin, "BEGIN");
}

static void tx_commit(mc_peer *p)
{
    if (!p->bulk)
        run(p, p->commit, "COMMIT");
}

static uint64_t draw(mc_peer *p, uint32_t weight)
{
    uint64_t x = bench_splitmix64(&p->rng);
    double u = (double)((x >> 11) + 1) * 0x1p-53;
    return (uint64_t)(-log(u) * 1e6 / (double)weight);
}

/* The strategy's ORDER BY column(s) between the tier level and
 * last_bridge_end; sumlv is the sum of the joined skill levels. */
static void strategy_order(orca_strategy s, const char *sumlv, char *buf, size_t len)
{
    switch (s) {
    case ORCA_STRATEGY_LEAST_OCCUPIED:
        snprintf(buf, len, "a.used, ");
        break;
    case ORCA_STRATEGY_MOST_PROFICIENT:
        snprintf(buf, len, "%s DESC, ", sumlv);
        break;
    case ORCA_STRATEGY_ROUND_ROBIN:
        snprintf(buf, len, "a.last_offered_call, ");
        break;
    case ORCA_STRATEGY_FEWEST_HANDLED:
        snprintf(buf, len, "a.calls_answered, ");
        break;
    case ORCA_STRATEGY_WEIGHTED_RANDOM:
        snprintf(buf, len, "a.wr_key, ");
        break;
    case ORCA_STRATEGY_LONGEST_IDLE:
    default:
        buf[0] = '\0';
        break;
    }
}

/* The arrival query for a member of channel ch needing n skills: the best
 * free agent of the queue, by tier level, then the strategy. */
static sqlite3_stmt *prep_arrival(mc_peer *p, uint32_t ch, uint32_t n)
{
    char joins[512] = "", sum[128] = "", order[160], sql[2048];
    size_t jl = 0, sl = 1;
    for (uint32_t i = 1; i <= n; i++) {
        jl += (size_t)snprintf(joins + jl, sizeof joins - jl,
                               " JOIN agent_skills s%u ON s%u.agent = a.name AND s%u.skill = ?%u"
                               " AND s%u.level >= ?%u",
                               i, i, i, 2 * i - 1, i, 2 * i);
        if (i == 1)
            sl = (size_t)snprintf(sum, sizeof sum, "(s1.level");
        else
            sl += (size_t)snprintf(sum + sl, sizeof sum - sl, " + s%u.level", i);
    }
    if (n > 0)
        snprintf(sum + sl, sizeof sum - sl, ")");
    strategy_order(p->cfg.strategy, sum, order, sizeof order);
    if (n == 0 && p->cfg.strategy == ORCA_STRATEGY_MOST_PROFICIENT)
        order[0] = '\0'; /* no required skill: every score is 0 */
    snprintf(sql, sizeof sql,
             "SELECT a.name FROM agents a"
             " JOIN tiers t ON t.agent = a.name AND t.queue = %d"
             "%s"
             " WHERE a.status = %d AND t.state = %d"
             " AND a.used + %u <= a.capacity AND a.cnt%u < a.lim%u"
             " ORDER BY t.level, %sa.last_bridge_end, t.position LIMIT 1",
             MC_QUEUE, joins, MC_AVAILABLE, MC_TIER_READY, wl_channel_cost[ch], ch, ch, order);
    return prep(p, sql);
}

static const char release_sql[] =
    "SELECT m.uuid FROM agents a"
    " JOIN tiers t ON t.agent = a.name AND t.queue = 1"
    " JOIN members m ON m.queue = 1"
    " WHERE a.name = ?1 AND a.status = 1 AND t.state = 0 AND m.state = 0"
    " AND a.used + m.cost <= a.capacity"
    " AND CASE m.channel WHEN 0 THEN a.cnt0 < a.lim0 WHEN 1 THEN a.cnt1 < a.lim1"
    "     ELSE a.cnt2 < a.lim2 END"
    " AND (m.r1 IS NULL OR EXISTS (SELECT 1 FROM agent_skills s WHERE s.agent = a.name"
    "      AND s.skill = m.r1 AND s.level >= m.l1))"
    " AND (m.r2 IS NULL OR EXISTS (SELECT 1 FROM agent_skills s WHERE s.agent = a.name"
    "      AND s.skill = m.r2 AND s.level >= m.l2))"
    " AND (m.r3 IS NULL OR EXISTS (SELECT 1 FROM agent_skills s WHERE s.agent = a.name"
    "      AND s.skill = m.r3 AND s.level >= m.l3))"
    " ORDER BY m.priority DESC, m.joined_epoch, m.seq LIMIT 1";

int mc_new(const mc_config *cfg, mc_peer **out)
{
    mc_peer *p = bench_mem_realloc(cfg->mem, NULL, 0, sizeof *p);
    if (p == NULL)
        return -1;
    memset(p, 0, sizeof *p);
    p->cfg = *cfg;
    p->rng = cfg->seed;
    if (sqlite3_open_v2(":memory:", &p->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        fprintf(stderr, "orca-bench: mod_callcenter_style: cannot open an in-memory "
                        "database: %s\n", p->db != NULL ? sqlite3_errmsg(p->db) : "?");
        sqlite3_close(p->db);
        bench_mem_realloc(cfg->mem, p, sizeof *p, 0);
        return -1;
    }
    exec(p, "PRAGMA temp_store = MEMORY");
    exec(p, schema);
    p->begin = prep(p, "BEGIN");
    p->commit = prep(p, "COMMIT");
    p->ins_agent = prep(p, "INSERT INTO agents (name, status, capacity, used, cnt0, cnt1, cnt2,"
                           " lim0, lim1, lim2, last_bridge_end, last_offered_call,"
                           " calls_answered, weight, wr_key)"
                           " VALUES (?1, 0, ?2, 0, 0, 0, 0, ?3, ?4, ?5, 0, 0, 0, ?6, ?7)");
    p->ins_tier = prep(p, "INSERT INTO tiers (queue, agent, state, level, position)"
                          " VALUES (1, ?1, 0, 1, ?2)");
    p->ins_skill = prep(p, "INSERT INTO agent_skills (agent, skill, level) VALUES (?1, ?2, ?3)");
    p->ready = prep(p, "UPDATE agents SET status = 1, last_bridge_end = ?2"
                       " WHERE name = ?1 AND status <> 1");
    p->agent_room = prep(p, "SELECT status, used, capacity FROM agents WHERE name = ?1");
    p->ins_member = prep(p, "INSERT INTO members (uuid, queue, state, priority, joined_epoch,"
                            " seq, channel, cost, serving_agent, r1, l1, r2, l2, r3, l3)"
                            " VALUES (?1, 1, 0, ?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8, ?9, ?10,"
                            " ?11, ?12)");
    p->offer_member = prep(p, "UPDATE members SET state = 1, serving_agent = ?2"
                              " WHERE uuid = ?1 RETURNING channel, cost");
    p->offer_agent = prep(p, "UPDATE agents SET used = used + ?2,"
                             " cnt0 = cnt0 + (?3 = 0), cnt1 = cnt1 + (?3 = 1),"
                             " cnt2 = cnt2 + (?3 = 2), last_offered_call = ?4,"
                             " wr_key = wr_key + ?5"
                             " WHERE name = ?1 RETURNING status, used, capacity, wr_key");
    p->accept_member = prep(p, "UPDATE members SET state = 2 WHERE uuid = ?1"
                               " RETURNING serving_agent");
    p->accept_agent = prep(p, "UPDATE agents SET calls_answered = calls_answered + 1"
                              " WHERE name = ?1");
    p->end_member = prep(p, "DELETE FROM members WHERE uuid = ?1"
                            " RETURNING serving_agent, channel, cost");
    p->end_agent = prep(p, "UPDATE agents SET used = used - ?2,"
                           " cnt0 = cnt0 - (?3 = 0), cnt1 = cnt1 - (?3 = 1),"
                           " cnt2 = cnt2 - (?3 = 2), last_bridge_end = ?4"
                           " WHERE name = ?1 RETURNING status, used, capacity");
    p->abandon = prep(p, "DELETE FROM members WHERE uuid = ?1");
    for (uint32_t c = 0; c < WL_NCHANNELS; c++)
        for (uint32_t n = 0; n <= MC_MAXREQ; n++)
            p->arrival[c][n] = prep_arrival(p, c, n);
    p->release = prep(p, release_sql);
    *out = p;
    return 0;
}

void mc_free(mc_peer *p)
{
    if (p == NULL)
        return;
    sqlite3_stmt *all[] = {p->begin, p->commit, p->ins_agent, p->ins_tier, p->ins_skill,
                           p->ready, p->agent_room, p->ins_member, p->offer_member,
                           p->offer_agent, p->accept_member, p->accept_agent,
                           p->end_member, p->end_agent, p->abandon, p->release};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        sqlite3_finalize(all[i]);
    for (uint32_t c = 0; c < WL_NCHANNELS; c++)
        for (uint32_t n = 0; n <= MC_MAXREQ; n++)
            sqlite3_finalize(p->arrival[c][n]);
    sqlite3_close(p->db);
    bench_mem *m = p->cfg.mem;
    bench_mem_realloc(m, p->weight, p->cap_agents * sizeof *p->weight, 0);
    bench_mem_realloc(m, p->holders, p->cap_holders * sizeof *p->holders, 0);
    bench_mem_realloc(m, p, sizeof *p, 0);
}

int mc_agent_add(mc_peer *p, const wl_agent *a, uint32_t capacity,
                 const uint32_t limits[WL_NCHANNELS])
{
    if (p->nagents == p->cap_agents) {
        uint32_t *nw = bench_grow(p->cfg.mem, p->weight, &p->cap_agents, p->nagents + 1,
                                  sizeof *nw, 64);
        if (nw == NULL)
            return -1;
        p->weight = nw;
    }
    for (uint32_t j = 0; j < a->nskills; j++) {
        uint32_t sk = a->skills[j].skill;
        if (sk >= p->cap_holders) {
            size_t old = p->cap_holders;
            uint32_t *nh = bench_grow(p->cfg.mem, p->holders, &p->cap_holders,
                                      (size_t)sk + 1, sizeof *nh, 64);
            if (nh == NULL)
                return -1;
            memset(nh + old, 0, (p->cap_holders - old) * sizeof *nh);
            p->holders = nh;
        }
        p->holders[sk]++;
    }
    uint32_t idx = p->nagents++;
    p->weight[idx] = a->weight;
    uint64_t key = p->wr_clock + draw(p, a->weight);
    tx_begin(p);
    sqlite3_bind_int64(p->ins_agent, 1, (sqlite3_int64)a->id);
    sqlite3_bind_int64(p->ins_agent, 2, capacity);
    for (int c = 0; c < WL_NCHANNELS; c++)
        sqlite3_bind_int64(p->ins_agent, 3 + c, limits[c]);
    sqlite3_bind_int64(p->ins_agent, 6, a->weight);
    sqlite3_bind_int64(p->ins_agent, 7, (sqlite3_int64)key);
    run(p, p->ins_agent, "INSERT INTO agents");
    sqlite3_bind_int64(p->ins_tier, 1, (sqlite3_int64)a->id);
    sqlite3_bind_int64(p->ins_tier, 2, (sqlite3_int64)a->id);
    run(p, p->ins_tier, "INSERT INTO tiers");
    for (uint32_t j = 0; j < a->nskills; j++) {
        sqlite3_bind_int64(p->ins_skill, 1, (sqlite3_int64)a->id);
        sqlite3_bind_int64(p->ins_skill, 2, a->skills[j].skill);
        sqlite3_bind_int64(p->ins_skill, 3, a->skills[j].level);
        run(p, p->ins_skill, "INSERT INTO agent_skills");
    }
    tx_commit(p);
    return 0;
}

/* Offer member uuid to agent `agent` (its id): two UPDATEs. Returns the
 * agent's status, used and capacity after the offer. */
static void offer(mc_peer *p, int64_t uuid, int64_t agent, int64_t *status, int64_t *used,
                  int64_t *capacity)
{
    sqlite3_bind_int64(p->offer_member, 1, uuid);
    sqlite3_bind_int64(p->offer_member, 2, agent);
    if (!row(p, p->offer_member, "UPDATE members (offer)"))
        fail(p, "offer: no such member");
    int ch = sqlite3_column_int(p->offer_member, 0);
    int64_t cost = sqlite3_column_int64(p->offer_member, 1);
    done(p->offer_member);
    uint64_t d = draw(p, p->weight[agent - 1]);
    sqlite3_bind_int64(p->offer_agent, 1, agent);
    sqlite3_bind_int64(p->offer_agent, 2, cost);
    sqlite3_bind_int(p->offer_agent, 3, ch);
    sqlite3_bind_int64(p->offer_agent, 4, (sqlite3_int64)++p->offer_counter);
    sqlite3_bind_int64(p->offer_agent, 5, (sqlite3_int64)d);
    if (!row(p, p->offer_agent, "UPDATE agents (offer)"))
        fail(p, "offer: no such agent");
    *status = sqlite3_column_int64(p->offer_agent, 0);
    *used = sqlite3_column_int64(p->offer_agent, 1);
    *capacity = sqlite3_column_int64(p->offer_agent, 2);
    /* orca: wr_clock = wr_key(a), then wr_key(a) += draw */
    p->wr_clock = (uint64_t)sqlite3_column_int64(p->offer_agent, 3) - d;
    done(p->offer_agent);
    if (p->cfg.offer != NULL)
        p->cfg.offer(p->cfg.offer_data, (uint64_t)uuid, (uint64_t)agent, (uint32_t)uuid,
                     (uint8_t)ch);
}

static uint32_t min_cost(void)
{
    uint32_t m = wl_channel_cost[0];
    for (int c = 1; c < WL_NCHANNELS; c++)
        if (wl_channel_cost[c] < m)
            m = wl_channel_cost[c];
    return m;
}

/* While the agent is Available and has room: one query for the best waiting
 * member it can take, and its offer. */
static void route_agent(mc_peer *p, int64_t agent, int64_t status, int64_t used,
                        int64_t capacity)
{
    int64_t least = min_cost();
    while (status == MC_AVAILABLE && used + least <= capacity) {
        sqlite3_bind_int64(p->release, 1, agent);
        if (!row(p, p->release, "release query"))
            return;
        int64_t uuid = sqlite3_column_int64(p->release, 0);
        done(p->release);
        offer(p, uuid, agent, &status, &used, &capacity);
    }
}

void mc_agent_ready(mc_peer *p, uint32_t idx, uint64_t now, int route)
{
    int64_t agent = (int64_t)idx + 1;
    tx_begin(p);
    sqlite3_bind_int64(p->ready, 1, agent);
    sqlite3_bind_int64(p->ready, 2, (sqlite3_int64)now);
    run(p, p->ready, "UPDATE agents (ready)");
    if (route) {
        sqlite3_bind_int64(p->agent_room, 1, agent);
        if (row(p, p->agent_room, "SELECT agents")) {
            int64_t status = sqlite3_column_int64(p->agent_room, 0);
            int64_t used = sqlite3_column_int64(p->agent_room, 1);
            int64_t capacity = sqlite3_column_int64(p->agent_room, 2);
            done(p->agent_room);
            route_agent(p, agent, status, used, capacity);
        }
    }
    tx_commit(p);
}

static uint32_t holders_of(const mc_peer *p, uint32_t skill)
{
    return skill < p->cap_holders ? p->holders[skill] : 0;
}

int mc_enqueue(mc_peer *p, const wl_interaction *it, uint64_t now, int route,
               uint32_t *handle)
{
    int64_t uuid = (int64_t)it->id;
    if (it->id > UINT32_MAX || it->nreq > MC_MAXREQ)
        return -1;
    tx_begin(p);
    sqlite3_stmt *st = p->ins_member;
    sqlite3_bind_int64(st, 1, uuid);
    sqlite3_bind_int(st, 2, it->priority);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)++p->seq);
    sqlite3_bind_int(st, 5, it->channel);
    sqlite3_bind_int(st, 6, (int)wl_channel_cost[it->channel]);
    for (uint32_t i = 0; i < MC_MAXREQ; i++) {
        if (i < it->nreq) {
            sqlite3_bind_int(st, 7 + 2 * (int)i, it->req[i].skill);
            sqlite3_bind_int(st, 8 + 2 * (int)i, it->req[i].level);
        } else {
            sqlite3_bind_null(st, 7 + 2 * (int)i);
            sqlite3_bind_null(st, 8 + 2 * (int)i);
        }
    }
    run(p, st, "INSERT INTO members");
    *handle = (uint32_t)uuid;
    if (route) {
        /* the rarest required skill first: the join starts from it */
        wl_skill_level req[MC_MAXREQ];
        uint32_t n = it->nreq;
        memcpy(req, it->req, n * sizeof *req);
        for (uint32_t i = 1; i < n; i++)
            for (uint32_t j = i; j > 0 && holders_of(p, req[j].skill) <
                                          holders_of(p, req[j - 1].skill); j--) {
                wl_skill_level tmp = req[j];
                req[j] = req[j - 1];
                req[j - 1] = tmp;
            }
        st = p->arrival[it->channel][n];
        for (uint32_t i = 0; i < n; i++) {
            sqlite3_bind_int(st, 1 + 2 * (int)i, req[i].skill);
            sqlite3_bind_int(st, 2 + 2 * (int)i, req[i].level);
        }
        if (row(p, st, "arrival query")) {
            int64_t agent = sqlite3_column_int64(st, 0);
            int64_t status, used, capacity;
            done(st);
            offer(p, uuid, agent, &status, &used, &capacity);
        }
    }
    tx_commit(p);
    return 0;
}

void mc_force_offer(mc_peer *p, uint32_t handle, uint32_t agent_idx)
{
    int64_t status, used, capacity;
    tx_begin(p);
    offer(p, handle, (int64_t)agent_idx + 1, &status, &used, &capacity);
    tx_commit(p);
}

void mc_accept(mc_peer *p, uint32_t handle)
{
    tx_begin(p);
    sqlite3_bind_int64(p->accept_member, 1, handle);
    if (!row(p, p->accept_member, "UPDATE members (accept)"))
        fail(p, "accept: no such member");
    int64_t agent = sqlite3_column_int64(p->accept_member, 0);
    done(p->accept_member);
    sqlite3_bind_int64(p->accept_agent, 1, agent);
    run(p, p->accept_agent, "UPDATE agents (accept)");
    tx_commit(p);
}

void mc_end(mc_peer *p, uint32_t handle, uint64_t now)
{
    tx_begin(p);
    sqlite3_bind_int64(p->end_member, 1, handle);
    if (!row(p, p->end_member, "DELETE FROM members (end)"))
        fail(p, "end: no such member");
    int64_t agent = sqlite3_column_int64(p->end_member, 0);
    int ch = sqlite3_column_int(p->end_member, 1);
    int64_t cost = sqlite3_column_int64(p->end_member, 2);
    done(p->end_member);
    sqlite3_bind_int64(p->end_agent, 1, agent);
    sqlite3_bind_int64(p->end_agent, 2, cost);
    sqlite3_bind_int(p->end_agent, 3, ch);
    sqlite3_bind_int64(p->end_agent, 4, (sqlite3_int64)now);
    if (!row(p, p->end_agent, "UPDATE agents (end)"))
        fail(p, "end: no such agent");
    int64_t status = sqlite3_column_int64(p->end_agent, 0);
    int64_t used = sqlite3_column_int64(p->end_agent, 1);
    int64_t capacity = sqlite3_column_int64(p->end_agent, 2);
    done(p->end_agent);
    route_agent(p, agent, status, used, capacity);
    tx_commit(p);
}

void mc_abandon(mc_peer *p, uint32_t handle)
{
    tx_begin(p);
    sqlite3_bind_int64(p->abandon, 1, handle);
    run(p, p->abandon, "DELETE FROM members (abandon)");
    tx_commit(p);
}

void mc_bulk_begin(mc_peer *p)
{
    if (p->bulk++ == 0)
        run(p, p->begin, "BEGIN");
}

void mc_bulk_end(mc_peer *p)
{
    if (p->bulk > 0 && --p->bulk == 0)
        run(p, p->commit, "COMMIT");
}

const char *mc_sqlite_version(void)
{
    return sqlite3_libversion();
}

size_t mc_live_bytes(const mc_peer *p)
{
    return (size_t)sqlite3_memory_used() + p->cfg.mem->live;
}

static void plan_of(mc_peer *p, sqlite3_stmt *st, char *buf, size_t len)
{
    char sql[2600];
    snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", sqlite3_sql(st));
    sqlite3_stmt *q = NULL;
    size_t at = 0;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(p->db, sql, -1, &q, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(q) == SQLITE_ROW && at + 1 < len) {
        const unsigned char *d = sqlite3_column_text(q, 3);
        at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? "; " : "",
                               d != NULL ? (const char *)d : "?");
    }
    sqlite3_finalize(q);
}

void mc_plans(mc_peer *p, char *arrival, size_t alen, char *release, size_t rlen)
{
    plan_of(p, p->arrival[WL_CHAT][2], arrival, alen);
    plan_of(p, p->release, release, rlen);
}
