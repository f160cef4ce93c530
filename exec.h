/*
 * exec: the executor.  Runs the plan of one operation (plan.h) against the
 * cluster through k8s_min, as Helm 4 sequences it (docs/executor.md).
 *
 * The commands themselves (hk_cmd_run, hk_cmd_install, hk_cmd_upgrade,
 * hk_cmd_uninstall, hk_cmd_rollback, hk_cmd_test) are declared in
 * hookctl.h: they print and return the exit code.  What is here are the
 * pure judgements they are built on, exposed for the unit tests.  Objects
 * are borrowed; nothing here allocates, prints or touches the network.
 */
#ifndef EXEC_H
#define EXEC_H

#include <stddef.h>

#include "cJSON.h"

/* Results of the judgements below. */
enum {
	EX_FAILED = -1,    /* finished, and not well */
	EX_PENDING = 0,    /* not yet */
	EX_DONE = 1        /* finished well (Job complete, Pod succeeded, ready) */
};

/*
 * Is a hook object finished?  wait is the plan's PL_WAIT_* (Job: the first
 * condition Complete=True or Failed=True decides; Pod: phase Succeeded or
 * Failed; anything else is done as soon as it exists).  why (cap bytes)
 * gets the failure reason ("BackoffLimitExceeded: Job has reached ...",
 * "container migrate exited 1") or, while pending, the last status seen
 * ("active 1, succeeded 0, failed 0, no conditions").
 */
int ex_hook_state(int wait, const cJSON *obj, char *why, size_t cap);

/*
 * Readiness of a release resource for --wait, as Helm 4's kstatus computes
 * it (../shared/spec/helm-readiness.md; the kinds that matter in practice:
 * Deployment, StatefulSet, DaemonSet, ReplicaSet, Pod, Job, PVC, Service,
 * CustomResourceDefinition; other kinds by the generic rules).  msg gets
 * kstatus's message ("Ready: 0/2").  api_version and kind may be NULL:
 * then the object's own are used (items of a list have none).
 */
int ex_ready_state(const char *api_version, const char *kind, const cJSON *obj,
    char *msg, size_t cap);

/*
 * Helm 4's ownership check before uninstall deletes an object
 * (verifyOwnershipBeforeDelete / checkOwnership in pkg/action/validate.go):
 * the live object must carry the label app.kubernetes.io/managed-by=Helm
 * and the annotations meta.helm.sh/release-name=release and
 * meta.helm.sh/release-namespace=ns; an object without them is not owned.
 * Returns 1 if owned; else 0, and why (cap bytes) says who owns it
 * ("owned by release other in namespace ns2", "no
 * meta.helm.sh/release-name annotation: no Helm release owns it; ...").
 */
int ex_owned(const cJSON *obj, const char *release, const char *ns, char *why, size_t cap);

/*
 * The REST path of an object without discovery, for --dry-run (which sends
 * nothing, not even discovery): built-in kinds from a table, others by
 * the plural rules of kubectl's guess.  name may be NULL (collection).
 * Returns 0, or -1 if cap is too small.
 */
int ex_guess_path(const char *api_version, const char *kind, const char *ns,
    const char *name, char *buf, size_t cap);

#endif
