/* errors.c: version, error and event names. */
#include "orca.h"

const char *orca_version(void)
{
    return ORCA_VERSION_STRING;
}

const char *orca_strerror(int err)
{
    switch (err) {
    case ORCA_OK: return "success";
    case ORCA_EINVAL: return "invalid argument";
    case ORCA_ENOMEM: return "out of memory";
    case ORCA_ENOENT: return "no such id or name";
    case ORCA_EEXIST: return "id, name or journal file already exists";
    case ORCA_ESTATE: return "not allowed in the current state";
    case ORCA_ERANGE: return "value out of range";
    case ORCA_ELIMIT: return "configured limit reached";
    case ORCA_EFULL: return "queue is full";
    case ORCA_ETOOLONG: return "name too long";
    case ORCA_EBUSY: return "engine busy: called from a listener or withdraw callback";
    case ORCA_ECORRUPT: return "inconsistent: engine state, or a damaged journal";
    case ORCA_ECLOSED: return "queue is closed";
    case ORCA_EIO: return "journal I/O failed (the cause, an errno, is in orca_journal_info.os_error)";
    case ORCA_ELOCKED: return "the journal is in use by another engine";
    case ORCA_EVERSION: return "the journal's format is not one this version of orca reads";
    default: return "unknown error";
    }
}

static const char *const event_names[ORCA_EV_TYPE_COUNT] = {
    [ORCA_EV_ENQUEUED] = "enqueued",
    [ORCA_EV_OFFERED] = "offered",
    [ORCA_EV_ACCEPTED] = "accepted",
    [ORCA_EV_REJECTED] = "rejected",
    [ORCA_EV_OFFER_TIMEOUT] = "offer_timeout",
    [ORCA_EV_ENDED] = "ended",
    [ORCA_EV_COMPLETED] = "completed",
    [ORCA_EV_ABANDONED] = "abandoned",
    [ORCA_EV_CANCELLED] = "cancelled",
    [ORCA_EV_TIMED_OUT] = "timed_out",
    [ORCA_EV_REJECTED_FULL] = "rejected_full",
    [ORCA_EV_OVERFLOWED] = "overflowed",
    [ORCA_EV_STEP] = "step",
    [ORCA_EV_PRIORITY] = "priority",
    [ORCA_EV_AGENT_ADDED] = "agent_added",
    [ORCA_EV_AGENT_UPDATED] = "agent_updated",
    [ORCA_EV_AGENT_REMOVED] = "agent_removed",
    [ORCA_EV_AGENT_PRESENCE] = "agent_presence",
    [ORCA_EV_MEMBER_ADDED] = "member_added",
    [ORCA_EV_MEMBER_REMOVED] = "member_removed",
    [ORCA_EV_QUEUE_ADDED] = "queue_added",
    [ORCA_EV_CHANNEL_ADDED] = "channel_added",
    [ORCA_EV_SKILL_ADDED] = "skill_added",
    [ORCA_EV_TARGET_RELEASED] = "target_released",
    [ORCA_EV_TRANSFERRED] = "transferred",
    [ORCA_EV_SCHEDULED] = "scheduled",
    [ORCA_EV_DUE] = "due",
    [ORCA_EV_ESCALATED] = "escalated",
    [ORCA_EV_CONTAINED] = "contained",
    [ORCA_EV_CHANNEL_CHANGED] = "channel_changed",
    [ORCA_EV_UNREACHED] = "unreached",
    [ORCA_EV_REJECTED_CLOSED] = "rejected_closed",
    [ORCA_EV_QUEUE_REMOVED] = "queue_removed",
};

const char *orca_event_name(orca_event_type type)
{
    if ((int)type <= 0 || type >= ORCA_EV_TYPE_COUNT)
        return "unknown";
    return event_names[type];
}
