/*
 * exec.c: the executor (issue 7), not built yet: every cluster command
 * says so and exits 2 without touching the cluster.
 */
#include "hookctl.h"

static int
not_built(const char *what)
{
	hk_die(HK_EXIT_USAGE, "%s: not built yet (see README.md, status)", what);
	return HK_EXIT_USAGE;
}

int hk_cmd_run(hk_opts *o) { (void)o; return not_built("run"); }
int hk_cmd_install(hk_opts *o) { (void)o; return not_built("install"); }
int hk_cmd_upgrade(hk_opts *o) { (void)o; return not_built("upgrade"); }
int hk_cmd_uninstall(hk_opts *o) { (void)o; return not_built("uninstall"); }
int hk_cmd_rollback(hk_opts *o) { (void)o; return not_built("rollback"); }
int hk_cmd_test(hk_opts *o) { (void)o; return not_built("test"); }
