// SPDX-License-Identifier: GPL-2.0
/*
 * sync: rebuild the tables from the weights and states now in the maps, for
 * when they changed behind libxlb's back (bpftool map update by hand).
 */
#include "commands.h"
#include "report.h"
#include "session.h"

int cmd_sync(const struct cli *cli)
{
	struct xlb *xlb;
	int rc, err, rebuilt = 0;

	rc = session_open_writer(cli, &xlb);
	if (rc)
		return rc;
	err = xlb_sync(xlb, cli->all, &rebuilt);
	if (!err)
		printf("rebuilt %d table%s\n", rebuilt,
		       rebuilt == 1 ? "" : "s");
	return session_finish(cli, xlb, err);
}
