/* peer_common.c: see peer_common.h. */
#include "peer_common.h"

void peer_calls_init(peer_calls *pc)
{
    memset(pc, 0, sizeof *pc);
    pc->free_head = PEER_NIL;
    for (int i = 0; i < PEER_NPRIO; i++)
        pc->head[i] = pc->tail[i] = PEER_NIL;
}

void peer_calls_free(peer_calls *pc, bench_mem *m, size_t size)
{
    bench_mem_realloc(m, pc->recs, pc->cap * size, 0);
    pc->recs = NULL;
    pc->cap = 0;
}

int peer_calls_grow(peer_calls *pc, bench_mem *m, size_t size)
{
    void *q = bench_grow(m, pc->recs, &pc->cap, pc->cap + 1, size, 1024);
    if (q == NULL)
        return -1;
    pc->recs = q;
    return 0;
}
