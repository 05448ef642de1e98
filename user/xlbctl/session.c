// SPDX-License-Identifier: GPL-2.0
/* Opening the instance for a reader or a writer. */
#include <errno.h>

#include "report.h"
#include "session.h"

int session_open(const struct cli *cli, struct xlb **xlb)
{
	int err = xlb_open(cli->pin_path, xlb);

	if (err == -ENOENT)
		return report(cli, err, "%s (xlbctl attach DEV creates one)",
			      xlb_errmsg());
	if (err)
		return report_lib(cli, err);
	return 0;
}

int session_open_writer(const struct cli *cli, struct xlb **xlb)
{
	int rc = session_open(cli, xlb);

	if (rc)
		return rc;
	rc = session_lock(cli, *xlb);
	if (rc)
		*xlb = NULL;
	return rc;
}

int session_lock(const struct cli *cli, struct xlb *xlb)
{
	int rc, err = xlb_lock(xlb, cli->lock_timeout_ms);

	if (!err)
		return 0;
	rc = report(cli, err, "%s (--lock-timeout waits longer)", xlb_errmsg());
	xlb_close(xlb);
	return rc;
}

int session_finish(const struct cli *cli, struct xlb *xlb, int err)
{
	int rc = EXIT_OK;

	if (!err)
		err = xlb_commit(xlb);
	if (err)
		rc = report_lib(cli, err);
	xlb_unlock(xlb);
	xlb_close(xlb);
	return rc;
}
