#ifndef CBK_TEAM_H
#define CBK_TEAM_H

/// A team of two threads for the iterative eigensolver's fixed two-part splits: the caller runs part 0 and one
/// worker thread runs part 1 of each task, and the call returns when both are done.
///
/// `DispatchQueue.concurrentPerform` wakes a parked worker for every call; in a 2-vCPU guest that costs 15-30 us per
/// call, as much as the parts themselves (the solver's GEMMs on its basis take 20-100 us each), so the halves ran no
/// faster than one after the other (n = 1000, 10 pairs: 12.0 ms with concurrentPerform, 11.3 ms serially). The
/// worker here spins (with a pause instruction) for up to `CBK_TEAM_SPIN_NS` between tasks before it parks on a
/// condition variable, so a task issued within that time starts at once.
///
/// Part 0 runs on the caller; part 1 on the worker, unless the caller finishes part 0 before the worker has started
/// part 1 (the worker parked or descheduled on a busy machine): then the caller runs it too, as
/// `concurrentPerform` lets the caller take iterations no worker has taken. Each part writes its own outputs with
/// the same operations whichever thread runs it, so results do not depend on timing. Not re-entrant: one task at a
/// time, from one caller thread.
typedef struct cbk_team cbk_team;

/// The work of one part: `fn(context, part)`.
typedef void (*cbk_team_fn)(void *context, long part);

/// Starts the worker thread; NULL if it cannot be started (then run the parts on the caller thread).
cbk_team *cbk_team_create(void);

/// Runs `fn(context, 1)` on the worker and `fn(context, 0)` on the calling thread; returns when both have returned.
void cbk_team_run(cbk_team *team, cbk_team_fn fn, void *context);

/// Stops and joins the worker, frees the team.
void cbk_team_destroy(cbk_team *team);

#endif
