/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Opening the instance a command works on. Readers just open it: the pins
 * are the truth, nothing is cached. Writers also take the writer lock, make
 * their change, commit (rebuild the tables it touched) and let go. Taking
 * the lock checks that the maps opened before the wait are still the pinned
 * ones (xlb_lock, xlb_verify): a writer that waited while the instance was
 * removed and made again writes into the new one, or fails, never into the
 * removed one.
 */
#ifndef XLBCTL_SESSION_H
#define XLBCTL_SESSION_H

#include "cli.h"

/* Each returns 0, or reports the failure and returns its exit code. */
int session_open(const struct cli *cli, struct xlb **xlb);
int session_open_writer(const struct cli *cli, struct xlb **xlb);
/* Takes the writer lock on an open instance; on failure also closes it. */
int session_lock(const struct cli *cli, struct xlb *xlb);
/*
 * Ends a writer's session after its change (err: the change's result):
 * commits when it worked, then unlocks and closes. Returns the exit code.
 */
int session_finish(const struct cli *cli, struct xlb *xlb, int err);

#endif
