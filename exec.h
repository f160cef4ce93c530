/*
 * exec: the executor.  Runs the plan of one operation (plan.h) against the
 * cluster through a k8s_min client, as Helm 4 sequences it
 * (docs/executor.md), and reports what happens as events to a sink the
 * caller gives.  It never prints, exits, reads argv or the environment:
 * the CLI renders the events (text or -o json) and maps the result to an
 * exit code.
 *
 * Ownership: the plan, the client and the options are borrowed for the
 * call; an event and everything it points to live only during the sink
 * call; the result is caller-owned and released with ex_result_free.
 */
#ifndef EXEC_H
#define EXEC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "cJSON.h"
#include "k8s_min.h"
#include "plan.h"

/* ---- running a plan ---- */

/* ex_options.flags */
#define EX_WAIT          1u   /* --wait: resources ready before the post hooks */
#define EX_NO_HOOKS      2u   /* --no-hooks */
#define EX_LOGS          4u   /* test --logs */
#define EX_DRY_RUN       8u   /* send nothing: report each request instead */
#define EX_SHOW_SECRETS 16u   /* dry run: Secret values as they are, not REDACTED */
#define EX_TRACE        32u   /* -v: EX_EV_TRACE events */

typedef struct {
	const char *op;          /* "install", "upgrade", ..., "run": for messages */
	const char *release;     /* NULL for run */
	const char *ns;          /* the release namespace */
	int64_t timeout_ms;      /* each wait, and each step's requests; 0: none */
	unsigned flags;          /* EX_* */
	const volatile sig_atomic_t *stop;  /* the signal number the caller's
	                            handler stored, 0 until then: the run ends
	                            within a quarter of a second */
} ex_options;

/* How a run ended; the CLI maps it to an exit code. */
enum {
	EX_R_OK,
	EX_R_FAILED,     /* a hook failed, the server refused: exit 1 */
	EX_R_TIMEOUT,    /* a wait passed --timeout: exit 4 */
	EX_R_CONNECT,    /* cannot connect or authenticate: exit 3 */
	EX_R_STOPPED     /* *stop was set: 130 or 143 */
};

/* Step states, per phase and step. */
enum { EX_ST_TODO, EX_ST_DONE, EX_ST_FAILED, EX_ST_SKIPPED };

/* What the events say. */
enum {
	EX_EV_START,     /* the run starts (after every check before it) */
	EX_EV_STEP,      /* a step begins (result NULL) or ends */
	EX_EV_DETAIL,    /* text: a line under the current step */
	EX_EV_SAY,       /* text: a line of its own (Helm's lists, --wait, --no-hooks) */
	EX_EV_WARNING,   /* something to know; the run goes on */
	EX_EV_REQUEST,   /* dry run: a request that would be sent */
	EX_EV_DELETE,    /* a hook deleted by its delete policy */
	EX_EV_LOGS,      /* a container's log */
	EX_EV_TRACE      /* -v: timing of the client's reaction to a watch event */
};

typedef struct {
	int type;                /* EX_EV_* */
	const char *phase;       /* STEP, DELETE: the phase's name */
	size_t index, total;     /* STEP: 1-based in the phase */
	const pl_object *obj;    /* STEP, DELETE, REQUEST */
	const char *ns;          /* the namespace to show; NULL: cluster-scoped */
	const char *result;      /* STEP end: "applied", "failed", ...; NULL: begin */
	const char *note;        /* STEP end: said in parentheses, or NULL */
	double seconds;          /* STEP end */
	const char *text;        /* DETAIL, SAY, WARNING, TRACE; LOGS: the log */
	size_t len;              /* LOGS: bytes of text */
	const char *verb, *path, *query;   /* REQUEST; query may be NULL */
	const cJSON *body;       /* REQUEST: what would be sent, or NULL */
	const char *policy;      /* DELETE */
	const char *pod, *container;       /* LOGS */
	long tail;               /* LOGS: lines asked for, -1: all */
	int helm_header;         /* LOGS: helm test --logs's "POD LOGS:" form */
	int multi_ns;            /* START: objects of several namespaces (a step
	                            line should name its namespace) */
} ex_event;

typedef void ex_sink(void *arg, const ex_event *ev);

/* An object the summary lists, with what it says of it. */
typedef struct {
	const pl_object *obj;
	const char *ns;          /* NULL: cluster-scoped */
	char *detail;            /* policy, why, finalizers or phase; owned */
} ex_item;

typedef struct {
	ex_item *v;
	size_t n;
} ex_items;

typedef struct {
	int status;              /* EX_R_* */
	int started;             /* EX_EV_START was sent (else a check before it failed) */
	char error[1024];        /* what failed, and what was and was not done */
	unsigned char *state[3]; /* per phase of the plan, per step: EX_ST_* */
	ex_items deleted;        /* hooks deleted by policy ("policy") */
	ex_items kept;           /* uninstall: helm.sh/resource-policy: keep */
	ex_items not_owned;      /* uninstall: not deleted ("why") */
	ex_items still_deleting; /* uninstall: deleted, still there ("finalizers") */
	ex_items still_running;  /* hooks a signal left running ("phase") */
	double seconds;          /* the run's wall time */
} ex_result;

/*
 * Runs plan with client c (NULL only with EX_DRY_RUN), sending every event
 * to sink(arg, ev).  Fills *res (caller frees with ex_result_free, also
 * when the status is not EX_R_OK).  Returns res->status.
 */
int ex_run(const pl_plan *plan, k8s_client *c, const ex_options *o, ex_sink *sink,
    void *arg, ex_result *res);
void ex_result_free(ex_result *res, const pl_plan *plan);

/*
 * The namespace to show for s in messages: NULL for a cluster-scoped kind
 * (c's discovery says; with c NULL, the table of built-in kinds), else
 * s's own or the release namespace ns.
 */
const char *ex_shown_ns(k8s_client *c, const char *ns, const pl_object *s);

/* ---- judgements, exposed for the unit tests; pure ---- */

/* Results of the judgements below (k8s_min's readers). */
enum {
	EX_FAILED = K8S_STATE_FAILED,    /* finished, and not well */
	EX_PENDING = K8S_STATE_PENDING,  /* not yet */
	EX_DONE = K8S_STATE_DONE         /* finished well (Job complete, Pod succeeded) */
};

/*
 * Is a hook object finished?  wait is the plan's PL_WAIT_*: a batch Job
 * as k8s_job_state reads it, a core Pod as k8s_pod_state does, anything
 * else is done as soon as it exists.  (Readiness for --wait is
 * k8s_ready_state's.)
 */
int ex_hook_state(int wait, const cJSON *obj, char *why, size_t cap);

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

#endif
