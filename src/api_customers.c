/*
 * api_customers.c: the journaled public call of customers.c: argument
 * checks, the work (customers.c), the journal record.
 */
#include "orca_int.h"

int orca_customer_forget(orca_engine *e, uint64_t customer)
{
    int rc;
    if (!e || !customer)
        return ORCA_EINVAL;
    if (e->in_callback)
        return ORCA_EBUSY;
    if ((rc = cust_forget(e, customer)))
        return rc;
    return jrn_id(e, J_FORGET, customer);
}
