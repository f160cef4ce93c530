/*
 * k8s_min: a small Kubernetes API client.  Configuration as kubectl reads
 * it (kubeconfig files, KUBECONFIG, in-cluster), HTTPS through http_min,
 * discovery, get / create / server-side apply / delete / list, watch
 * streams, pod logs, retries.
 *
 * Conventions:
 * - Every call that can fail returns 0 on success (K8S_NOTFOUND where
 *   written) and -1 on error, and fills the caller's k8s_err.  Nothing
 *   here prints or exits.  Messages never hold a token, a password, a key
 *   or a Secret's data.
 * - cJSON trees: arguments are borrowed (never freed or kept); results
 *   stored through a "cJSON **out" belong to the caller (cJSON_Delete).
 *   out may be NULL when the caller does not want the answer.
 * - Times are milliseconds of CLOCK_MONOTONIC (k8s_now_ms); a deadline of
 *   0 means "none".  Retries stop at the deadline.
 * - Loading the configuration allocates; the TLS and HTTP path does not
 *   (the client context holds the buffers).  Decoded objects are cJSON.
 * - The environment: what kubectl itself reads, and nothing else:
 *   KUBECONFIG and HOME (the kubeconfig), KUBERNETES_SERVICE_HOST/PORT
 *   (in-cluster), HTTPS_PROXY/HTTP_PROXY/NO_PROXY in either case,
 *   SSL_CERT_FILE; an exec plugin gets the inherited environment (see
 *   k8s_config.exec).  No other unit reads it but the CLI.
 */
#ifndef K8S_MIN_H
#define K8S_MIN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "cJSON.h"
#include "bearssl.h"
#include "http_min.h"

/* Error categories (the CLI maps them to its exit codes: hookctl.c). */
enum {
	K8S_OK = 0,
	K8S_EAPI = 1,       /* the API server refused (Status) */
	K8S_ECONFIG = 2,    /* bad/missing kubeconfig, unsupported auth */
	K8S_ECONNECT = 3,   /* DNS, TCP, proxy, TLS, 401/403 on auth */
	K8S_ETIMEOUT = 4,   /* the deadline passed */
	K8S_EPROTO = 5,     /* the server broke HTTP or JSON */
	K8S_ESTOPPED = 6    /* stopped by a signal (k8s_client.stop) */
};

/* Returned (instead of 0) by k8s_get and k8s_delete when the object does
 * not exist; err is filled too (http 404, reason "NotFound"). */
#define K8S_NOTFOUND 1

typedef struct {
	int cat;            /* K8S_E* */
	int http;           /* HTTP status, 0 when no answer came */
	char reason[48];    /* Status reason ("NotFound", "AlreadyExists",
	                       "Conflict", "Forbidden", "Gone", ...) or "" */
	char msg[512];      /* one line of words, never a secret */
} k8s_err;

int64_t k8s_now_ms(void);

/* ---- configuration ---- */

/* What the command line says; every field may be NULL/0. */
typedef struct {
	const char *kubeconfig;  /* --kubeconfig: one file; else $KUBECONFIG
	                            (colon list, merged: first file to set a
	                            value wins), else ~/.kube/config, else
	                            in-cluster when $KUBERNETES_SERVICE_HOST */
	const char *context;     /* --kube-context; else current-context */
	const char *namespace;   /* -n; else the context's, else "default" */
	int insecure;            /* force insecure-skip-tls-verify */
} k8s_opts;

/*
 * A loaded configuration.  Public fields are read-only for the caller;
 * the rest is private to k8s_min.c.  Owns its memory: k8s_config_free.
 */
typedef struct {
	char namespace[256];     /* the namespace to use (see k8s_opts) */
	char context[256];       /* context name, or "in-cluster" */
	char server[512];        /* the cluster's URL, for messages */
	char warning[768];       /* non-empty: print it on every run (e.g.
	                            insecure-skip-tls-verify is in force) */
	int in_cluster;
	/* private */
	hm_target target;
	hm_creds creds;
	char host[256], port[8], tls_name[256], proxy_host[256], proxy_port[8];
	char prefix[256];        /* path of the server URL ("" or "/k8s/x") */
	unsigned char ip[16];
	char *proxy_auth;
	int auth;                /* 0 none, 1 token, 2 token file, 3 basic,
	                            4 exec, 5 client cert (with 0..4) */
	char *token;             /* current bearer token */
	char *token_file;
	int64_t token_mtime, token_read_ms;
	char *basic;             /* "Basic base64(user:pass)" */
	cJSON *exec;             /* the user's exec stanza (copy) */
	int64_t exec_expiry;     /* wall-clock seconds, 0: none */
	char *exec_dir;          /* directory of the kubeconfig, for exec */
	char *exec_cluster;      /* spec.cluster for provideClusterInfo (JSON) */
} k8s_config;

/* Loads the configuration.  0, or -1 with err (cat K8S_ECONFIG). */
int k8s_config_load(k8s_config *cfg, const k8s_opts *o, k8s_err *err);

/* Loads from kubeconfig text (one file, as read).  dir resolves relative
 * file paths.  For tests and fuzzing; k8s_config_load uses it. */
int k8s_config_parse(k8s_config *cfg, const char *buf, size_t len,
    const char *dir, const k8s_opts *o, k8s_err *err);

void k8s_config_free(k8s_config *cfg);

/* ---- client ---- */

/* Called after each HTTP exchange for -v: the verb, the path with its
 * query (never a credential), the status (0: no answer) and the time. */
typedef void k8s_log_fn(void *arg, const char *verb, const char *path,
    int status, long ms);

/* Discovery cache entry, private. */
typedef struct k8s_gv k8s_gv;

/*
 * A transport in place of the network: each exchange is handed to it,
 * after every check a request goes through (the head is formatted and
 * validated as for the wire).  It returns the HTTP status (0: no answer,
 * as a connection that failed) and puts the answer in *answer (malloc'd;
 * k8s_min frees it), *alen bytes.  A watch is a GET with watch=1 whose
 * answer is the stream (one JSON event a line); when the stream is used
 * up, the watch asks again.  For tests that check the exact requests of
 * an operation without a server.
 */
typedef int k8s_transport(void *arg, const char *verb, const char *path,
    const char *ctype, const char *body, size_t blen, char **answer, size_t *alen);

/*
 * The client: caller-owned (about 66 KB: keep it static or on the heap,
 * not on a small stack).  Zero it, then k8s_client_init.
 */
typedef struct {
	k8s_config *cfg;         /* borrowed; must outlive the client */
	hm_conn conn;            /* the keep-alive connection */
	int64_t deadline;        /* for every call; 0: none (k8s_set_deadline) */
	int request_ms;          /* one exchange, default 30000 */
	int retries;             /* attempts for idempotent requests, default 5 */
	k8s_log_fn *log;         /* may be NULL */
	void *log_arg;
	/*
	 * Borrowed, may be NULL: when *stop becomes non-zero (a signal
	 * handler sets it; install handlers without SA_RESTART), every wait
	 * (a request in flight, a retry or reconnection wait, a watch, an
	 * exec plugin) ends within about 250 ms and the call returns -1 with
	 * K8S_ESTOPPED.  Given to every connection the client opens.
	 */
	const volatile sig_atomic_t *stop;
	k8s_transport *transport; /* NULL: the network (see k8s_transport) */
	void *transport_arg;
	k8s_gv *gvs;             /* discovery cache, private */
	char *body;              /* response buffer, private */
	size_t body_cap;
	uint32_t rng;            /* jitter, private */
} k8s_client;

/* Sets up the client with cfg.  Does not connect.  0 or -1. */
int k8s_client_init(k8s_client *c, k8s_config *cfg, k8s_err *err);
/* Closes the connection and frees the discovery cache; cfg is untouched. */
void k8s_client_close(k8s_client *c);

/* Sets the deadline for every later call (absolute k8s_now_ms() value;
 * 0 for none).  Retries and waits stop there with K8S_ETIMEOUT. */
void k8s_set_deadline(k8s_client *c, int64_t deadline);

/*
 * Credentials are refreshed by the calls that need them.  An exec
 * credential plugin (kubeconfig user.exec) runs in a process group of its
 * own, stdin /dev/null, with the inherited environment minus the names
 * its env sets, then its env and KUBERNETES_EXEC_INFO (the kubeconfig
 * wins, as with kubectl).  It has until the client's deadline, or 60 s
 * without one, and 1 MiB of output; it answers when it closes its stdout
 * and exits.  Past that (a hang, or a child keeping its stdout open),
 * or on a stop, the whole group is killed: K8S_ECONNECT ("did not answer
 * within N s; killed") or K8S_ESTOPPED.  A token (kubeconfig, token
 * file, plugin), username or password with a control character is
 * refused, and never printed.
 */

/* ---- discovery ---- */

typedef struct {
	char base[256];          /* "/api/v1" or "/apis/batch/v1" */
	char plural[128];        /* "jobs" */
	int namespaced;
} k8s_res;

/*
 * Maps (apiVersion, kind) to its REST resource, through discovery of that
 * group version (cached for the client's life; a kind not found refreshes
 * the group version once, so CRDs created during the run are seen).
 * Unknown kind: -1, cat K8S_EAPI, reason "NotFound".
 */
int k8s_resource(k8s_client *c, const char *api_version, const char *kind,
    k8s_res *out, k8s_err *err);

/*
 * The resource of (apiVersion, kind) without discovery, for --dry-run
 * (which sends nothing, not even discovery) and messages: the built-in
 * kinds from a table (cluster-scoped ones marked), others by kubectl's
 * plural guess, namespaced.  0, or -1 for a malformed apiVersion or kind.
 */
int k8s_resource_guess(const char *api_version, const char *kind, k8s_res *out);

/*
 * Lets the next k8s_resource of a kind that api_version's cached
 * discovery lacks read it again (a CustomResourceDefinition of that group
 * version was just established).
 */
void k8s_forget_kinds(k8s_client *c, const char *api_version);

/*
 * Builds the path of an object or collection into buf:
 * base[/namespaces/NS]/plural[/NAME].  ns is ignored for cluster-scoped
 * resources; name may be NULL.  0, or -1 if cap is too small.
 */
int k8s_path(const k8s_res *r, const char *ns, const char *name, char *buf,
    size_t cap);

/* ---- objects ---- */

/*
 * Reads one object.  *out: the object (caller frees).  Returns 0,
 * K8S_NOTFOUND, or -1.
 */
int k8s_get(k8s_client *c, const char *api_version, const char *kind,
    const char *ns, const char *name, cJSON **out, k8s_err *err);

/*
 * Creates obj (POST).  ns is used when the kind is namespaced and
 * obj has no metadata.namespace.  If the answer is lost after the request
 * was sent, the object is read back (never created twice): an existing
 * object then counts as created.  AlreadyExists is an error (reason
 * "AlreadyExists").  *out: the created object.
 */
int k8s_create(k8s_client *c, const cJSON *obj, const char *ns, cJSON **out,
    k8s_err *err);

/*
 * Server-side apply: PATCH application/apply-patch+yaml with obj as JSON,
 * fieldManager=hookctl; flags: K8S_APPLY_FORCE (force=true: take fields
 * from other managers), K8S_APPLY_DRY_RUN (dryRun=All: the server
 * validates, admits and checks conflicts, and persists nothing).
 * Idempotent, so retried.  *out: the object as the server has it (or
 * would have it) after the apply.
 */
#define K8S_APPLY_FORCE    1u
#define K8S_APPLY_DRY_RUN  2u
int k8s_apply(k8s_client *c, const cJSON *obj, const char *ns, unsigned flags,
    cJSON **out, k8s_err *err);

/*
 * Deletes one object.  propagation: "Background", "Foreground", "Orphan"
 * or NULL (the server's default).  Returns 0 when deletion was accepted,
 * K8S_NOTFOUND when there was nothing to delete, -1 on error.
 */
int k8s_delete(k8s_client *c, const char *api_version, const char *kind,
    const char *ns, const char *name, const char *propagation, k8s_err *err);

/*
 * Lists a collection (ns NULL or "" for all namespaces of a namespaced
 * kind).  Selectors may be NULL.  *out: the List object, with "items"
 * and "metadata.resourceVersion".
 */
int k8s_list(k8s_client *c, const char *api_version, const char *kind,
    const char *ns, const char *label_sel, const char *field_sel,
    cJSON **out, k8s_err *err);

/*
 * What one answer may cost.  A response body is at most 64 MB (a pod's
 * log too: k8s_logs keeps its tail), a watch event 64 MB.  JSON (an
 * answer, a watch event) is decoded only with at most K8S_MAX_VALUES
 * values and keys, nested at most K8S_MAX_DEPTH deep; else -1 with
 * K8S_EPROTO "... too large to decode", counted on the bytes before any
 * node is built.  A cJSON node costs 80 to 115 bytes with its string, so
 * a decoded answer takes at most about 115 MB (without the bound, 64 MB
 * of "[0,0,..." took 2.7 GB).  A Kubernetes object (at most 1.5 MB in
 * etcd by default) has far fewer values; a longer list needs paging
 * (limit and continue).  A big answer's buffer is freed once decoded.
 */
#define K8S_MAX_VALUES 1000000
#define K8S_MAX_DEPTH  1000

/*
 * Any request: verb "GET", "POST", ... on path (with query), body of blen
 * bytes with content type ctype (both may be NULL/0).  GET, PUT, DELETE
 * and apply PATCH are retried; others are not.  *out: the decoded JSON
 * answer of a 2xx.  Non-2xx: -1 with the Status in err.
 *
 * Retries wait with backoff, or as long as the server's Retry-After says,
 * but never past the client's deadline nor beyond 60 s: a longer
 * Retry-After fails at once with K8S_ETIMEOUT ("the server asked to retry
 * after N s, which is past the deadline"), err.http its status.  A
 * method, path, content type or credential with a control character (or,
 * in the request line, a space) is refused (K8S_ECONFIG) before anything
 * is sent: no value can end its header line.
 */
int k8s_request(k8s_client *c, const char *verb, const char *path,
    const char *ctype, const char *body, size_t blen, cJSON **out,
    k8s_err *err);

/* ---- watch ---- */

typedef struct {
	char type[16];           /* "ADDED", "MODIFIED", "DELETED" */
	cJSON *object;           /* caller frees */
} k8s_event;

/*
 * A watch stream, caller-owned (it holds its own connection, about
 * 67 KB).  Open, call k8s_watch_next until done, close.
 */
typedef struct {
	k8s_client *c;           /* borrowed */
	hm_conn conn;
	hm_body body;
	char path[1024];         /* collection path with selectors */
	char rv[64];             /* last resourceVersion seen */
	int open;
	char *line;              /* one event line, grown up to 64 MB */
	size_t llen, lcap;
	int64_t retry_at;        /* next reconnection attempt */
	int fed;                 /* private: a transport's stream is in line */
	unsigned cuts;           /* reconnections in a row */
	cJSON *pending;          /* relisted items not yet yielded */
} k8s_watch;

/*
 * Starts watching a collection, from resource_version (NULL or "": from
 * now, after an initial list whose items are yielded first as ADDED; so
 * the caller sees the current state and then every change).  name, when
 * given, becomes fieldSelector metadata.name=NAME.
 */
int k8s_watch_open(k8s_client *c, k8s_watch *w, const char *api_version,
    const char *kind, const char *ns, const char *name,
    const char *label_sel, const char *resource_version, k8s_err *err);

/*
 * Waits for the next event until deadline (or the client's deadline, the
 * sooner).  Returns 1 with *ev filled (the caller frees ev->object), 0
 * when the deadline passed (err cat K8S_ETIMEOUT), -1 on error (a stop:
 * K8S_ESTOPPED, within about 250 ms).  A stream cut or ended by the
 * server is resumed from the last resourceVersion, after a backoff that
 * ends at the deadline or a stop; BOOKMARK events only move that
 * version; 410 Gone lists again and yields the items as ADDED first.
 */
int k8s_watch_next(k8s_watch *w, int64_t deadline, k8s_event *ev,
    k8s_err *err);

void k8s_watch_close(k8s_watch *w);

/* ---- logs ---- */

/*
 * Reads a pod's log (container may be NULL for a single-container pod;
 * tail_lines < 0 for all) into buf[0..cap).  A longer log keeps its last
 * cap bytes and sets *truncated.  *len: bytes stored (not NUL-terminated).
 */
int k8s_logs(k8s_client *c, const char *ns, const char *pod,
    const char *container, long tail_lines, char *buf, size_t cap,
    size_t *len, int *truncated, k8s_err *err);

/* ---- what a kind's status says (Helm 4's kstatus readers) ---- */

/* What the readers below say of an object. */
enum {
	K8S_STATE_FAILED = -1,   /* finished, and not well */
	K8S_STATE_PENDING = 0,   /* not yet */
	K8S_STATE_DONE = 1       /* finished well, or ready */
};

/*
 * A Job as a hook waits for it: the first condition Complete=True (done)
 * or Failed=True (failed: why gets "REASON: message") decides; while
 * pending, why (cap bytes) gets the last status seen ("active 1,
 * succeeded 0, failed 0, no conditions").
 */
int k8s_job_state(const cJSON *job, char *why, size_t cap);

/* A Pod as a hook waits for it: phase Succeeded or Failed (why: which
 * container exited with which code), else pending ("phase Pending, ..."). */
int k8s_pod_state(const cJSON *pod, char *why, size_t cap);

/* Why a pod failed: the first terminated container with a non-zero exit
 * code ("container migrate exited 1: Error"), else its phase and reason. */
void k8s_pod_failure(const cJSON *pod, char *why, size_t cap);

/*
 * Readiness for --wait, as Helm 4's kstatus computes it
 * (../shared/spec/helm-readiness.md): the generic checks (terminating,
 * observed generation, Reconciling/Stalled), then a table of per-kind
 * readers (Deployment, StatefulSet, DaemonSet, ReplicaSet, core Pod, batch
 * Job, PVC, Service, CustomResourceDefinition), else a Ready condition.
 * msg gets kstatus's message ("Ready: 0/2").  api_version and kind may be
 * NULL: then the object's own are used (items of a list have none).
 */
int k8s_ready_state(const char *api_version, const char *kind, const cJSON *obj,
    char *msg, size_t cap);

/* ---- helpers ---- */

/* Fills err from a Status object (reason, message, code) as one line:
 * "REASON: MESSAGE".  status may be NULL (then only http is used). */
void k8s_status_err(k8s_err *err, int http, const cJSON *status);

#endif
