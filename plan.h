/*
 * plan: the hook planner.  Rendered manifests in, the ordered plan of one
 * operation out, exactly as Helm 4 would sequence it (docs/planner.md).
 *
 * Pure: no I/O, no printing, no exit, no globals.  Problems (YAML errors,
 * unknown hook events, lint findings) come back as a list of pl_diag in the
 * plan.  The plan is a value: `hookctl plan` prints it, the executor runs
 * it, and both get it from the same function, pl_build.
 *
 * Ownership: a pl_plan owns everything it points to (strings, objects,
 * bodies, diagnostics) except the input buffers; pl_free releases it all.
 * Nothing in a plan points into the input buffers, so they may be freed as
 * soon as pl_build returns.
 */
#ifndef PLAN_H
#define PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "cJSON.h"
#include "yaml_min.h"

/* Operations; each has a fixed list of phases (pl_build). */
enum {
	PL_OP_INSTALL,     /* pre-install, resources, post-install */
	PL_OP_UPGRADE,     /* pre-upgrade, resources, post-upgrade */
	PL_OP_UNINSTALL,   /* pre-delete, resources (UninstallOrder), post-delete */
	PL_OP_ROLLBACK,    /* pre-rollback, resources, post-rollback */
	PL_OP_TEST,        /* test */
	PL_OP_RUN,         /* one hook phase: pl_config.event (hookctl run) */
	PL_NOPS
};

/* Hook events, Helm's nine; "test-success" parses as PL_EV_TEST. */
enum {
	PL_EV_PRE_INSTALL, PL_EV_POST_INSTALL,
	PL_EV_PRE_DELETE, PL_EV_POST_DELETE,
	PL_EV_PRE_UPGRADE, PL_EV_POST_UPGRADE,
	PL_EV_PRE_ROLLBACK, PL_EV_POST_ROLLBACK,
	PL_EV_TEST,
	PL_NEVENTS,
	PL_EV_RESOURCES = -1   /* pl_phase.event of the release's own objects */
};

/* What the executor waits for after creating a hook (Helm 4's kstatus readers). */
enum {
	PL_WAIT_NONE,      /* ready as soon as created (every kind but the two below) */
	PL_WAIT_COMPLETE,  /* kind Job in group batch: condition Complete=True; Failed=True fails */
	PL_WAIT_SUCCEEDED  /* kind Pod in the core group: phase Succeeded; Failed fails */
};

/* helm.sh/resource-policy of a resource (hooks ignore it, as Helm does). */
enum {
	PL_POLICY_NONE,    /* absent: deleted on uninstall */
	PL_POLICY_KEEP,    /* "keep" after TrimSpace+ToLower: kept and listed */
	PL_POLICY_OTHER    /* any other value: Helm neither deletes nor lists it */
};

enum { PL_ERROR, PL_WARNING };

/* pl_config.flags */
#define PL_KEEP_BODIES        1u  /* keep each object's cJSON body (the executor) */
#define PL_SKIP_UNKNOWN_HOOKS 2u  /* Helm's silent drop of unknown events, as a warning */

/*
 * helm test --filter: which test hooks run, by name, as Helm 4's
 * ReleaseTesting.Filters: a hook named in exclude ("!name=X") is left out;
 * then, if include ("name=X") is not empty, only the hooks named there run.
 * Names match metadata.name exactly, whatever the kind.
 */
typedef struct {
	char **include;    /* owned by the filter; pl_filter_free */
	char **exclude;
	size_t ninclude, nexclude;
} pl_filter;

typedef struct {
	int op;            /* PL_OP_* */
	int event;         /* PL_EV_*, for PL_OP_RUN only */
	unsigned flags;    /* PL_KEEP_BODIES | PL_SKIP_UNKNOWN_HOOKS */
	const pl_filter *filter;  /* the test phase only; borrowed; NULL: none */
} pl_config;

/* One input, borrowed for pl_build only. */
typedef struct {
	const char *path;  /* as given: a file, dir/name, or "<stdin>" */
	const char *buf;
	size_t len;
} pl_input;

/* A parsed comma list (delete or output-log policies): tokens trimmed, lower-cased. */
typedef struct {
	char **v;          /* n tokens, "" included; owned by the plan */
	size_t n;
	int present;       /* the annotation was there (even if empty) */
} pl_list;

/* One document of the input that Helm would keep (hook or resource). */
typedef struct {
	const char *api_version;  /* "" when absent */
	const char *kind;         /* "" when absent (sorts as an unknown kind) */
	const char *name;         /* metadata.name, "" when absent */
	const char *ns;           /* metadata.namespace, or NULL */
	const char *source;       /* template path: the last "# Source:" line before the
	                             document in its input, else the input's path */
	const char *file;         /* the input's path */
	unsigned line, col;       /* where the document starts in file (1-based) */
	size_t input, doc;        /* input number; document number in that input
	                             (0-based, null documents counted) */
	size_t seq;               /* 0-based among all kept documents, in input order */
	char *list_kind;          /* an item of a List ("v1 List" with items, as kubectl
	                             and Helm expand it): the list's kind, which places
	                             the item in InstallOrder (Helm sorts the List as one
	                             document); else NULL */

	int is_hook;
	int *events;              /* PL_EV_* in annotation order, duplicates kept */
	size_t nevents;
	int64_t weight;           /* Go Atoi of helm.sh/hook-weight, 0 when invalid */
	pl_list delete_policies;  /* helm.sh/hook-delete-policy, as parsed */
	pl_list delete_effective; /* as executed: [before-hook-creation] when the parsed
	                             list is empty; CRD hooks: empty (never deleted) */
	pl_list log_policies;     /* helm.sh/hook-output-log-policy, as parsed */
	int wait;                 /* PL_WAIT_*; PL_WAIT_NONE for resources */
	int policy;               /* PL_POLICY_*, from helm.sh/resource-policy */

	cJSON *body;              /* the whole document with PL_KEEP_BODIES, else NULL */
	char **needs;             /* hooks: objects the pod spec refers to, "Kind/name"
	                             (ServiceAccount, ConfigMap, Secret,
	                             PersistentVolumeClaim; Namespace/ns): for lint */
	size_t nneeds;
} pl_object;

/*
 * One phase in run order.  A hook appears once per matching event, so a
 * hook with "pre-install,pre-install" is two steps.  For uninstall the
 * resources phase lists every resource in UninstallOrder; kept ones
 * (policy != PL_POLICY_NONE) are in it, the executor skips them.
 */
typedef struct {
	const char *name;         /* the event name, or "resources" */
	int event;                /* PL_EV_*, or PL_EV_RESOURCES */
	pl_object **steps;        /* into pl_plan.objs */
	size_t nsteps;
} pl_phase;

typedef struct {
	char *file;               /* the input's path */
	char *source;             /* template path when it differs from file, else NULL */
	unsigned line, col;       /* in file; 0 when not about a place */
	int severity;             /* PL_ERROR or PL_WARNING */
	char *msg;
} pl_diag;

typedef struct {
	pl_config cfg;
	pl_object *objs;          /* every kept document, in input order (seq) */
	size_t nobjs, capobjs;
	pl_object **hooks;        /* the hooks in Helm's rel.Hooks order (InstallOrder) */
	size_t nhooks;
	pl_object **resources;    /* the resources in InstallOrder */
	size_t nresources;
	pl_phase phases[3];       /* of cfg.op, in run order */
	size_t nphases;
	pl_object **filtered;     /* test steps cfg.filter left out, in run order */
	size_t nfiltered;
	pl_diag *diags;           /* in input order, then cross-document findings */
	size_t ndiags, capdiags;
	size_t nerrors, nwarnings;
	int oom;                  /* an allocation failed; the plan is incomplete */
} pl_plan;

/*
 * Builds the plan of cfg->op from the inputs: parses every document, keeps
 * what Helm keeps (skipping inputs whose base name starts with '_'),
 * classifies, orders, lints.  Returns 0 when there is no error (warnings
 * allowed), -1 when plan->nerrors > 0 (a YAML error stops at that input).
 * Either way the caller releases the plan with pl_free.
 */
int pl_build(pl_plan *plan, const pl_input *in, size_t nin, const pl_config *cfg);

/*
 * The same in steps, for callers that hold parsed documents (and the unit
 * tests): pl_init, then pl_add per document, then pl_finish to order.
 * pl_add takes ownership of root, whatever it returns: with PL_KEEP_BODIES
 * the plan keeps it as the body (or the bodies of a List's items), else
 * pl_add copies what it needs and frees it before returning.  The caller
 * keeps marks and the strings, which pl_add copies.  marks may be NULL;
 * then every place is (line, col).  source NULL means the input's path.
 */
void pl_init(pl_plan *plan, const pl_config *cfg);
int pl_add(pl_plan *plan, cJSON *root, const ym_marks *marks, const char *file,
    const char *source, size_t input, size_t doc, unsigned line, unsigned col);
int pl_finish(pl_plan *plan);
void pl_free(pl_plan *plan);

/* The plan as JSON (issue 4's shape, more keys allowed); caller frees with cJSON_Delete. NULL on OOM. */
cJSON *pl_to_json(const pl_plan *plan);

/*
 * One --filter value into f: a comma list of "name=NAME" (include) and
 * "!name=NAME" or "! name=NAME" (exclude), as helm test reads it.  Returns
 * 0, -1 if an element is malformed (why, cap bytes, says which and why:
 * f keeps the elements before it), -2 out of memory.  Start from a zeroed
 * pl_filter; pl_filter_free releases it (and zeroes it).
 */
int pl_filter_parse(pl_filter *f, const char *arg, char *why, size_t cap);
void pl_filter_free(pl_filter *f);
/* Whether f lets a hook of this name run (f NULL: yes). */
int pl_filter_match(const pl_filter *f, const char *name);

/*
 * The API server's rules for values that become part of a request path
 * (apimachinery validation), so that a bad value is refused before
 * anything is sent.  Each returns NULL when the value is valid, else a
 * static phrase naming what was expected.  pl_check_name: the name rule
 * of kind (a DNS-1123 subdomain; a label for Namespace and Service; a
 * path segment without spaces or control characters for the RBAC kinds).
 * pl_check_release: Helm's release name rule (53 characters).
 */
const char *pl_check_name(const char *kind, const char *name);
const char *pl_check_namespace(const char *ns);
const char *pl_check_release(const char *name);
const char *pl_check_api_version(const char *api_version);
const char *pl_check_kind(const char *kind);

/*
 * s in double quotes for a message: control, non-ASCII, quote and
 * backslash bytes as \xNN, cut after 60 characters ("...").  Writes at
 * most cap bytes (cap >= 8), NUL included; returns the length.
 */
size_t pl_quote(const char *s, char *out, size_t cap);

/* Names and lookups. */
int pl_op_parse(const char *s);               /* PL_OP_* (not RUN) or -1 */
const char *pl_op_name(int op);
int pl_event_parse(const char *token);        /* trimmed, lower-cased token; -1 if unknown */
const char *pl_event_name(int ev);            /* "resources" for PL_EV_RESOURCES */
const char *pl_wait_name(int wait);           /* "none", "complete", "succeeded" */
int pl_list_has(const pl_list *l, const char *token);

/* Go strconv.Atoi on a 64-bit build: 0 and *out set, or -1 (syntax) / -2 (range), *out = 0. */
int pl_atoi(const char *s, int64_t *out);

/* Helm 4's InstallOrder/UninstallOrder index of kind, or -1 if unknown. */
int pl_kind_index(const char *kind, int uninstall);
/* lessByKind as a comparison: <0, 0 (equal rank: keep order), >0. */
int pl_kind_cmp(const char *a, const char *b, int uninstall);

#endif
