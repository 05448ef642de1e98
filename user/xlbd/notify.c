// SPDX-License-Identifier: GPL-2.0
/*
 * systemd: Type=notify readiness, reload and stop through sd_notify
 * (libsystemd). Without NOTIFY_SOCKET it does nothing.
 */
#include <systemd/sd-daemon.h>

#include "xlbd.h"

void xlbd_notify(const char *state)
{
	sd_notify(0, state);
}
