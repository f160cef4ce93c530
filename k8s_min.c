/*
 * k8s_min: the Kubernetes API client; see k8s_min.h.
 *
 * Layout: errors, files, kubeconfig (merge, cluster, user, in-cluster,
 * proxy), credentials at request time (token files, exec plugins), the
 * request engine (retries), discovery, objects, watch, logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "json_min.h"
#include "k8s_min.h"
#include "yaml_min.h"

extern char **environ;

#define MAX_FILE   ((size_t)16 << 20)
#define MAX_BODY   ((size_t)64 << 20)
#define MAX_LINE   ((size_t)64 << 20)
#define SA_DIR     "/var/run/secrets/kubernetes.io/serviceaccount"
#define USER_AGENT "hookctl"
/* An exec plugin's time to answer without a deadline, its output's size. */
#define EXEC_MS    60000
#define EXEC_OUT   ((size_t)1 << 20)
/* The longest Retry-After (seconds) honoured, deadline or not: a server
 * that asks for more gets an error now, not a client asleep for it. */
#define MAX_RETRY_AFTER   60
#define MAX_RETRY_AFTER_S "60"

struct k8s_gv {
	struct k8s_gv *next;
	char gv[256];
	cJSON *resources;        /* the APIResourceList's "resources" */
	cJSON *list;             /* owner of resources */
	int refreshed;
};

/* ---- errors ---- */

/*
 * Makes text from a server (or a file) safe to print, in place: control
 * characters (C0, DEL, C1), which a terminal would act on, are dropped,
 * TAB, CR and LF becoming a space; so are bytes that are not UTF-8, and
 * with them a sequence cut at the end.  Other UTF-8 stays.
 */
static void
clean(char *str)
{
	unsigned char *s = (unsigned char *)str, *d = s;
	size_t len, k;

	while (*s != '\0') {
		len = *s < 0x80 ? 1 : *s >= 0xc2 && *s <= 0xdf ? 2 : *s >= 0xe0
		    && *s <= 0xef ? 3 : *s >= 0xf0 && *s <= 0xf4 ? 4 : 0;
		for (k = 1; k < len; k++)
			if ((s[k] & 0xc0) != 0x80)
				len = 0;
		if (len == 1 && (*s < 0x20 || *s == 0x7f)) {
			if (*s == '\t' || *s == '\n' || *s == '\r')
				*d++ = ' ';
			len = 0;
		} else if (len == 2 && s[0] == 0xc2 && s[1] < 0xa0)
			s++, len = 0; /* C1: U+0080..U+009F */
		if (len == 0) {
			s++;
			continue;
		}
		memmove(d, s, len);
		d += len;
		s += len;
	}
	*d = '\0';
}

/* Does s (may be NULL) hold a control character (C0 or DEL), or a
 * space when sp?  Such a value cannot go into a header: CR and LF would
 * end it and start another (a space, its request line). */
static int
has_ctl(const char *s, int sp)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || (sp && *s == ' '))
			return 1;
	return 0;
}

static int seterr(k8s_err *e, int cat, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
seterr(k8s_err *e, int cat, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->cat = cat;
	e->http = 0;
	e->reason[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	clean(e->msg);
	return -1;
}

/* Has a signal asked to stop?  Then err says so (cat K8S_ESTOPPED). */
static int
stopped(const k8s_client *c, k8s_err *e)
{
	if (c->stop == NULL || *c->stop == 0)
		return 0;
	seterr(e, K8S_ESTOPPED, "stopped by a signal");
	return 1;
}

static int
from_hm(k8s_err *e, const hm_err *h)
{
	return seterr(e, h->cat == HM_EPROTO ? K8S_EPROTO : h->cat, "%s",
	    h->msg);
}

int64_t
k8s_now_ms(void)
{
	return hm_now_ms();
}

static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring != NULL ? v->valuestring
	    : NULL;
}

static const cJSON *
jget(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

void
k8s_status_err(k8s_err *err, int http, const cJSON *st)
{
	const char *reason = st ? jstr(st, "reason") : NULL;
	const char *msg = st ? jstr(st, "message") : NULL;
	const cJSON *code = st ? jget(st, "code") : NULL;
	int cat = K8S_EAPI;

	if (err == NULL)
		return;
	if (cJSON_IsNumber(code) && code->valueint > 0)
		http = code->valueint;
	if (http == 401)
		cat = K8S_ECONNECT;
	err->cat = cat;
	err->http = http;
	snprintf(err->reason, sizeof err->reason, "%s", reason ? reason : "");
	if (reason == NULL) {
		switch (http) {
		case 401: reason = "Unauthorized"; break;
		case 403: reason = "Forbidden"; break;
		case 404: reason = "NotFound"; break;
		case 409: reason = "Conflict"; break;
		case 410: reason = "Gone"; break;
		case 422: reason = "Invalid"; break;
		case 429: reason = "TooManyRequests"; break;
		default: reason = http >= 500 ? "InternalError" : "Failure";
		}
		snprintf(err->reason, sizeof err->reason, "%s", reason);
	}
	if (msg != NULL && msg[0] != '\0')
		snprintf(err->msg, sizeof err->msg, "%s: %s", reason, msg);
	else
		snprintf(err->msg, sizeof err->msg, "%s (HTTP %d)", reason,
		    http);
	if (http == 401)
		snprintf(err->msg + strlen(err->msg), sizeof err->msg
		    - strlen(err->msg), " (the credentials were refused)");
	/* The caller prints these: no escape sequence of the server's. */
	clean(err->reason);
	clean(err->msg);
}

/* ---- files ---- */

/* Reads a whole file into a NUL-terminated malloc'd buffer. */
static char *
read_file(const char *path, size_t *lenp, k8s_err *e, const char *what)
{
	FILE *f;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;

	f = fopen(path, "rb");
	if (f == NULL) {
		seterr(e, K8S_ECONFIG, "cannot read %s %s: %s", what, path,
		    strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 4097) {
			cap = cap ? cap * 2 : 8192;
			if (cap > MAX_FILE + 8192 || (nb = realloc(buf, cap))
			    == NULL) {
				free(buf);
				fclose(f);
				seterr(e, K8S_ECONFIG, "%s %s is too large",
				    what, path);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		seterr(e, K8S_ECONFIG, "cannot read %s %s", what, path);
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

/* Frees a string that held a credential, wiped first (explicit_bzero:
 * a memset before free is a dead store the compiler may drop). */
static void
zfree(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
	free(s);
}

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* ---- kubeconfig ---- */

/* Joins dir and a relative path into out. */
static void
resolve(const char *dir, const char *p, char *out, size_t cap)
{
	if (p[0] == '/' || dir == NULL || dir[0] == '\0')
		snprintf(out, cap, "%s", p);
	else
		snprintf(out, cap, "%s/%s", dir, p);
}

/* Parses one kubeconfig text into a cJSON tree (YAML or JSON). */
static cJSON *
parse_kc(const char *buf, size_t len, const char *name, k8s_err *e)
{
	ym_parser p;
	ym_doc d;
	int r;

	ym_init(&p, buf, len);
	r = ym_next(&p, &d);
	if (r <= 0)
		ym_end(&p);
	if (r < 0) {
		seterr(e, K8S_ECONFIG, "%s:%u:%u: %s", name, p.err.mark.line,
		    p.err.mark.col, p.err.msg);
		return NULL;
	}
	if (r == 0)
		return cJSON_CreateObject(); /* empty file */
	{
		cJSON *root = d.root;
		ym_doc d2;

		d.root = NULL;
		ym_doc_free(&d);
		r = ym_next(&p, &d2);
		if (r > 0)
			ym_doc_free(&d2);
		ym_end(&p);
		if (r != 0) {
			cJSON_Delete(root);
			seterr(e, K8S_ECONFIG, "%s: %s", name, r > 0
			    ? "more than one YAML document" : p.err.msg);
			return NULL;
		}
		if (!cJSON_IsObject(root)) {
			cJSON_Delete(root);
			seterr(e, K8S_ECONFIG, "%s: not a kubeconfig (not a"
			    " mapping)", name);
			return NULL;
		}
		return root;
	}
}

static const char *const path_keys[] = {
	"certificate-authority", "client-certificate", "client-key",
	"tokenFile", NULL
};

/* Makes the relative file paths of entry (a cluster or user) absolute. */
static void
absolutize(cJSON *inner, const char *dir)
{
	char buf[4096];
	const char *v;
	cJSON *ex;
	int i;

	if (!cJSON_IsObject(inner) || dir == NULL || dir[0] == '\0')
		return;
	for (i = 0; path_keys[i]; i++) {
		v = jstr(inner, path_keys[i]);
		if (v != NULL && v[0] != '\0' && v[0] != '/') {
			resolve(dir, v, buf, sizeof buf);
			cJSON_ReplaceItemInObjectCaseSensitive(inner,
			    path_keys[i], cJSON_CreateString(buf));
		}
	}
	ex = cJSON_GetObjectItemCaseSensitive(inner, "exec");
	v = ex ? jstr(ex, "command") : NULL;
	if (v != NULL && v[0] != '/' && strchr(v, '/') != NULL) {
		resolve(dir, v, buf, sizeof buf);
		cJSON_ReplaceItemInObjectCaseSensitive(ex, "command",
		    cJSON_CreateString(buf));
	}
}

/* Finds the entry named name in list (clusters, users, contexts). */
static cJSON *
find_named(const cJSON *list, const char *name)
{
	cJSON *it;

	cJSON_ArrayForEach(it, list) {
		const char *n = jstr(it, "name");
		if (n != NULL && strcmp(n, name) == 0)
			return it;
	}
	return NULL;
}

/*
 * Merges src (from a file in dir) into dst by kubectl's rules: the first
 * file to set a name or a value wins.
 */
static void
merge_kc(cJSON *dst, cJSON *src, const char *dir)
{
	static const char *lists[] = { "clusters", "users", "contexts" };
	static const char *inner[] = { "cluster", "user", "context" };
	const char *cc = jstr(src, "current-context");
	int i;

	if (cc != NULL && cc[0] != '\0' && jstr(dst, "current-context") == NULL)
		cJSON_AddStringToObject(dst, "current-context", cc);
	for (i = 0; i < 3; i++) {
		cJSON *sl = cJSON_GetObjectItemCaseSensitive(src, lists[i]);
		cJSON *dl = cJSON_GetObjectItemCaseSensitive(dst, lists[i]);
		cJSON *it;

		if (!cJSON_IsArray(sl))
			continue;
		if (dl == NULL)
			dl = cJSON_AddArrayToObject(dst, lists[i]);
		cJSON_ArrayForEach(it, sl) {
			const char *n = jstr(it, "name");
			cJSON *cp;

			if (n == NULL || find_named(dl, n) != NULL)
				continue;
			cp = cJSON_Duplicate(it, 1);
			if (cp == NULL)
				continue;
			if (i < 2)
				absolutize(cJSON_GetObjectItemCaseSensitive(cp,
				    inner[i]), dir);
			cJSON_AddItemToArray(dl, cp);
		}
	}
}

/* Parses the server URL into cfg. */
static int
set_server(k8s_config *cfg, const char *url, k8s_err *e)
{
	const char *p = url, *h, *he, *pe, *shown = cfg->server;
	size_t n;
	int bracket = 0;

	/* Messages show the URL without user:password@. */
	if (hm_redact_url(url, cfg->server, sizeof cfg->server)
	    >= sizeof cfg->server)
		return seterr(e, K8S_ECONFIG, "server URL too long");
	if (strcmp(cfg->server, url) != 0)
		return seterr(e, K8S_ECONFIG, "server %s: user information in"
		    " the URL is not supported", shown);
	if (strncmp(p, "https://", 8) == 0) {
		cfg->target.tls = 1;
		p += 8;
	} else if (strncmp(p, "http://", 7) == 0) {
		cfg->target.tls = 0;
		p += 7;
	} else if (strstr(p, "://") != NULL)
		return seterr(e, K8S_ECONFIG, "server %s: unsupported scheme"
		    " (https or http)", shown);
	else
		cfg->target.tls = 1; /* kubectl takes host:port as https */
	h = p;
	if (*h == '[') {
		he = strchr(h, ']');
		if (he == NULL)
			return seterr(e, K8S_ECONFIG, "server %s: unclosed '['",
			    shown);
		h++;
		bracket = 1;
		p = he + 1;
	} else {
		for (he = h; *he && *he != ':' && *he != '/' && *he != '?';
		    he++)
			;
		p = he;
	}
	n = (size_t)(he - h);
	if (n == 0 || n >= sizeof cfg->host)
		return seterr(e, K8S_ECONFIG, "server %s: no host", shown);
	memcpy(cfg->host, h, n);
	cfg->host[n] = '\0';
	if (*p == ':') {
		p++;
		for (pe = p; *pe >= '0' && *pe <= '9'; pe++)
			;
		n = (size_t)(pe - p);
		if (n == 0 || n > 5 || atoi(p) > 65535 || atoi(p) == 0)
			return seterr(e, K8S_ECONFIG, "server %s: bad port",
			    shown);
		memcpy(cfg->port, p, n);
		cfg->port[n] = '\0';
		p = pe;
	} else
		snprintf(cfg->port, sizeof cfg->port, "%s", cfg->target.tls
		    ? "443" : "80");
	if (*p != '\0' && *p != '/')
		return seterr(e, K8S_ECONFIG, "server %s: bad host or port",
		    shown);
	snprintf(cfg->prefix, sizeof cfg->prefix, "%s", p);
	n = strlen(cfg->prefix);
	while (n > 0 && cfg->prefix[n - 1] == '/')
		cfg->prefix[--n] = '\0';
	/* Name or address? */
	cfg->target.ip_len = 0;
	if (inet_pton(AF_INET6, cfg->host, cfg->ip) == 1)
		cfg->target.ip_len = 16;
	else if (inet_pton(AF_INET, cfg->host, cfg->ip) == 1)
		cfg->target.ip_len = 4;
	else if (bracket)
		return seterr(e, K8S_ECONFIG, "server %s: bad IPv6 address",
		    shown);
	return 0;
}

/* Reads a file or *-data field into PEM bytes (malloc'd, NUL-ended). */
static char *
pem_field(const cJSON *o, const char *file_key, const char *data_key,
    size_t *len, k8s_err *e)
{
	const char *d = jstr(o, data_key);
	const char *f = jstr(o, file_key);

	if (d != NULL && d[0] != '\0') {
		size_t dl = strlen(d);
		unsigned char *out = malloc(dl + 1);
		long n;

		if (out == NULL) {
			seterr(e, K8S_ECONFIG, "out of memory");
			return NULL;
		}
		n = hm_b64_decode(d, dl, out, dl);
		if (n < 0) {
			free(out);
			seterr(e, K8S_ECONFIG, "%s is not valid base64",
			    data_key);
			return NULL;
		}
		out[n] = '\0';
		*len = (size_t)n;
		return (char *)out;
	}
	if (f != NULL && f[0] != '\0')
		return read_file(f, len, e, file_key);
	*len = 0;
	return NULL;
}

/* Loads a PEM field into creds with fn; sets e->msg with the field name. */
static int
load_pem(k8s_config *cfg, const cJSON *o, const char *fk, const char *dk,
    int (*fn)(hm_creds *, const char *, size_t, hm_err *), int *found,
    k8s_err *e)
{
	size_t len;
	char *pem;
	hm_err he = { 0 };
	int r;

	e->cat = 0;
	pem = pem_field(o, fk, dk, &len, e);
	if (pem == NULL) {
		*found = 0;
		return e->cat ? -1 : 0;
	}
	*found = 1;
	r = fn(&cfg->creds, pem, len, &he);
	explicit_bzero(pem, len);
	free(pem);
	if (r < 0)
		return seterr(e, K8S_ECONFIG, "%s: %s", jstr(o, dk) ? dk : fk,
		    he.msg);
	return 0;
}

/* Is the server excluded from proxying by NO_PROXY (Go's httpproxy rules)? */
static int
no_proxy(const k8s_config *cfg)
{
	const char *np = getenv("NO_PROXY");

	if (np == NULL || np[0] == '\0')
		np = getenv("no_proxy");
	return hm_no_proxy(np, cfg->host, cfg->port);
}

/* Sets the CONNECT proxy from a URL (http://[user:pass@]host[:port]). */
static int
set_proxy(k8s_config *cfg, const char *url, k8s_err *e)
{
	const char *p = url, *at = NULL, *h, *he, *q;
	char shown[600];
	size_t n;

	/* Messages show the URL without user:password@. */
	hm_redact_url(url, shown, sizeof shown);
	if (strncmp(p, "http://", 7) == 0)
		p += 7;
	else if (strncmp(p, "https://", 8) == 0)
		return seterr(e, K8S_ECONFIG, "proxy %s: https proxies are not"
		    " supported (use http://)", shown);
	else if (strstr(p, "://") != NULL)
		return seterr(e, K8S_ECONFIG, "proxy %s: unsupported scheme"
		    " (socks proxies are not supported)", shown);
	for (q = p; *q != '\0' && *q != '/' && *q != '?' && *q != '#'; q++)
		if (*q == '@')
			at = q; /* the last '@' of the authority, as Go */
	if (at != NULL) {
		/* percent-decoded, as Go sends them */
		char auth[720];

		n = (size_t)(at - p);
		if (n >= 512 || hm_proxy_auth(p, n, auth, sizeof auth) < 0)
			return seterr(e, K8S_ECONFIG, "proxy %s: the credentials are"
			    " too long or have a bad %%-escape", shown);
		zfree(cfg->proxy_auth);
		cfg->proxy_auth = strdup(auth);
		explicit_bzero(auth, sizeof auth);
		if (cfg->proxy_auth == NULL)
			return seterr(e, K8S_ECONFIG, "out of memory");
		p = at + 1;
	}
	h = p;
	if (*h == '[') {
		he = strchr(h, ']');
		if (he == NULL)
			return seterr(e, K8S_ECONFIG, "proxy %s: bad host",
			    shown);
		h++;
		p = he + 1;
	} else {
		for (he = h; *he && *he != ':' && *he != '/'; he++)
			;
		p = he;
	}
	n = (size_t)(he - h);
	if (n == 0 || n >= sizeof cfg->proxy_host)
		return seterr(e, K8S_ECONFIG, "proxy %s: no host", shown);
	memcpy(cfg->proxy_host, h, n);
	cfg->proxy_host[n] = '\0';
	if (*p == ':') {
		n = strspn(p + 1, "0123456789");
		if (n == 0 || n > 5)
			return seterr(e, K8S_ECONFIG, "proxy %s: bad port",
			    shown);
		memcpy(cfg->proxy_port, p + 1, n);
		cfg->proxy_port[n] = '\0';
	} else
		snprintf(cfg->proxy_port, sizeof cfg->proxy_port, "80");
	return 0;
}

static int
get_bool(const cJSON *o, const char *key)
{
	const cJSON *v = jget(o, key);

	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	if (cJSON_IsString(v))
		return strcmp(v->valuestring, "true") == 0;
	return 0;
}

/* Finishes the target from the config fields (after cluster and user). */
static void
finish_target(k8s_config *cfg)
{
	hm_target *t = &cfg->target;

	t->host = cfg->host;
	t->port = cfg->port;
	t->tls_name = cfg->tls_name[0] ? cfg->tls_name : NULL;
	memcpy(t->ip, cfg->ip, sizeof t->ip);
	if (t->tls_name != NULL)
		t->ip_len = 0;
	t->tas = cfg->creds.tas;
	t->tas_num = cfg->creds.tas_num;
	t->chain = cfg->creds.chain;
	t->chain_len = cfg->creds.chain_len;
	t->rsa = cfg->creds.key_type == BR_KEYTYPE_RSA ? &cfg->creds.rsa
	    : NULL;
	t->ec = cfg->creds.key_type == BR_KEYTYPE_EC ? &cfg->creds.ec : NULL;
	t->proxy_host = cfg->proxy_host[0] ? cfg->proxy_host : NULL;
	t->proxy_port = cfg->proxy_port;
	t->proxy_auth = cfg->proxy_auth;
}

/* No CA in the kubeconfig: the system's bundle, as kubectl would. */
static int
system_roots(k8s_config *cfg, k8s_err *e)
{
	static const char *const paths[] = {
		"/etc/ssl/certs/ca-certificates.crt",
		"/etc/pki/tls/certs/ca-bundle.crt",
		"/etc/ssl/cert.pem", NULL
	};
	const char *env = getenv("SSL_CERT_FILE");
	hm_err he = { 0 };
	size_t len;
	char *pem;
	int i;

	for (i = -1; i < 0 || paths[i] != NULL; i++) {
		const char *p = i < 0 ? env : paths[i];
		if (p == NULL || p[0] == '\0' || access(p, R_OK) != 0)
			continue;
		pem = read_file(p, &len, e, "CA bundle");
		if (pem == NULL)
			return -1;
		if (hm_pem_trust(&cfg->creds, pem, len, &he) < 0) {
			free(pem);
			return seterr(e, K8S_ECONFIG, "the system CA bundle %s"
			    " cannot be read: %s", p, he.msg);
		}
		free(pem);
		return 0;
	}
	return seterr(e, K8S_ECONFIG, "no system CA bundle was found"
	    " (set certificate-authority or SSL_CERT_FILE)");
}

static int
load_cluster(k8s_config *cfg, const cJSON *cl, const char *cname,
    const k8s_opts *o, k8s_err *e)
{
	const char *server = jstr(cl, "server");
	const char *tsn = jstr(cl, "tls-server-name");
	const char *px = jstr(cl, "proxy-url");
	int found;

	if (server == NULL || server[0] == '\0')
		return seterr(e, K8S_ECONFIG, "cluster \"%s\" has no server",
		    cname);
	if (set_server(cfg, server, e) < 0)
		return -1;
	if (tsn != NULL && tsn[0] != '\0')
		snprintf(cfg->tls_name, sizeof cfg->tls_name, "%s", tsn);
	else if (cfg->target.ip_len == 0)
		snprintf(cfg->tls_name, sizeof cfg->tls_name, "%s", cfg->host);
	cfg->target.insecure = get_bool(cl, "insecure-skip-tls-verify")
	    || (o && o->insecure);
	if (load_pem(cfg, cl, "certificate-authority",
	    "certificate-authority-data", hm_pem_trust, &found, e) < 0)
		return -1;
	if (cfg->target.tls && !found && !cfg->target.insecure
	    && system_roots(cfg, e) < 0) {
		char m[sizeof e->msg]; /* not vsnprintf's own target */

		snprintf(m, sizeof m, "%s", e->msg);
		return seterr(e, K8S_ECONFIG, "cluster \"%s\" has no"
		    " certificate-authority, and %s", cname, m);
	}
	if (cfg->target.insecure && cfg->target.tls)
		snprintf(cfg->warning, sizeof cfg->warning, "WARNING: the"
		    " server certificate of %s is NOT verified"
		    " (insecure-skip-tls-verify): anyone on the path can read"
		    " and change this traffic", cfg->server);
	if (!cfg->target.tls)
		snprintf(cfg->warning, sizeof cfg->warning, "WARNING: %s is"
		    " plain http: credentials and data travel unencrypted",
		    cfg->server);
	if (px != NULL && px[0] != '\0') {
		if (set_proxy(cfg, px, e) < 0)
			return -1;
	} else if (!no_proxy(cfg)) {
		const char *env = cfg->target.tls ? getenv("HTTPS_PROXY")
		    : getenv("HTTP_PROXY");
		if (env == NULL || env[0] == '\0')
			env = cfg->target.tls ? getenv("https_proxy")
			    : getenv("http_proxy");
		if (env != NULL && env[0] != '\0' && set_proxy(cfg, env, e) < 0)
			return -1;
	}
	return 0;
}

static int
load_user(k8s_config *cfg, const cJSON *u, const char *uname, k8s_err *e)
{
	const char *tok = jstr(u, "token");
	const char *tf = jstr(u, "tokenFile");
	const char *un = jstr(u, "username");
	const char *pw = jstr(u, "password");
	const cJSON *ap = jget(u, "auth-provider");
	const cJSON *ex = jget(u, "exec");
	int cert = 0, key = 0;

	if (u == NULL)
		return 0;
	if (load_pem(cfg, u, "client-certificate", "client-certificate-data",
	    hm_pem_chain, &cert, e) < 0)
		return -1;
	if (load_pem(cfg, u, "client-key", "client-key-data", hm_pem_key,
	    &key, e) < 0)
		return -1;
	if (cert != key)
		return seterr(e, K8S_ECONFIG, "user \"%s\" has a client %s"
		    " without a client %s", uname, cert ? "certificate"
		    : "key", cert ? "key" : "certificate");
	if (has_ctl(tok, 0) || has_ctl(un, 0) || has_ctl(pw, 0))
		return seterr(e, K8S_ECONFIG, "user \"%s\": its token, username"
		    " or password holds a control character, which no HTTP"
		    " header can carry", uname);
	if (tok != NULL && tok[0] != '\0') {
		cfg->token = xstrdup(tok);
		cfg->auth = 1;
	} else if (tf != NULL && tf[0] != '\0') {
		cfg->token_file = xstrdup(tf);
		cfg->auth = 2;
	} else if (un != NULL && un[0] != '\0') {
		char up[1024], *b;
		size_t n;

		n = (size_t)snprintf(up, sizeof up, "%s:%s", un, pw ? pw : "");
		b = n < sizeof up ? malloc(6 + 4 * ((n + 2) / 3) + 1) : NULL;
		if (b != NULL) {
			memcpy(b, "Basic ", 6);
			hm_b64_encode(up, n, b + 6);
		}
		explicit_bzero(up, sizeof up);
		if (b == NULL)
			return seterr(e, K8S_ECONFIG, "user \"%s\": %s", uname,
			    n >= sizeof up ? "username or password too long"
			    : "out of memory");
		cfg->basic = b;
		cfg->auth = 3;
	} else if (cJSON_IsObject(ex)) {
		const char *av = jstr(ex, "apiVersion");
		const char *cmd = jstr(ex, "command");

		if (cmd == NULL || cmd[0] == '\0')
			return seterr(e, K8S_ECONFIG, "user \"%s\": exec has"
			    " no command", uname);
		if (av == NULL || (strcmp(av,
		    "client.authentication.k8s.io/v1") != 0 && strcmp(av,
		    "client.authentication.k8s.io/v1beta1") != 0))
			return seterr(e, K8S_ECONFIG, "user \"%s\": exec"
			    " apiVersion %s is not supported (v1 or v1beta1 of"
			    " client.authentication.k8s.io)", uname,
			    av ? av : "(none)");
		if (jstr(ex, "interactiveMode") != NULL
		    && strcmp(jstr(ex, "interactiveMode"), "Always") == 0)
			return seterr(e, K8S_ECONFIG, "user \"%s\": the exec"
			    " plugin %s needs a terminal (interactiveMode:"
			    " Always), which hookctl does not give it", uname,
			    cmd);
		cfg->exec = cJSON_Duplicate(ex, 1);
		cfg->auth = 4;
	} else if (cJSON_IsObject(ap)) {
		const char *n = jstr(ap, "name");
		return seterr(e, K8S_ECONFIG, "user \"%s\": auth-provider"
		    " \"%s\" is not supported (use an exec credential plugin,"
		    " a token or a client certificate)", uname, n ? n : "?");
	}
	return 0;
}

void
k8s_config_free(k8s_config *cfg)
{
	hm_creds_free(&cfg->creds);
	zfree(cfg->token);
	free(cfg->token_file);
	zfree(cfg->basic);
	zfree(cfg->proxy_auth);
	free(cfg->exec_dir);
	free(cfg->exec_cluster);
	cJSON_Delete(cfg->exec);
	memset(cfg, 0, sizeof *cfg);
}

/*
 * The Cluster object that an exec plugin with provideClusterInfo gets in
 * KUBERNETES_EXEC_INFO (client.authentication.k8s.io Cluster).
 */
static int
exec_cluster_info(k8s_config *cfg, const cJSON *cl, k8s_err *e)
{
	cJSON *o = cJSON_CreateObject(), *ext;
	const char *v;
	size_t len;
	char *pem, *b64;

	if (o == NULL)
		return seterr(e, K8S_ECONFIG, "out of memory");
	cJSON_AddStringToObject(o, "server", jstr(cl, "server"));
	if ((v = jstr(cl, "tls-server-name")) != NULL)
		cJSON_AddStringToObject(o, "tls-server-name", v);
	if (get_bool(cl, "insecure-skip-tls-verify"))
		cJSON_AddTrueToObject(o, "insecure-skip-tls-verify");
	if ((v = jstr(cl, "proxy-url")) != NULL)
		cJSON_AddStringToObject(o, "proxy-url", v);
	e->cat = 0;
	pem = pem_field(cl, "certificate-authority",
	    "certificate-authority-data", &len, e);
	if (pem != NULL) {
		b64 = malloc(4 * ((len + 2) / 3) + 1);
		if (b64 != NULL) {
			hm_b64_encode(pem, len, b64);
			cJSON_AddStringToObject(o,
			    "certificate-authority-data", b64);
			free(b64);
		}
		free(pem);
	}
	cJSON_ArrayForEach(ext, jget(cl, "extensions")) {
		v = jstr(ext, "name");
		if (v != NULL && strcmp(v,
		    "client.authentication.k8s.io/exec") == 0
		    && jget(ext, "extension") != NULL)
			cJSON_AddItemToObject(o, "config", cJSON_Duplicate(
			    jget(ext, "extension"), 1));
	}
	cfg->exec_cluster = jm_print(o);
	cJSON_Delete(o);
	if (cfg->exec_cluster == NULL)
		return seterr(e, K8S_ECONFIG, "out of memory");
	return 0;
}

/* Loads cfg from a merged kubeconfig tree. */
static int
load_tree(k8s_config *cfg, const cJSON *kc, const char *src,
    const k8s_opts *o, k8s_err *e)
{
	const char *ctxname = o && o->context && o->context[0] ? o->context
	    : jstr(kc, "current-context");
	const cJSON *ctx, *cl, *us;
	const char *cn, *un, *ns;

	if (ctxname == NULL || ctxname[0] == '\0')
		return seterr(e, K8S_ECONFIG, "%s: no current-context (use"
		    " --kube-context)", src);
	ctx = jget(find_named(jget(kc, "contexts"), ctxname), "context");
	if (!cJSON_IsObject(ctx)) {
		/* say which ones there are, as a user would look them up */
		char known[300];
		const cJSON *c;
		size_t n = 0;

		known[0] = '\0';
		cJSON_ArrayForEach(c, jget(kc, "contexts")) {
			const char *name = jstr(c, "name");
			int w;
			if (name == NULL || n + 8 >= sizeof known)
				continue;
			w = snprintf(known + n, sizeof known - n, "%s\"%s\"", n ? ", " : "",
			    name);
			if (w > 0)
				n = (size_t)w >= sizeof known - n ? sizeof known - 1 : n + (size_t)w;
		}
		return seterr(e, K8S_ECONFIG, "%s: context \"%s\" not found (%s%s)",
		    src, ctxname, n ? "known: " : "it has no contexts", known);
	}
	snprintf(cfg->context, sizeof cfg->context, "%s", ctxname);
	cn = jstr(ctx, "cluster");
	un = jstr(ctx, "user");
	ns = jstr(ctx, "namespace");
	if (cn == NULL || cn[0] == '\0')
		return seterr(e, K8S_ECONFIG, "%s: context \"%s\" has no"
		    " cluster", src, ctxname);
	cl = jget(find_named(jget(kc, "clusters"), cn), "cluster");
	if (!cJSON_IsObject(cl))
		return seterr(e, K8S_ECONFIG, "%s: cluster \"%s\" not found",
		    src, cn);
	us = NULL;
	if (un != NULL && un[0] != '\0') {
		const cJSON *ue = find_named(jget(kc, "users"), un);
		if (ue == NULL)
			return seterr(e, K8S_ECONFIG, "%s: user \"%s\" not"
			    " found", src, un);
		us = jget(ue, "user");
	}
	if (o && o->namespace && o->namespace[0])
		ns = o->namespace;
	snprintf(cfg->namespace, sizeof cfg->namespace, "%s", ns && ns[0]
	    ? ns : "default");
	if (load_cluster(cfg, cl, cn, o, e) < 0)
		return -1;
	if (load_user(cfg, us, un ? un : "", e) < 0)
		return -1;
	if (cfg->exec != NULL && get_bool(cfg->exec, "provideClusterInfo")
	    && exec_cluster_info(cfg, cl, e) < 0)
		return -1;
	finish_target(cfg);
	return 0;
}

int
k8s_config_parse(k8s_config *cfg, const char *buf, size_t len,
    const char *dir, const k8s_opts *o, k8s_err *e)
{
	cJSON *src, *kc;
	int r;

	memset(cfg, 0, sizeof *cfg);
	src = parse_kc(buf, len, "kubeconfig", e);
	if (src == NULL)
		return -1;
	kc = cJSON_CreateObject();
	merge_kc(kc, src, dir);
	cJSON_Delete(src);
	r = load_tree(cfg, kc, "kubeconfig", o, e);
	cJSON_Delete(kc);
	if (r < 0)
		k8s_config_free(cfg);
	return r;
}

static int
load_in_cluster(k8s_config *cfg, const k8s_opts *o, k8s_err *e)
{
	const char *h = getenv("KUBERNETES_SERVICE_HOST");
	const char *p = getenv("KUBERNETES_SERVICE_PORT");
	char url[600], *ns;
	size_t len;
	hm_err he = { 0 };
	char *ca;

	snprintf(url, sizeof url, "https://%s%s%s:%s", strchr(h, ':') ? "["
	    : "", h, strchr(h, ':') ? "]" : "", p && p[0] ? p : "443");
	if (set_server(cfg, url, e) < 0)
		return -1;
	snprintf(cfg->context, sizeof cfg->context, "in-cluster");
	cfg->in_cluster = 1;
	if (cfg->target.ip_len == 0)
		snprintf(cfg->tls_name, sizeof cfg->tls_name, "%s", cfg->host);
	ca = read_file(SA_DIR "/ca.crt", &len, e, "in-cluster CA");
	if (ca == NULL)
		return -1;
	if (hm_pem_trust(&cfg->creds, ca, len, &he) < 0) {
		free(ca);
		return seterr(e, K8S_ECONFIG, "%s/ca.crt: %s", SA_DIR, he.msg);
	}
	free(ca);
	cfg->token_file = xstrdup(SA_DIR "/token");
	cfg->auth = 2;
	if (access(cfg->token_file, R_OK) != 0)
		return seterr(e, K8S_ECONFIG, "cannot read in-cluster token"
		    " %s: %s", cfg->token_file, strerror(errno));
	ns = read_file(SA_DIR "/namespace", &len, NULL, "namespace");
	while (ns != NULL && len > 0 && (ns[len - 1] == '\n'
	    || ns[len - 1] == ' '))
		ns[--len] = '\0';
	snprintf(cfg->namespace, sizeof cfg->namespace, "%s",
	    o && o->namespace && o->namespace[0] ? o->namespace
	    : ns && ns[0] ? ns : "default");
	free(ns);
	cfg->target.insecure = o && o->insecure;
	if (cfg->target.insecure)
		snprintf(cfg->warning, sizeof cfg->warning, "WARNING: the"
		    " server certificate of %s is NOT verified", cfg->server);
	if (!no_proxy(cfg)) {
		const char *env = getenv("HTTPS_PROXY");
		if (env == NULL || env[0] == '\0')
			env = getenv("https_proxy");
		if (env != NULL && env[0] != '\0' && set_proxy(cfg, env, e) < 0)
			return -1;
	}
	finish_target(cfg);
	return 0;
}

static char *
dir_of(const char *path)
{
	char *d = xstrdup(path), *s;

	if (d == NULL)
		return NULL;
	s = strrchr(d, '/');
	if (s == NULL)
		strcpy(d, ".");
	else if (s == d)
		d[1] = '\0';
	else
		*s = '\0';
	return d;
}

int
k8s_config_load(k8s_config *cfg, const k8s_opts *o, k8s_err *e)
{
	char home[4096], *list = NULL, *item, *save = NULL;
	const char *env = getenv("KUBECONFIG");
	cJSON *kc;
	int files = 0, r;
	char src[512] = "";

	memset(cfg, 0, sizeof *cfg);
	if (o && o->kubeconfig && o->kubeconfig[0])
		list = xstrdup(o->kubeconfig);
	else if (env != NULL && env[0] != '\0')
		list = xstrdup(env);
	else {
		const char *h = getenv("HOME");
		snprintf(home, sizeof home, "%s/.kube/config", h ? h : "");
		if (h != NULL && access(home, F_OK) == 0)
			list = xstrdup(home);
		else if (getenv("KUBERNETES_SERVICE_HOST") != NULL
		    && getenv("KUBERNETES_SERVICE_HOST")[0] != '\0') {
			r = load_in_cluster(cfg, o, e);
			if (r < 0)
				k8s_config_free(cfg);
			return r;
		} else
			return seterr(e, K8S_ECONFIG, "no kubeconfig: use"
			    " --kubeconfig, set KUBECONFIG, create"
			    " ~/.kube/config, or run in a pod");
	}
	if (list == NULL)
		return seterr(e, K8S_ECONFIG, "out of memory");
	kc = cJSON_CreateObject();
	for (item = strtok_r(list, o && o->kubeconfig && o->kubeconfig[0]
	    ? "" : ":", &save); item != NULL; item = strtok_r(NULL, ":",
	    &save)) {
		size_t len;
		char *buf, *dir;
		cJSON *one;
		int explicit = o && o->kubeconfig && o->kubeconfig[0];

		if (item[0] == '\0')
			continue;
		if (!explicit && access(item, F_OK) != 0)
			continue; /* kubectl skips missing KUBECONFIG files */
		buf = read_file(item, &len, e, "kubeconfig");
		if (buf == NULL) {
			free(list);
			cJSON_Delete(kc);
			return -1;
		}
		one = parse_kc(buf, len, item, e);
		free(buf);
		if (one == NULL) {
			free(list);
			cJSON_Delete(kc);
			return -1;
		}
		dir = dir_of(item);
		merge_kc(kc, one, dir);
		free(dir);
		cJSON_Delete(one);
		if (files++ == 0)
			snprintf(src, sizeof src, "%s", item);
	}
	free(list);
	if (files == 0) {
		cJSON_Delete(kc);
		return seterr(e, K8S_ECONFIG, "no kubeconfig file found in"
		    " KUBECONFIG");
	}
	if (files > 1)
		snprintf(src, sizeof src, "KUBECONFIG");
	r = load_tree(cfg, kc, src, o, e);
	cJSON_Delete(kc);
	if (r < 0)
		k8s_config_free(cfg);
	return r;
}

/* ---- credentials at request time ---- */

/* Re-reads a token file when it changed (bound tokens rotate). */
static int
refresh_token_file(k8s_config *cfg, k8s_err *e)
{
	struct stat st;
	int64_t m;
	size_t len;
	char *t;

	if (stat(cfg->token_file, &st) != 0)
		return seterr(e, K8S_ECONFIG, "cannot read token file %s: %s",
		    cfg->token_file, strerror(errno));
	m = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	if (cfg->token != NULL && m == cfg->token_mtime
	    && hm_now_ms() - cfg->token_read_ms < 60000)
		return 0;
	t = read_file(cfg->token_file, &len, e, "token file");
	if (t == NULL)
		return -1;
	while (len > 0 && (t[len - 1] == '\n' || t[len - 1] == '\r'
	    || t[len - 1] == ' '))
		t[--len] = '\0';
	if (has_ctl(t, 0)) {
		zfree(t);
		return seterr(e, K8S_ECONFIG, "token file %s holds a control"
		    " character, which no HTTP header can carry",
		    cfg->token_file);
	}
	zfree(cfg->token);
	cfg->token = t;
	cfg->token_mtime = m;
	cfg->token_read_ms = hm_now_ms();
	return 0;
}

/* Parses an RFC 3339 UTC time ("2006-01-02T15:04:05Z") to seconds. */
static int64_t
parse_time(const char *s)
{
	/* positions of the fields in "YYYY-MM-DDTHH:MM:SS" and their widths */
	static const unsigned char at[6] = { 0, 5, 8, 11, 14, 17 }, w[6] = { 4, 2, 2, 2, 2, 2 };
	int v[6], y, mo, d, h, mi, se;
	int64_t days;
	size_t i, k;

	if (strlen(s) < 19)
		return 0;
	for (i = 0; i < 6; i++) {
		v[i] = 0;
		for (k = 0; k < w[i]; k++) {
			char ch = s[at[i] + k];
			if (ch < '0' || ch > '9')
				return 0;
			v[i] = v[i] * 10 + (ch - '0');
		}
	}
	y = v[0], mo = v[1], d = v[2], h = v[3], mi = v[4], se = v[5];
	if (mo < 1 || mo > 12)
		return 0;
	/* days from civil (Howard Hinnant's algorithm) */
	y -= mo <= 2;
	{
		int64_t era = (y >= 0 ? y : y - 399) / 400;
		unsigned yoe = (unsigned)(y - era * 400);
		unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
		unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
		days = era * 146097 + (int64_t)doe - 719468;
	}
	return days * 86400 + h * 3600 + mi * 60 + se;
}

/* Wipes every string of a tree that held credentials, before freeing. */
static void
wipe_json(cJSON *j)
{
	for (; j != NULL; j = j->next) {
		if (j->valuestring != NULL)
			explicit_bzero(j->valuestring, strlen(j->valuestring));
		wipe_json(j->child);
	}
}

/* Does the kubeconfig's exec env (or KUBERNETES_EXEC_INFO, which is
 * always ours) set the variable of kv ("NAME=value")? */
static int
env_ours(const cJSON *env, const char *kv)
{
	const cJSON *it;
	size_t n = strcspn(kv, "=");

	if (n == 20 && strncmp(kv, "KUBERNETES_EXEC_INFO", n) == 0)
		return 1;
	cJSON_ArrayForEach(it, env) {
		const char *en = jstr(it, "name");
		if (en != NULL && strlen(en) == n && strncmp(kv, en, n) == 0)
			return 1;
	}
	return 0;
}

/*
 * Reads the plugin's output into out (at most EXEC_OUT bytes, *len)
 * until it closes it and exits, before dl and while no stop is asked:
 * then 0 with its wait status in *st.  Otherwise -1 with err, and the
 * plugin's whole process group (it leads one) killed: neither a plugin
 * that hangs nor a child of it that keeps its stdout open can hold us.
 */
static int
exec_wait(k8s_client *c, const char *cmd, pid_t pid, int fd, int64_t dl,
    char *out, size_t *len, int *st, k8s_err *e)
{
	int64_t t0 = hm_now_ms(), left;
	int exited = 0, k;
	struct pollfd pf;
	ssize_t n;

	*len = 0;
	while ((fd >= 0 || !exited) && *len <= EXEC_OUT && !stopped(c, e)
	    && (left = dl - hm_now_ms()) > 0) {
		if (left > (fd < 0 ? 20 : 250))
			left = fd < 0 ? 20 : 250;
		pf.fd = fd; /* -1 after EOF: poll only waits */
		pf.events = POLLIN;
		k = poll(&pf, 1, (int)left);
		if (k > 0) {
			n = read(fd, out + *len, EXEC_OUT + 1 - *len);
			if (n > 0)
				*len += (size_t)n;
			else if (n == 0 || errno != EINTR) {
				close(fd);
				fd = -1;
			}
		}
		/* ECHILD: SIGCHLD is ignored, no status is kept. */
		if (!exited && ((k = waitpid(pid, st, WNOHANG)) == pid
		    || (k < 0 && errno == ECHILD)))
			exited = 1;
	}
	if (fd >= 0)
		close(fd);
	else if (exited && *len <= EXEC_OUT)
		return 0;
	kill(-pid, SIGKILL);
	while (!exited && waitpid(pid, st, 0) < 0 && errno == EINTR)
		;
	if (stopped(c, e))
		return seterr(e, K8S_ESTOPPED, "exec plugin %s: stopped by a"
		    " signal; killed", cmd);
	if (*len > EXEC_OUT)
		return seterr(e, K8S_ECONNECT, "exec plugin %s wrote more than"
		    " 1 MiB; killed", cmd);
	return seterr(e, K8S_ECONNECT, "exec plugin %s did not answer within"
	    " %lld s%s; killed", cmd, (long long)(dl - t0 + 999) / 1000,
	    exited ? " (it exited, but a process it started keeps its output"
	    " open)" : "");
}

/*
 * Runs the exec credential plugin and takes its token or certificate.
 * It has until the client's deadline, or EXEC_MS without one.
 */
static int
run_exec(k8s_client *c, k8s_err *e)
{
	k8s_config *cfg = c->cfg;
	const cJSON *ex = cfg->exec, *it;
	const char *cmd = jstr(ex, "command");
	const char *av = jstr(ex, "apiVersion");
	char **argv = NULL, **envp = NULL, *info = NULL;
	size_t nargs = 0, nenv = 0, i, n, len = 0;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t sa;
	int pfd[2], st = 0, r = -1;
	pid_t pid;
	char *out = NULL;
	cJSON *cred = NULL;
	const cJSON *status;
	const char *tok, *ccd, *ckd, *exp;

	cJSON_ArrayForEach(it, jget(ex, "args"))
		nargs++;
	cJSON_ArrayForEach(it, jget(ex, "env"))
		nenv++;
	for (n = 0; environ[n] != NULL; n++)
		;
	argv = calloc(nargs + 2, sizeof *argv);
	envp = calloc(n + nenv + 2, sizeof *envp);
	out = malloc(EXEC_OUT + 1);
	if (argv == NULL || envp == NULL || out == NULL) {
		seterr(e, K8S_ECONFIG, "out of memory");
		goto done;
	}
	argv[0] = (char *)cmd;
	i = 1;
	cJSON_ArrayForEach(it, jget(ex, "args"))
		if (cJSON_IsString(it))
			argv[i++] = it->valuestring;
	/*
	 * The kubeconfig's env overrides the inherited one, as kubectl's
	 * (Go keeps the last entry of a name; a plugin in Go or Python
	 * would read the first): the names it sets are left out of ours.
	 */
	for (i = 0, n = 0; environ[i] != NULL; i++)
		if (!env_ours(jget(ex, "env"), environ[i]))
			envp[n++] = environ[i];
	i = n;
	cJSON_ArrayForEach(it, jget(ex, "env")) {
		const char *en = jstr(it, "name"), *ev = jstr(it, "value");
		char *kv;
		if (en == NULL)
			continue;
		kv = malloc(strlen(en) + strlen(ev ? ev : "") + 2);
		if (kv == NULL)
			continue;
		sprintf(kv, "%s=%s", en, ev ? ev : "");
		envp[i++] = kv;
	}
	{
		size_t il = strlen(av) + 128 + (cfg->exec_cluster
		    ? strlen(cfg->exec_cluster) : 0);

		info = malloc(il);
		if (info == NULL) {
			seterr(e, K8S_ECONFIG, "out of memory");
			goto done;
		}
		snprintf(info, il, "KUBERNETES_EXEC_INFO={\"apiVersion\":"
		    "\"%s\",\"kind\":\"ExecCredential\",\"spec\":{%s%s%s"
		    "\"interactive\":false}}", av, cfg->exec_cluster
		    ? "\"cluster\":" : "", cfg->exec_cluster
		    ? cfg->exec_cluster : "", cfg->exec_cluster ? "," : "");
	}
	envp[i++] = info;
	if (pipe(pfd) != 0) {
		seterr(e, K8S_ECONNECT, "exec plugin: pipe: %s",
		    strerror(errno));
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	posix_spawn_file_actions_addclose(&fa, pfd[1]);
	/* Its own process group (setpgid(0, 0)): all of it can be killed. */
	posix_spawnattr_init(&sa);
	posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&sa, 0);
	{
		int rc;
		if (strchr(cmd, '/') != NULL)
			rc = posix_spawn(&pid, cmd, &fa, &sa, argv, envp);
		else
			rc = posix_spawnp(&pid, cmd, &fa, &sa, argv, envp);
		posix_spawn_file_actions_destroy(&fa);
		posix_spawnattr_destroy(&sa);
		close(pfd[1]);
		if (rc != 0) {
			close(pfd[0]);
			seterr(e, K8S_ECONFIG, "exec plugin %s: %s", cmd,
			    strerror(rc));
			goto done;
		}
	}
	if (exec_wait(c, cmd, pid, pfd[0], c->deadline > 0 ? c->deadline
	    : hm_now_ms() + EXEC_MS, out, &len, &st, e) < 0)
		goto done;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		seterr(e, K8S_ECONNECT, "exec plugin %s failed (exit status"
		    " %d)", cmd, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		goto done;
	}
	cred = cJSON_ParseWithLength(out, len);
	status = jget(cred, "status");
	if (!cJSON_IsObject(status) || jstr(cred, "kind") == NULL
	    || strcmp(jstr(cred, "kind"), "ExecCredential") != 0) {
		seterr(e, K8S_ECONNECT, "exec plugin %s: output is not an"
		    " ExecCredential with a status", cmd);
		goto done;
	}
	if (jstr(cred, "apiVersion") == NULL || strcmp(jstr(cred,
	    "apiVersion"), av) != 0) {
		seterr(e, K8S_ECONNECT, "exec plugin %s: answered apiVersion"
		    " %s, expected %s", cmd, jstr(cred, "apiVersion")
		    ? jstr(cred, "apiVersion") : "(none)", av);
		goto done;
	}
	tok = jstr(status, "token");
	if (has_ctl(tok, 0)) {
		seterr(e, K8S_ECONNECT, "exec plugin %s: its token holds a"
		    " control character, which no HTTP header can carry", cmd);
		goto done;
	}
	ccd = jstr(status, "clientCertificateData");
	ckd = jstr(status, "clientKeyData");
	exp = jstr(status, "expirationTimestamp");
	if ((tok == NULL || tok[0] == '\0') && (ccd == NULL || ckd == NULL)) {
		seterr(e, K8S_ECONNECT, "exec plugin %s: no token and no"
		    " client certificate in its status", cmd);
		goto done;
	}
	if (ccd != NULL && ckd != NULL) {
		hm_err he = { 0 };
		hm_creds nc;

		/* Keep the trust anchors, replace chain and key. */
		memset(&nc, 0, sizeof nc);
		if (hm_pem_chain(&nc, ccd, strlen(ccd), &he) < 0
		    || hm_pem_key(&nc, ckd, strlen(ckd), &he) < 0) {
			hm_creds_free(&nc);
			seterr(e, K8S_ECONNECT, "exec plugin %s: %s", cmd,
			    he.msg);
			goto done;
		}
		nc.tas = cfg->creds.tas;
		nc.tas_num = cfg->creds.tas_num;
		cfg->creds.tas = NULL;
		cfg->creds.tas_num = 0;
		hm_creds_free(&cfg->creds);
		cfg->creds = nc;
		finish_target(cfg);
	}
	if (tok != NULL && tok[0] != '\0') {
		zfree(cfg->token);
		cfg->token = xstrdup(tok);
	}
	cfg->exec_expiry = exp ? parse_time(exp) : 0;
	cfg->token_read_ms = hm_now_ms();
	r = 0;
done:
	if (envp != NULL)
		for (i = n; envp[i] != NULL; i++)
			if (envp[i] != info)
				zfree(envp[i]);
	free(info);
	free(envp);
	free(argv);
	if (out) {
		explicit_bzero(out, len);
		free(out);
	}
	wipe_json(cred);
	cJSON_Delete(cred);
	return r;
}

/* Makes sure the credentials are fresh; force: the server said 401. */
static int
ensure_auth(k8s_client *c, int force, k8s_err *e)
{
	k8s_config *cfg = c->cfg;

	if (cfg->auth == 2) {
		if (force)
			cfg->token_read_ms = 0;
		return refresh_token_file(cfg, e);
	}
	if (cfg->auth == 4) {
		if (!force && cfg->token_read_ms != 0 && (cfg->exec_expiry == 0
		    || (int64_t)time(NULL) + 10 < cfg->exec_expiry))
			return 0;
		if (run_exec(c, e) < 0)
			return -1;
		if (force || cfg->creds.chain_len > 0)
			hm_close(&c->conn);
		return 0;
	}
	return 0;
}

/* ---- the request engine ---- */

int
k8s_client_init(k8s_client *c, k8s_config *cfg, k8s_err *e)
{
	memset(c, 0, sizeof *c);
	c->cfg = cfg;
	c->conn.fd = -1;
	c->request_ms = 30000;
	c->retries = 5;
	{
		unsigned char s[4] = { 1, 2, 3, 4 };
		(void)getentropy(s, sizeof s);
		c->rng = (uint32_t)s[0] | (uint32_t)s[1] << 8
		    | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24;
		if (c->rng == 0)
			c->rng = 1;
	}
	return 0;
}

void
k8s_client_close(k8s_client *c)
{
	k8s_gv *g, *n;

	hm_close(&c->conn);
	for (g = c->gvs; g != NULL; g = n) {
		n = g->next;
		cJSON_Delete(g->list);
		free(g);
	}
	c->gvs = NULL;
	free(c->body);
	c->body = NULL;
	c->body_cap = 0;
}

void
k8s_set_deadline(k8s_client *c, int64_t deadline)
{
	c->deadline = deadline;
}

static uint32_t
rnd(k8s_client *c)
{
	uint32_t x = c->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return c->rng = x;
}

/*
 * Sleeps ms, not past the deadline: 0; -1 if the deadline is too near
 * (nothing slept); -2 when a stop was asked (err filled).  In slices of
 * 250 ms: a signal that came just before a slice began is seen at its end,
 * one during it ends it (EINTR, handlers without SA_RESTART).
 */
static int
nap(k8s_client *c, int64_t ms, int64_t deadline, k8s_err *e)
{
	int64_t end = hm_now_ms() + ms, left;
	struct timespec ts;

	if (deadline > 0 && end >= deadline)
		return -1;
	while (!stopped(c, e) && (left = end - hm_now_ms()) > 0) {
		ts.tv_sec = 0;
		ts.tv_nsec = (left < 250 ? left : 250) * 1000000;
		nanosleep(&ts, NULL);
	}
	return stopped(c, e) ? -2 : 0;
}

static int64_t
backoff_ms(k8s_client *c, int attempt)
{
	int64_t b = 200LL << (attempt < 5 ? attempt : 5);

	if (b > 5000)
		b = 5000;
	return b / 2 + (int64_t)(rnd(c) % (uint32_t)(b / 2 + 1));
}

/*
 * Formats the request head (without the final empty line): its length, or
 * -1 with err.  Every value is checked here, where it becomes a line:
 * a space or control character in the request line, a control character
 * in a header value, would let a value write requests of its own.
 */
static int
format_head(k8s_client *c, char *h, size_t cap, const char *verb,
    const char *path, const char *ctype, size_t blen, const char *accept,
    k8s_err *e)
{
	k8s_config *cfg = c->cfg;
	int v6 = cfg->target.ip_len == 16;
	size_t n;
	int dport = strcmp(cfg->port, cfg->target.tls ? "443" : "80") == 0;
	const char *v[] = { verb, path, cfg->prefix, cfg->host, cfg->token,
	    cfg->basic, ctype, accept };
	static const char *const what[] = { "method", "path", "path",
	    "host", "credential", "credential", "content type", "accept" };

	for (n = 0; n < 8; n++)
		if (has_ctl(v[n], n < 4))
			return seterr(e, K8S_ECONFIG, "the request's %s holds a"
			    " control character%s; nothing was sent", what[n],
			    n < 4 ? " or a space" : "");
	n = (size_t)snprintf(h, cap, "%s %s%s HTTP/1.1\r\nHost: %s%s%s%s%s\r\n"
	    "User-Agent: " USER_AGENT "\r\nAccept: %s\r\n", verb, cfg->prefix,
	    path, v6 ? "[" : "", cfg->host, v6 ? "]" : "", dport ? "" : ":",
	    dport ? "" : cfg->port, accept ? accept : "application/json");
	if (n >= cap)
		return seterr(e, K8S_ECONFIG, "request head too long");
	if (cfg->token != NULL && cfg->token[0] != '\0')
		n += (size_t)snprintf(h + n, cap - n, "Authorization: Bearer"
		    " %s\r\n", cfg->token);
	else if (cfg->basic != NULL)
		n += (size_t)snprintf(h + n, cap - n, "Authorization: %s\r\n",
		    cfg->basic);
	if (n >= cap)
		return seterr(e, K8S_ECONFIG, "request head too long");
	if (ctype != NULL)
		n += (size_t)snprintf(h + n, cap - n, "Content-Type: %s\r\n",
		    ctype);
	if (n >= cap)
		return seterr(e, K8S_ECONFIG, "request head too long");
	if (blen > 0 || (strcmp(verb, "POST") == 0 || strcmp(verb, "PUT") == 0
	    || strcmp(verb, "PATCH") == 0))
		n += (size_t)snprintf(h + n, cap - n, "Content-Length: %zu\r\n",
		    blen);
	if (n >= cap)
		return seterr(e, K8S_ECONFIG, "request head too long");
	return (int)n;
}

/* Opens conn to the cluster if it is not open and reusable. */
static int
ensure_conn(k8s_client *c, hm_conn *conn, int64_t deadline, int *reused,
    k8s_err *e)
{
	hm_err he = { 0 };

	*reused = 0;
	/* Servers drop idle connections (Go: 90 s); do not race them. */
	if (conn->fd >= 0 && conn->idle_since > 0
	    && hm_now_ms() - conn->idle_since > 45000)
		hm_close(conn);
	if (conn->fd >= 0 && conn->reusable && !conn->broken) {
		*reused = 1;
		return 0;
	}
	hm_close(conn);
	conn->stop = c->stop;
	if (hm_open(conn, &c->cfg->target, deadline, &he) < 0) {
		from_hm(e, &he);
		if (he.fatal || he.cat == HM_ECONFIG)
			return -2;
		return -1;
	}
	return 0;
}

static int64_t
op_deadline(k8s_client *c)
{
	int64_t d = hm_now_ms() + c->request_ms;

	if (c->deadline > 0 && c->deadline < d)
		d = c->deadline;
	return d;
}

/* Appends n bytes to the client's body buffer. */
static int
body_add(k8s_client *c, size_t *len, const void *p, size_t n)
{
	if (n + 1 > c->body_cap - *len) {
		size_t nc = c->body_cap ? c->body_cap : 16384;
		char *nb;

		while (nc - *len < n + 1)
			nc *= 2;
		if (nc > MAX_BODY + 1 || (nb = realloc(c->body, nc)) == NULL)
			return -1;
		c->body = nb;
		c->body_cap = nc;
	}
	memcpy(c->body + *len, p, n);
	*len += n;
	c->body[*len] = '\0';
	return 0;
}

/*
 * One exchange on the keep-alive connection.  Returns the HTTP status
 * with the body in c->body[0..*blen), or -1 (connection/protocol error;
 * *sent says whether the request may have reached the server), -2 for an
 * error that retrying cannot fix.
 */
static int
exchange(k8s_client *c, const char *verb, const char *path, const char *ctype,
    const char *body, size_t blen, int idem, size_t *outlen,
    long *retry_after, int *sent, k8s_err *e)
{
	char head[16384];
	hm_head h;
	hm_body b;
	hm_err he = { 0 };
	int64_t t0 = hm_now_ms(), dl = op_deadline(c);
	int hl, reused, r, attempt;
	size_t len = 0;
	unsigned char tmp[16384];
	long n;

	*sent = 0;
	*retry_after = -1;
	/* Before connecting: a value that cannot be sent is not retried. */
	hl = format_head(c, head, sizeof head, verb, path, ctype, blen, NULL,
	    e);
	if (hl < 0)
		return -2;
	if (c->transport != NULL) {
		char *ans = NULL;
		size_t al = 0;
		int st = c->transport(c->transport_arg, verb, path, ctype, body, blen,
		    &ans, &al);

		explicit_bzero(head, sizeof head);
		*sent = 1;
		if (c->log)
			c->log(c->log_arg, verb, path, st, 0);
		r = st > 0 && body_add(c, &len, ans ? ans : "", al) == 0;
		free(ans);
		if (!r)
			return seterr(e, K8S_ECONNECT, "the transport gave no answer");
		*outlen = len;
		return st;
	}
	for (attempt = 0; attempt < 2; attempt++) {
		r = ensure_conn(c, &c->conn, dl, &reused, e);
		if (r < 0)
			break;
		*sent = 1;
		if (hm_send(&c->conn, head, (size_t)hl, body, blen, dl, &he) == 0
		    && hm_read_head(&c->conn, &h, &b, dl, &he) == 0)
			break;
		hm_close(&c->conn);
		/*
		 * A reused connection the server had closed: once more, for
		 * idempotent requests only (a create that may have reached
		 * the server is resolved by the caller, by reading).
		 */
		if (reused && idem && he.cat != HM_ETIMEOUT && he.cat
		    != HM_ESTOPPED)
			continue;
		from_hm(e, &he);
		r = -1;
		break;
	}
	explicit_bzero(head, sizeof head);
	if (r < 0)
		goto logfail;
	if (attempt == 2) {
		from_hm(e, &he);
		r = -1;
		goto logfail;
	}
	c->conn.requests++;
	*retry_after = h.retry_after;
	if (body_add(c, &len, "", 0) < 0) {
		seterr(e, K8S_EPROTO, "out of memory");
		hm_close(&c->conn);
		r = -1;
		goto logfail;
	}
	while ((n = hm_read_body(&c->conn, &b, tmp, sizeof tmp, dl, &he)) > 0) {
		if (body_add(c, &len, tmp, (size_t)n) < 0) {
			seterr(e, K8S_EPROTO, "response body too large");
			hm_close(&c->conn);
			r = -2;
			goto logfail;
		}
	}
	if (n < 0) {
		from_hm(e, &he);
		hm_close(&c->conn);
		r = -1;
		goto logfail;
	}
	if (!c->conn.reusable)
		hm_close(&c->conn);
	c->conn.idle_since = hm_now_ms();
	*outlen = len;
	if (c->log)
		c->log(c->log_arg, verb, path, h.status, (long)(hm_now_ms()
		    - t0));
	return h.status;
logfail:
	if (c->log)
		c->log(c->log_arg, verb, path, 0, (long)(hm_now_ms() - t0));
	return r;
}

static int
idempotent(const char *verb, const char *ctype)
{
	return strcmp(verb, "GET") == 0 || strcmp(verb, "PUT") == 0
	    || strcmp(verb, "DELETE") == 0 || strcmp(verb, "HEAD") == 0
	    || (strcmp(verb, "PATCH") == 0 && ctype != NULL
	    && strcmp(ctype, "application/apply-patch+yaml") == 0);
}

static int finish(k8s_client *c, int st, size_t len, cJSON **out,
    k8s_err *e);

/*
 * A request with retries.  Returns the final HTTP status (2xx..5xx) with
 * c->body filled, or -1 with err.  *ambiguous is set when a
 * non-idempotent request may have been applied without an answer.
 */
static int
request(k8s_client *c, const char *verb, const char *path, const char *ctype,
    const char *body, size_t blen, size_t *outlen, int *ambiguous,
    k8s_err *e)
{
	int attempt, st, sent, idem = idempotent(verb, ctype), reauth = 0, r;
	int past;
	long ra;

	*ambiguous = 0;
	if (stopped(c, e) || ensure_auth(c, 0, e) < 0)
		return -1;
	for (attempt = 0;; attempt++) {
		int64_t wait, now;

		st = exchange(c, verb, path, ctype, body, blen, idem, outlen,
		    &ra, &sent, e);
		if (st == -2)
			return -1;
		if (st == 401 && !reauth && (c->cfg->auth == 2
		    || c->cfg->auth == 4)) {
			reauth = 1;
			if (ensure_auth(c, 1, e) < 0)
				return -1;
			attempt--;
			continue;
		}
		if (st > 0 && st != 429 && st < 500)
			return st;
		if (st > 0 && st >= 500 && !idem)
			*ambiguous = 1; /* it may have been applied */
		if (st < 0 && sent && !idem)
			*ambiguous = 1;
		if (st < 0 && e->cat == K8S_ESTOPPED)
			return -1;
		if (!idem && st != 429) {
			if (st > 0)
				return st;
			return -1;
		}
		if (attempt + 1 >= c->retries) {
			if (st > 0)
				return st;
			return -1;
		}
		/*
		 * Retry-After is the server's wish, within bounds: not past the
		 * deadline (without one, not beyond MAX_RETRY_AFTER), or the
		 * request fails now rather than sleep for what the server says.
		 */
		now = hm_now_ms();
		past = ra >= 0 && c->deadline > 0 && now + (int64_t)ra * 1000
		    >= c->deadline;
		if (past || ra > MAX_RETRY_AFTER) {
			char m[sizeof e->msg];

			finish(c, st, *outlen, NULL, e);
			snprintf(m, sizeof m, "%s", e->msg);
			seterr(e, K8S_ETIMEOUT, "%s; the server asked to retry"
			    " after %ld s, which is %s", m, ra, past
			    ? "past the deadline" : "longer than a retry waits"
			    " (" MAX_RETRY_AFTER_S " s)");
			e->http = st; /* an answer came */
			return -1;
		}
		wait = backoff_ms(c, attempt);
		if (ra >= 0 && ra * 1000 > wait)
			wait = ra * 1000;
		r = nap(c, wait, c->deadline, e);
		if (r == -2)
			return -1;
		if (r < 0) {
			if (st > 0)
				return st; /* no time to retry: the answer */
			if (e->cat != K8S_ETIMEOUT)
				e->cat = K8S_ETIMEOUT,
				snprintf(e->msg + strlen(e->msg), sizeof e->msg
				    - strlen(e->msg), " (no time left to"
				    " retry)");
			return -1;
		}
	}
}

/*
 * Would decoding JSON text cost more than K8S_MAX_VALUES values and keys
 * or K8S_MAX_DEPTH levels?  Counted in one pass over the bytes, before
 * cJSON builds a node (about 64 bytes, with malloc's overhead 80, and
 * more for a string) for each: 64 MB of "[0,0,..." would take 2.7 GB.
 */
static int
json_too_big(const char *s, size_t len)
{
	size_t i, values = 0, depth = 0;
	int tok = 0;

	for (i = 0; i < len && values <= K8S_MAX_VALUES; i++) {
		switch (s[i]) {
		case '"':
			for (i++; i < len && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			values++;
			tok = 0;
			break;
		case '[': case '{':
			if (++depth > K8S_MAX_DEPTH)
				return 1;
			values++;
			tok = 0;
			break;
		case ']': case '}':
			depth -= depth > 0;
			/* FALLTHROUGH */
		case ',': case ':': case ' ': case '\t': case '\r': case '\n':
			tok = 0;
			break;
		default:
			values += !tok; /* a number, true, false, null */
			tok = 1;
		}
	}
	return values > K8S_MAX_VALUES;
}

#define TOO_BIG "too large to decode (more than 1000000 values or 1000" \
	" levels)"

/* Turns c->body into JSON (out) for 2xx, or a Status error. */
static int
finish(k8s_client *c, int st, size_t len, cJSON **out, k8s_err *e)
{
	cJSON *j = NULL;
	int big;

	if (st < 0)
		return -1;
	big = len > 0 && json_too_big(c->body, len);
	if (len > 0 && !big)
		j = cJSON_ParseWithLength(c->body, len);
	/* The buffer of a big answer is not kept for the client's life. */
	if (c->body_cap > ((size_t)1 << 20)) {
		free(c->body);
		c->body = NULL;
		c->body_cap = 0;
	}
	if (st >= 200 && st < 300) {
		if (big)
			return seterr(e, K8S_EPROTO, "the server's answer is "
			    TOO_BIG);
		if (len > 0 && j == NULL)
			return seterr(e, K8S_EPROTO, "the server's answer is"
			    " not JSON");
		if (out)
			*out = j;
		else
			cJSON_Delete(j);
		return 0;
	}
	k8s_status_err(e, st, j);
	cJSON_Delete(j);
	return -1;
}

int
k8s_request(k8s_client *c, const char *verb, const char *path,
    const char *ctype, const char *body, size_t blen, cJSON **out,
    k8s_err *e)
{
	size_t len = 0;
	int amb, st;

	if (out)
		*out = NULL;
	st = request(c, verb, path, ctype, body, blen, &len, &amb, e);
	return finish(c, st, len, out, e);
}

/* ---- discovery ---- */

/* apiVersion as discovery needs it: "v1" or "group/version", lower-case
 * letters, digits, '-' and '.' only (it becomes the discovery path). */
static int
bad_gv(const char *av)
{
	const char *p, *slash = strchr(av, '/');

	if (av[0] == '\0' || av[0] == '/' || strlen(av) > 200 ||
	    (slash && (slash[1] == '\0' || strchr(slash + 1, '/'))))
		return 1;
	for (p = av; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '/'))
			return 1;
	return 0;
}

static k8s_gv *
gv_fetch(k8s_client *c, const char *gv, k8s_gv *old, k8s_err *e)
{
	char path[300];
	cJSON *list = NULL;
	k8s_gv *g;

	if (strchr(gv, '/') == NULL)
		snprintf(path, sizeof path, "/api/%s", gv);
	else
		snprintf(path, sizeof path, "/apis/%s", gv);
	if (old) {
		/* one tree of a group version at a time, never two */
		cJSON_Delete(old->list);
		old->list = NULL;
		old->resources = NULL;
	}
	if (k8s_request(c, "GET", path, NULL, NULL, 0, &list, e) < 0) {
		if (e->http == 404)
			snprintf(e->msg, sizeof e->msg, "the server has no API"
			    " group version %s", gv);
		return NULL;
	}
	g = old ? old : calloc(1, sizeof *g);
	if (g == NULL) {
		cJSON_Delete(list);
		seterr(e, K8S_EPROTO, "out of memory");
		return NULL;
	}
	snprintf(g->gv, sizeof g->gv, "%s", gv);
	g->list = list;
	g->resources = cJSON_GetObjectItemCaseSensitive(list, "resources");
	if (!old) {
		g->next = c->gvs;
		c->gvs = g;
	}
	return g;
}

static const cJSON *
gv_find(const k8s_gv *g, const char *kind)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, g->resources) {
		const char *k = jstr(r, "kind"), *n = jstr(r, "name");
		if (k && n && strcmp(k, kind) == 0 && strchr(n, '/') == NULL)
			return r;
	}
	return NULL;
}

int
k8s_resource(k8s_client *c, const char *av, const char *kind, k8s_res *out,
    k8s_err *e)
{
	k8s_gv *g;
	const cJSON *r;

	if (av == NULL || kind == NULL || av[0] == '\0' || kind[0] == '\0')
		return seterr(e, K8S_ECONFIG, "object without apiVersion or"
		    " kind");
	if (bad_gv(av))
		return seterr(e, K8S_ECONFIG, "apiVersion is not v1 or"
		    " group/version (lower-case letters, digits, '-', '.')");
	for (g = c->gvs; g != NULL; g = g->next)
		if (strcmp(g->gv, av) == 0)
			break;
	if (g == NULL && (g = gv_fetch(c, av, NULL, e)) == NULL)
		return -1;
	r = gv_find(g, kind);
	if (r == NULL && !g->refreshed) {
		g->refreshed = 1;
		if (gv_fetch(c, av, g, e) == NULL)
			return -1;
		r = gv_find(g, kind);
	}
	if (r == NULL) {
		seterr(e, K8S_EAPI, "the server has no kind %s in %s (is its"
		    " CustomResourceDefinition installed?)", kind, av);
		e->http = 404;
		snprintf(e->reason, sizeof e->reason, "NotFound");
		return -1;
	}
	if (strchr(av, '/') == NULL)
		snprintf(out->base, sizeof out->base, "/api/%s", av);
	else
		snprintf(out->base, sizeof out->base, "/apis/%s", av);
	snprintf(out->plural, sizeof out->plural, "%s", jstr(r, "name"));
	out->namespaced = cJSON_IsTrue(jget(r, "namespaced"));
	return 0;
}

/*
 * Appends "/" and seg percent-encoded: only unreserved characters and ':'
 * (RBAC names such as system:node) stay as they are, so that no value can
 * end its segment, add a query, or break the request line.
 */
static int
add_segment(char *buf, size_t cap, size_t *n, const char *seg)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *u = (const unsigned char *)seg;

	if (*n + 1 >= cap)
		return -1;
	buf[(*n)++] = '/';
	for (; *u; u++) {
		if (*n + 4 >= cap)
			return -1;
		if ((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') ||
		    (*u >= '0' && *u <= '9') || *u == '-' || *u == '.' || *u == '_' ||
		    *u == '~' || *u == ':') {
			buf[(*n)++] = (char)*u;
		} else {
			buf[(*n)++] = '%';
			buf[(*n)++] = hex[*u >> 4];
			buf[(*n)++] = hex[*u & 15];
		}
	}
	buf[*n] = '\0';
	return 0;
}

/* Kinds whose REST names are not the plain guess, and the cluster-scoped ones. */
static const struct {
	const char *kind, *plural;
	int cluster;
} known_kinds[] = {
	{ "APIService", "apiservices", 1 },
	{ "ClusterRole", "clusterroles", 1 },
	{ "ClusterRoleBinding", "clusterrolebindings", 1 },
	{ "CustomResourceDefinition", "customresourcedefinitions", 1 },
	{ "Endpoints", "endpoints", 0 },
	{ "IngressClass", "ingressclasses", 1 },
	{ "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", 1 },
	{ "Namespace", "namespaces", 1 },
	{ "Node", "nodes", 1 },
	{ "PersistentVolume", "persistentvolumes", 1 },
	{ "PodSecurityPolicy", "podsecuritypolicies", 1 },
	{ "PriorityClass", "priorityclasses", 1 },
	{ "StorageClass", "storageclasses", 1 },
	{ "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", 1 },
};

/* see k8s_min.h */
int
k8s_resource_guess(const char *av, const char *kind, k8s_res *out)
{
	char *plural = out->plural;
	size_t i, n = strlen(kind);

	if (bad_gv(av) || n == 0 || n + 4 > sizeof out->plural)
		return -1;
	snprintf(out->base, sizeof out->base, "%s%s", strchr(av, '/') ? "/apis/" : "/api/", av);
	out->namespaced = 1;
	for (i = 0; i < sizeof known_kinds / sizeof known_kinds[0]; i++)
		if (strcmp(kind, known_kinds[i].kind) == 0) {
			snprintf(plural, sizeof out->plural, "%s", known_kinds[i].plural);
			out->namespaced = !known_kinds[i].cluster;
			return 0;
		}
	/* kubectl's guess: lower case, then the English plural */
	for (i = 0; i < n; i++)
		plural[i] = (char)((kind[i] >= 'A' && kind[i] <= 'Z') ? kind[i] + 32 : kind[i]);
	plural[n] = 0;
	if (plural[n - 1] == 's' || plural[n - 1] == 'x' ||
	    (n > 1 && plural[n - 1] == 'h' && (plural[n - 2] == 'c' || plural[n - 2] == 's')))
		strcat(plural, "es");
	else if (n > 1 && plural[n - 1] == 'y' && !strchr("aeiou", plural[n - 2]))
		strcpy(plural + n - 1, "ies");
	else
		strcat(plural, "s");
	return 0;
}

void
k8s_forget_kinds(k8s_client *c, const char *av)
{
	k8s_gv *g;

	for (g = c->gvs; g != NULL; g = g->next)
		if (strcmp(g->gv, av) == 0)
			g->refreshed = 0;
}

int
k8s_path(const k8s_res *r, const char *ns, const char *name, char *buf,
    size_t cap)
{
	size_t n = strlen(r->base);

	if (n >= cap)
		return -1;
	memcpy(buf, r->base, n + 1);
	if (r->namespaced && ns != NULL && ns[0] != '\0' &&
	    (add_segment(buf, cap, &n, "namespaces") < 0 ||
	    add_segment(buf, cap, &n, ns) < 0))
		return -1;
	if (add_segment(buf, cap, &n, r->plural) < 0)
		return -1;
	return name != NULL && add_segment(buf, cap, &n, name) < 0 ? -1 : 0;
}

/* Appends "&key=value" (or "?...") with the value percent-encoded. */
static int
add_query(char *buf, size_t cap, const char *key, const char *val)
{
	size_t n = strlen(buf);
	const char *p;

	if (val == NULL || val[0] == '\0')
		return 0;
	if (n + strlen(key) + 2 >= cap)
		return -1;
	n += (size_t)sprintf(buf + n, "%c%s=", strchr(buf, '?') ? '&' : '?',
	    key);
	for (p = val; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (n + 4 >= cap)
			return -1;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
		    || (ch >= '0' && ch <= '9') || strchr("-_.~=!,/:", ch))
			buf[n++] = (char)ch;
		else
			n += (size_t)sprintf(buf + n, "%%%02X", ch);
	}
	buf[n] = '\0';
	return 0;
}

/* Not a path segment the server could mean (ValidatePathSegmentName),
 * or a control character: refused even though k8s_path escapes. */
static int
bad_name(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (s == NULL || s[0] == '\0' || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0 || strlen(s) > 253)
		return 1;
	for (; *u; u++)
		if (*u < ' ' || *u == 0x7f || *u == '/' || *u == '%' || *u == '?')
			return 1;
	return 0;
}

/* Resolves the path of an object (name may be NULL: the collection). */
static int
obj_path(k8s_client *c, const char *av, const char *kind, const char *ns,
    const char *name, char *buf, size_t cap, k8s_res *res, k8s_err *e)
{
	if (k8s_resource(c, av, kind, res, e) < 0)
		return -1;
	if (name != NULL && bad_name(name))
		return seterr(e, K8S_ECONFIG, "bad object name (not a path"
		    " segment)");
	if (res->namespaced && ns != NULL && ns[0] != '\0' && bad_name(ns))
		return seterr(e, K8S_ECONFIG, "bad namespace (not a path"
		    " segment)");
	if (k8s_path(res, ns, name, buf, cap) < 0)
		return seterr(e, K8S_ECONFIG, "path too long");
	return 0;
}

int
k8s_get(k8s_client *c, const char *av, const char *kind, const char *ns,
    const char *name, cJSON **out, k8s_err *e)
{
	char path[1024];
	k8s_res res;

	if (out)
		*out = NULL;
	if (obj_path(c, av, kind, ns, name, path, sizeof path, &res, e) < 0)
		return -1;
	if (k8s_request(c, "GET", path, NULL, NULL, 0, out, e) < 0)
		return e->http == 404 ? K8S_NOTFOUND : -1;
	return 0;
}

/* The object's apiVersion, kind, name and namespace. */
static int
obj_ids(const cJSON *obj, const char *ns, const char **av, const char **kind,
    const char **name, const char **ons, k8s_err *e)
{
	const cJSON *md = jget(obj, "metadata");

	*av = jstr(obj, "apiVersion");
	*kind = jstr(obj, "kind");
	*name = md ? jstr(md, "name") : NULL;
	*ons = md ? jstr(md, "namespace") : NULL;
	if (*ons == NULL || (*ons)[0] == '\0')
		*ons = ns;
	if (*av == NULL || *kind == NULL)
		return seterr(e, K8S_ECONFIG, "object without apiVersion or"
		    " kind");
	return 0;
}

int
k8s_create(k8s_client *c, const cJSON *obj, const char *ns, cJSON **out,
    k8s_err *e)
{
	const char *av, *kind, *name, *ons;
	char path[1024];
	k8s_res res;
	char *body;
	size_t len;
	int attempt, st, amb, lost = 0;

	if (out)
		*out = NULL;
	if (obj_ids(obj, ns, &av, &kind, &name, &ons, e) < 0)
		return -1;
	if (obj_path(c, av, kind, ons, NULL, path, sizeof path, &res, e) < 0)
		return -1;
	body = jm_print(obj);
	if (body == NULL)
		return seterr(e, K8S_EPROTO, "out of memory");
	for (attempt = 0;; attempt++) {
		st = request(c, "POST", path, "application/json", body,
		    strlen(body), &len, &amb, e);
		if (st >= 200 && st < 300) {
			free(body);
			return finish(c, st, len, out, e);
		}
		if (st == 409 && lost) {
			/* Our earlier attempt made it: read it back. */
			free(body);
			return k8s_get(c, av, kind, ons, name, out, e) == 0 ? 0
			    : -1;
		}
		if (st > 0 && !amb) {
			free(body);
			return finish(c, st, len, out, e);
		}
		/* Stopped, or refused until past the deadline (Retry-After). */
		if (st < 0 && (e->cat == K8S_ESTOPPED || (e->cat
		    == K8S_ETIMEOUT && e->http > 0))) {
			free(body);
			return -1;
		}
		/* The answer was lost, or a 5xx: did it happen? */
		if (name == NULL || attempt + 1 >= c->retries) {
			free(body);
			if (st > 0)
				return finish(c, st, len, out, e);
			return -1;
		}
		lost = 1;
		{
			k8s_err ge;
			cJSON *got = NULL;
			int r = k8s_get(c, av, kind, ons, name, &got, &ge);
			if (r == 0) {
				free(body);
				if (out)
					*out = got;
				else
					cJSON_Delete(got);
				return 0;
			}
			if (r != K8S_NOTFOUND) {
				free(body);
				*e = ge;
				return -1;
			}
		}
		st = nap(c, backoff_ms(c, attempt), c->deadline, e);
		if (st < 0) {
			free(body);
			return st == -2 ? -1 : seterr(e, K8S_ETIMEOUT,
			    "creating %s %s: no time left to retry", kind,
			    name);
		}
	}
}

int
k8s_apply(k8s_client *c, const cJSON *obj, const char *ns, unsigned flags,
    cJSON **out, k8s_err *e)
{
	const char *av, *kind, *name, *ons;
	char path[1200];
	k8s_res res;
	char *body;
	int r;

	if (out)
		*out = NULL;
	if (obj_ids(obj, ns, &av, &kind, &name, &ons, e) < 0)
		return -1;
	if (name == NULL)
		return seterr(e, K8S_ECONFIG, "%s without metadata.name cannot"
		    " be applied", kind);
	if (obj_path(c, av, kind, ons, name, path, 1024, &res, e) < 0)
		return -1;
	add_query(path, sizeof path, "fieldManager", "hookctl");
	if (flags & K8S_APPLY_FORCE)
		add_query(path, sizeof path, "force", "true");
	if (flags & K8S_APPLY_DRY_RUN)
		add_query(path, sizeof path, "dryRun", "All");
	body = jm_print(obj);
	if (body == NULL)
		return seterr(e, K8S_EPROTO, "out of memory");
	r = k8s_request(c, "PATCH", path, "application/apply-patch+yaml", body,
	    strlen(body), out, e);
	free(body);
	return r;
}

int
k8s_delete(k8s_client *c, const char *av, const char *kind, const char *ns,
    const char *name, const char *prop, k8s_err *e)
{
	char path[1024], body[128];
	k8s_res res;
	size_t blen = 0;

	if (obj_path(c, av, kind, ns, name, path, sizeof path, &res, e) < 0)
		return -1;
	if (prop != NULL && prop[0] != '\0')
		blen = (size_t)snprintf(body, sizeof body, "{\"kind\":"
		    "\"DeleteOptions\",\"apiVersion\":\"v1\","
		    "\"propagationPolicy\":\"%s\"}", prop);
	if (k8s_request(c, "DELETE", path, blen ? "application/json" : NULL,
	    blen ? body : NULL, blen, NULL, e) < 0)
		return e->http == 404 ? K8S_NOTFOUND : -1;
	return 0;
}

static int
list_path(k8s_client *c, const char *av, const char *kind, const char *ns,
    const char *ls, const char *fs, char *path, size_t cap, k8s_err *e)
{
	k8s_res res;

	if (obj_path(c, av, kind, ns, NULL, path, cap - 512, &res, e) < 0)
		return -1;
	if (add_query(path, cap, "labelSelector", ls) < 0
	    || add_query(path, cap, "fieldSelector", fs) < 0)
		return seterr(e, K8S_ECONFIG, "selector too long");
	return 0;
}

int
k8s_list(k8s_client *c, const char *av, const char *kind, const char *ns,
    const char *ls, const char *fs, cJSON **out, k8s_err *e)
{
	char path[2048];

	if (out)
		*out = NULL;
	if (list_path(c, av, kind, ns, ls, fs, path, sizeof path, e) < 0)
		return -1;
	return k8s_request(c, "GET", path, NULL, NULL, 0, out, e);
}

/* ---- watch ---- */

/* Lists again: pending items to yield, and the list's resourceVersion. */
static int
watch_relist(k8s_watch *w, k8s_err *e)
{
	cJSON *list = NULL, *items;
	const char *rv;

	if (k8s_request(w->c, "GET", w->path, NULL, NULL, 0, &list, e) < 0)
		return -1;
	rv = jstr(jget(list, "metadata"), "resourceVersion");
	snprintf(w->rv, sizeof w->rv, "%s", rv ? rv : "");
	items = cJSON_DetachItemFromObjectCaseSensitive(list, "items");
	cJSON_Delete(list);
	cJSON_Delete(w->pending);
	w->pending = cJSON_IsArray(items) ? items : NULL;
	if (w->pending == NULL)
		cJSON_Delete(items);
	return 0;
}

/* (Re)starts the stream from w->rv.  Returns 0, -1 error, 1 for 410. */
static int
watch_connect(k8s_watch *w, int64_t deadline, k8s_err *e)
{
	k8s_client *c = w->c;
	char path[1400], head[16384];
	hm_head h;
	hm_err he = { 0 };
	int reused, hl, r;
	int64_t t0 = hm_now_ms(), dl = hm_now_ms() + c->request_ms;

	if (deadline > 0 && deadline < dl)
		dl = deadline;
	if (ensure_auth(c, 0, e) < 0)
		return -1;
	snprintf(path, sizeof path, "%s", w->path);
	add_query(path, sizeof path, "watch", "1");
	add_query(path, sizeof path, "resourceVersion", w->rv);
	add_query(path, sizeof path, "allowWatchBookmarks", "true");
	hm_close(&w->conn);
	w->conn.reusable = 0;
	hl = format_head(c, head, sizeof head, "GET", path, NULL, 0, NULL, e);
	if (hl < 0)
		return -1;
	if (c->transport != NULL) {
		char *ans = NULL;
		size_t al = 0;
		int st = c->transport(c->transport_arg, "GET", path, NULL, NULL, 0, &ans, &al);

		explicit_bzero(head, sizeof head);
		if (c->log)
			c->log(c->log_arg, "WATCH", path, st, 0);
		if (st == 200 && ans != NULL) {
			/* the stream, as if it had come in */
			free(w->line);
			w->line = ans;
			w->lcap = w->llen = al;
			w->fed = 1;
			return 0;
		}
		free(ans);
		if (st <= 0 || st == 200)
			return seterr(e, K8S_ECONNECT, "the transport gave no answer");
		k8s_status_err(e, st, NULL);
		return st == 410 ? 1 : -1;
	}
	r = ensure_conn(c, &w->conn, dl, &reused, e);
	if (r < 0) {
		explicit_bzero(head, sizeof head);
		return -1;
	}
	if (hm_send(&w->conn, head, (size_t)hl, NULL, 0, dl, &he) < 0
	    || hm_read_head(&w->conn, &h, &w->body, dl, &he) < 0) {
		explicit_bzero(head, sizeof head);
		hm_close(&w->conn);
		if (c->log)
			c->log(c->log_arg, "WATCH", path, 0, (long)(hm_now_ms()
			    - t0));
		return from_hm(e, &he);
	}
	explicit_bzero(head, sizeof head);
	if (c->log)
		c->log(c->log_arg, "WATCH", path, h.status, (long)(hm_now_ms()
		    - t0));
	w->llen = 0;
	if (h.status == 200)
		return 0;
	/* An error: read the Status. */
	{
		unsigned char tmp[4096];
		long n;
		size_t len = 0;
		cJSON *st;

		while (len < sizeof tmp - 1 && (n = hm_read_body(&w->conn,
		    &w->body, tmp + len, sizeof tmp - 1 - len, dl, &he)) > 0)
			len += (size_t)n;
		hm_close(&w->conn);
		st = cJSON_ParseWithLength((char *)tmp, len);
		k8s_status_err(e, h.status, st);
		cJSON_Delete(st);
		if (h.status == 410)
			return 1;
		if (h.status == 401 && (c->cfg->auth == 2 || c->cfg->auth == 4))
			ensure_auth(c, 1, NULL);
		return -1;
	}
}

int
k8s_watch_open(k8s_client *c, k8s_watch *w, const char *av, const char *kind,
    const char *ns, const char *name, const char *ls, const char *rv,
    k8s_err *e)
{
	char fs[300];

	memset(w, 0, sizeof *w);
	w->c = c;
	w->conn.fd = -1;
	if (name != NULL) {
		if (bad_name(name))
			return seterr(e, K8S_ECONFIG, "bad object name (not a"
			    " path segment)");
		snprintf(fs, sizeof fs, "metadata.name=%s", name);
	}
	if (list_path(c, av, kind, ns, ls, name ? fs : NULL, w->path,
	    sizeof w->path, e) < 0)
		return -1;
	if (rv != NULL && rv[0] != '\0')
		snprintf(w->rv, sizeof w->rv, "%s", rv);
	else if (watch_relist(w, e) < 0)
		return -1;
	w->open = 1;
	return 0;
}

/* Handles one complete line; 1 with an event, 0 none, -1 err, 2 for 410. */
static int
watch_line(k8s_watch *w, k8s_event *ev, k8s_err *e)
{
	cJSON *j, *obj;
	const char *type, *rv;

	if (json_too_big(w->line, w->llen))
		return seterr(e, K8S_EPROTO, "a watch event from the server is "
		    TOO_BIG);
	j = cJSON_ParseWithLength(w->line, w->llen);
	type = jstr(j, "type");

	if (j == NULL || type == NULL) {
		cJSON_Delete(j);
		return seterr(e, K8S_EPROTO, "bad watch event from the server");
	}
	obj = cJSON_DetachItemFromObjectCaseSensitive(j, "object");
	if (strcmp(type, "ERROR") == 0) {
		int code = 0;
		const cJSON *cd = jget(obj, "code");
		if (cJSON_IsNumber(cd))
			code = cd->valueint;
		k8s_status_err(e, code, obj);
		cJSON_Delete(obj);
		cJSON_Delete(j);
		return code == 410 ? 2 : -1;
	}
	rv = jstr(jget(obj, "metadata"), "resourceVersion");
	if (rv != NULL)
		snprintf(w->rv, sizeof w->rv, "%s", rv);
	if (strcmp(type, "BOOKMARK") == 0) {
		cJSON_Delete(obj);
		cJSON_Delete(j);
		return 0;
	}
	snprintf(ev->type, sizeof ev->type, "%s", type);
	ev->object = obj;
	cJSON_Delete(j);
	return 1;
}

int
k8s_watch_next(k8s_watch *w, int64_t deadline, k8s_event *ev, k8s_err *e)
{
	k8s_client *c = w->c;
	unsigned char tmp[16384];
	hm_err he = { 0 };
	long n;
	int r;

	ev->object = NULL;
	ev->type[0] = '\0';
	if (c->deadline > 0 && (deadline == 0 || c->deadline < deadline))
		deadline = c->deadline;
	if (!w->open)
		return seterr(e, K8S_ECONFIG, "watch is not open");
	for (;;) {
		if (stopped(c, e))
			return -1;
		if (w->pending != NULL && cJSON_GetArraySize(w->pending) > 0) {
			ev->object = cJSON_DetachItemFromArray(w->pending, 0);
			snprintf(ev->type, sizeof ev->type, "ADDED");
			return 1;
		}
		if (deadline > 0 && hm_now_ms() >= deadline) {
			seterr(e, K8S_ETIMEOUT, "timed out waiting");
			return 0;
		}
		if (w->conn.fd < 0 && !w->fed) {
			if (w->retry_at > hm_now_ms()) {
				int64_t s = w->retry_at - hm_now_ms();
				if (deadline > 0 && w->retry_at >= deadline) {
					if (nap(c, deadline - hm_now_ms() - 1,
					    0, e) == -2)
						return -1;
					seterr(e, K8S_ETIMEOUT, "timed out"
					    " waiting (the watch could not be"
					    " resumed)");
					return 0;
				}
				if (nap(c, s, 0, e) == -2)
					return -1;
			}
			r = watch_connect(w, deadline, e);
			if (r == 1) {
				if (watch_relist(w, e) < 0)
					return -1;
				continue;
			}
			if (r < 0) {
				if (e->cat == K8S_ECONFIG || e->cat
				    == K8S_ESTOPPED || (e->http > 0
				    && e->http != 429 && e->http < 500)
				    || ++w->cuts > 10)
					return -1;
				w->retry_at = hm_now_ms() + backoff_ms(c,
				    (int)w->cuts);
				continue;
			}
		}
		/* Look for a whole line in what we have. */
		{
			char *nl = w->llen ? memchr(w->line, '\n', w->llen)
			    : NULL;
			if (nl != NULL) {
				size_t used = (size_t)(nl - w->line) + 1;
				size_t keep = w->llen - used;
				size_t ll = used - 1;

				w->llen = ll;
				r = ll > 0 ? watch_line(w, ev, e) : 0;
				memmove(w->line, nl + 1, keep);
				w->llen = keep;
				if (r == 1) {
					w->cuts = 0;
					return 1;
				}
				if (r < 0)
					return -1;
				if (r == 2) {
					hm_close(&w->conn);
					if (watch_relist(w, e) < 0)
						return -1;
				}
				continue;
			}
		}
		if (w->fed) {
			/* a transport's stream is used up: as a stream that ends */
			w->fed = 0;
			n = 0;
		} else {
			n = hm_read_body(&w->conn, &w->body, tmp, sizeof tmp, deadline,
			    &he);
		}
		if (n > 0) {
			if ((size_t)n > w->lcap - w->llen) {
				size_t nc = w->lcap ? w->lcap : 65536;
				char *nb;
				while (nc - w->llen < (size_t)n)
					nc *= 2;
				if (nc > MAX_LINE || (nb = realloc(w->line, nc))
				    == NULL)
					return seterr(e, K8S_EPROTO, "watch"
					    " event too large");
				w->line = nb;
				w->lcap = nc;
			}
			memcpy(w->line + w->llen, tmp, (size_t)n);
			w->llen += (size_t)n;
			continue;
		}
		/* The stream ended, was cut, the deadline passed, or a stop. */
		hm_close(&w->conn);
		w->llen = 0;
		if (n < 0 && he.cat == HM_ESTOPPED)
			return from_hm(e, &he);
		if (n < 0 && he.cat == HM_ETIMEOUT && deadline > 0
		    && hm_now_ms() >= deadline) {
			seterr(e, K8S_ETIMEOUT, "timed out waiting");
			return 0;
		}
		w->retry_at = hm_now_ms() + (w->cuts ? backoff_ms(c,
		    (int)w->cuts) : 0);
		w->cuts++;
	}
}

void
k8s_watch_close(k8s_watch *w)
{
	hm_close(&w->conn);
	free(w->line);
	w->line = NULL;
	cJSON_Delete(w->pending);
	w->pending = NULL;
	w->open = 0;
}

/* ---- logs ---- */

int
k8s_logs(k8s_client *c, const char *ns, const char *pod, const char *container,
    long tail, char *buf, size_t cap, size_t *lenp, int *trunc, k8s_err *e)
{
	char path[1024], num[32];
	size_t len = 0;
	int amb, st;

	*lenp = 0;
	*trunc = 0;
	if (bad_name(pod) || bad_name(ns))
		return seterr(e, K8S_ECONFIG, "bad pod name or namespace");
	{
		size_t n = strlen("/api/v1");
		memcpy(path, "/api/v1", n + 1);
		if (add_segment(path, sizeof path, &n, "namespaces") < 0 ||
		    add_segment(path, sizeof path, &n, ns) < 0 ||
		    add_segment(path, sizeof path, &n, "pods") < 0 ||
		    add_segment(path, sizeof path, &n, pod) < 0 ||
		    add_segment(path, sizeof path, &n, "log") < 0)
			return seterr(e, K8S_ECONFIG, "path too long");
	}
	add_query(path, sizeof path, "container", container);
	if (tail >= 0) {
		snprintf(num, sizeof num, "%ld", tail);
		add_query(path, sizeof path, "tailLines", num);
	}
	st = request(c, "GET", path, NULL, NULL, 0, &len, &amb, e);
	if (st < 0)
		return -1;
	if (st < 200 || st >= 300)
		return finish(c, st, len, NULL, e);
	if (len > cap) {
		memcpy(buf, c->body + len - cap, cap);
		*lenp = cap;
		*trunc = 1;
	} else {
		memcpy(buf, c->body, len);
		*lenp = len;
	}
	return finish(c, st, 0, NULL, e); /* frees a big buffer */
}

/* ---- what a kind's status says (Helm 4's kstatus readers) ---- */

/* An integer field, or dflt when missing or not a number. */
static long
jint(const cJSON *o, const char *key, long dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? (long)v->valuedouble : dflt;
}

/* The first condition of type t in obj.status.conditions, or NULL. */
static const cJSON *
condition(const cJSON *obj, const char *t)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, jget(jget(obj, "status"), "conditions")) {
		const char *ty = jstr(c, "type");
		if (ty && strcmp(ty, t) == 0)
			return c;
	}
	return NULL;
}

static int
cond_is(const cJSON *c, const char *status)
{
	const char *s = jstr(c, "status");

	return c && s && strcmp(s, status) == 0;
}

static void put(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
put(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (cap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
}

/* see k8s_min.h */
void
k8s_pod_failure(const cJSON *pod, char *why, size_t cap)
{
	static const char *const lists[] = { "initContainerStatuses", "containerStatuses" };
	const cJSON *st = jget(pod, "status"), *cs;
	size_t i;

	for (i = 0; i < 2; i++) {
		cJSON_ArrayForEach(cs, jget(st, lists[i])) {
			const cJSON *t = jget(jget(cs, "state"), "terminated");
			const char *r;
			if (t == NULL || jint(t, "exitCode", 0) == 0)
				continue;
			r = jstr(t, "reason");
			put(why, cap, "container %s exited %ld%s%s",
			    jstr(cs, "name") ? jstr(cs, "name") : "?",
			    jint(t, "exitCode", 0), r ? ": " : "", r ? r : "");
			return;
		}
	}
	put(why, cap, "phase Failed%s%s", jstr(st, "reason") ? ": " : "",
	    jstr(st, "reason") ? jstr(st, "reason") : "");
}

/* see k8s_min.h */
int
k8s_job_state(const cJSON *obj, char *why, size_t cap)
{
	const cJSON *st = jget(obj, "status"), *c;

	if (cap)
		why[0] = 0;
	cJSON_ArrayForEach(c, jget(st, "conditions")) {
		const char *ty = jstr(c, "type"), *r, *m;
		if (!ty || !cond_is(c, "True"))
			continue;
		if (strcmp(ty, "Complete") == 0)
			return K8S_STATE_DONE;
		if (strcmp(ty, "Failed") == 0) {
			r = jstr(c, "reason");
			m = jstr(c, "message");
			put(why, cap, "%s%s%s", r ? r : "Failed", m ? ": " : "",
			    m ? m : "");
			return K8S_STATE_FAILED;
		}
	}
	put(why, cap, "active %ld, succeeded %ld, failed %ld, %s",
	    jint(st, "active", 0), jint(st, "succeeded", 0),
	    jint(st, "failed", 0),
	    cJSON_GetArraySize(jget(st, "conditions")) ? "no Complete or Failed condition" :
	    "no conditions");
	return K8S_STATE_PENDING;
}

/* see k8s_min.h */
int
k8s_pod_state(const cJSON *obj, char *why, size_t cap)
{
	const cJSON *st = jget(obj, "status"), *c;

	if (cap)
		why[0] = 0;
	const char *ph = jstr(st, "phase");
	if (ph && strcmp(ph, "Succeeded") == 0)
		return K8S_STATE_DONE;
	if (ph && strcmp(ph, "Failed") == 0) {
		k8s_pod_failure(obj, why, cap);
		return K8S_STATE_FAILED;
	}
	put(why, cap, "phase %s", ph ? ph : "not set");
	cJSON_ArrayForEach(c, jget(st, "containerStatuses")) {
		const cJSON *wt = jget(jget(c, "state"), "waiting");
		size_t n = strlen(why);
		if (wt && jstr(wt, "reason") && n < cap) {
			put(why + n, cap - n, ", container %s waiting: %s",
			    jstr(c, "name") ? jstr(c, "name") : "?", jstr(wt, "reason"));
			break;
		}
	}
	return K8S_STATE_PENDING;
}

/* kstatus's generic checks: Terminating, generation, Reconciling/Stalled. */
static int
generic_state(const cJSON *obj, char *msg, size_t cap, int *decided)
{
	const cJSON *md = jget(obj, "metadata"), *st = jget(obj, "status"), *c;
	long g = jint(md, "generation", -1), og = jint(st, "observedGeneration", -1);

	*decided = 1;
	if (jget(md, "deletionTimestamp") && !cJSON_IsNull(jget(md, "deletionTimestamp"))) {
		put(msg, cap, "Resource scheduled for deletion");
		return K8S_STATE_PENDING;
	}
	if (g >= 0 && og >= 0 && g != og) {
		put(msg, cap, "%s generation is %ld, but latest observed generation is %ld",
		    jstr(obj, "kind") ? jstr(obj, "kind") : "", g, og);
		return K8S_STATE_PENDING;
	}
	cJSON_ArrayForEach(c, jget(st, "conditions")) {
		const char *ty = jstr(c, "type"), *m = jstr(c, "message");
		if (!ty || !cond_is(c, "True"))
			continue;
		if (strcmp(ty, "Reconciling") == 0) {
			put(msg, cap, "%s", m ? m : "Reconciling");
			return K8S_STATE_PENDING;
		}
		if (strcmp(ty, "Stalled") == 0) {
			put(msg, cap, "%s", m ? m : "Stalled");
			return K8S_STATE_FAILED;
		}
	}
	*decided = 0;
	return K8S_STATE_PENDING;
}

/* "status.x < spec" checks: n is what is wanted, have what is there. */
#define LESS(have, want, label) do { if ((have) < (want)) { \
	put(msg, cap, label ": %ld/%ld", (long)(have), (long)(want)); \
	return K8S_STATE_PENDING; } } while (0)

static int
deployment_ready(const cJSON *obj, const cJSON *spec, const cJSON *st, long n, char *msg,
    size_t cap)
{
	const cJSON *c;

	int progressing = jget(spec, "progressDeadlineSeconds") == NULL, available = 0;
	cJSON_ArrayForEach(c, jget(st, "conditions")) {
		const char *ty = jstr(c, "type"), *re = jstr(c, "reason");
		if (!ty)
			continue;
		if (strcmp(ty, "Progressing") == 0 && re &&
		    strcmp(re, "ProgressDeadlineExceeded") == 0) {
			put(msg, cap, "Progress deadline exceeded");
			return K8S_STATE_FAILED;
		}
		if (strcmp(ty, "Progressing") == 0 && cond_is(c, "True") && re &&
		    strcmp(re, "NewReplicaSetAvailable") == 0)
			progressing = 1;
		if (strcmp(ty, "Available") == 0 && cond_is(c, "True"))
			available = 1;
	}
	LESS(jint(st, "replicas", 0), n, "Replicas");
	LESS(jint(st, "updatedReplicas", 0), n, "Updated");
	if (jint(st, "replicas", 0) > n) {
		put(msg, cap, "Pending termination: %ld", jint(st, "replicas", 0) - n);
		return K8S_STATE_PENDING;
	}
	LESS(jint(st, "availableReplicas", 0), jint(st, "updatedReplicas", 0), "Available");
	LESS(jint(st, "readyReplicas", 0), n, "Ready");
	if (!progressing) {
		put(msg, cap, "ReplicaSet not Available");
		return K8S_STATE_PENDING;
	}
	if (!available) {
		put(msg, cap, "Deployment not Available");
		return K8S_STATE_PENDING;
	}
	put(msg, cap, "Deployment is available. Replicas: %ld", n);
	return K8S_STATE_DONE;
}

static int
statefulset_ready(const cJSON *obj, const cJSON *spec, const cJSON *st, long n, char *msg,
    size_t cap)
{
	const cJSON *us = jget(spec, "updateStrategy"), *part;
	const char *ty = jstr(us, "type");
	if (ty && strcmp(ty, "OnDelete") == 0)
		return K8S_STATE_DONE;
	LESS(jint(st, "replicas", 0), n, "Replicas");
	LESS(jint(st, "readyReplicas", 0), n, "Ready");
	if (jint(st, "replicas", 0) > n) {
		put(msg, cap, "Pending termination: %ld", jint(st, "replicas", 0) - n);
		return K8S_STATE_PENDING;
	}
	part = jget(jget(us, "rollingUpdate"), "partition");
	if (cJSON_IsNumber(part)) {
		LESS(jint(st, "updatedReplicas", 0), n - (long)part->valuedouble, "updated");
		return K8S_STATE_DONE;
	}
	LESS(jint(st, "currentReplicas", 0), n, "current");
	if (jstr(st, "currentRevision") && jstr(st, "updateRevision") &&
	    strcmp(jstr(st, "currentRevision"), jstr(st, "updateRevision")) != 0) {
		put(msg, cap, "Waiting for updated revision to match current");
		return K8S_STATE_PENDING;
	}
	return K8S_STATE_DONE;
}

static int
daemonset_ready(const cJSON *obj, const cJSON *spec, const cJSON *st, long n, char *msg,
    size_t cap)
{
	long d;
	if (jint(jget(obj, "metadata"), "generation", -1) < 0 ||
	    jint(st, "observedGeneration", -1) < 0) {
		put(msg, cap, "status.observedGeneration not found");
		return K8S_STATE_PENDING;
	}
	if ((d = jint(st, "desiredNumberScheduled", -1)) < 0) {
		put(msg, cap, "Missing .status.desiredNumberScheduled");
		return K8S_STATE_PENDING;
	}
	LESS(jint(st, "currentNumberScheduled", 0), d, "Current");
	LESS(jint(st, "updatedNumberScheduled", 0), d, "Updated");
	LESS(jint(st, "numberAvailable", 0), d, "Available");
	LESS(jint(st, "numberReady", 0), d, "Ready");
	return K8S_STATE_DONE;
}

static int
replicaset_ready(const cJSON *obj, const cJSON *spec, const cJSON *st, long n, char *msg,
    size_t cap)
{
	if (cond_is(condition(obj, "ReplicaFailure"), "True")) {
		put(msg, cap, "Replica Failure condition. Check Pods");
		return K8S_STATE_PENDING;
	}
	LESS(jint(st, "fullyLabeledReplicas", 0), n, "Labelled");
	LESS(jint(st, "availableReplicas", 0), n, "Available");
	LESS(jint(st, "readyReplicas", 0), n, "Ready");
	if (jint(st, "replicas", 0) > n) {
		put(msg, cap, "Pending termination: %ld", jint(st, "replicas", 0) - n);
		return K8S_STATE_PENDING;
	}
	return K8S_STATE_DONE;
}

static int
pod_ready(const cJSON *obj, const cJSON *spec, const cJSON *st, long n, char *msg,
    size_t cap)
{
	const char *ph = jstr(st, "phase");
	if (ph && (strcmp(ph, "Succeeded") == 0 || strcmp(ph, "Failed") == 0))
		return K8S_STATE_DONE;
	if (ph && strcmp(ph, "Running") == 0) {
		if (cond_is(condition(obj, "Ready"), "True"))
			return K8S_STATE_DONE;
		put(msg, cap, "Pod is running but is not Ready");
		return K8S_STATE_PENDING;
	}
	put(msg, cap, "Pod phase %s", ph ? ph : "not available");
	return K8S_STATE_PENDING;
}

static int
job_ready(const cJSON *obj, const cJSON *spec, const cJSON *st, long n, char *msg,
    size_t cap)
{
	if (cond_is(condition(obj, "Complete"), "True"))
		return K8S_STATE_DONE;
	if (cond_is(condition(obj, "Failed"), "True")) {
		put(msg, cap, "Job Failed. failed: %ld/%ld", jint(st, "failed", 0),
		    jint(spec, "completions", 1));
		return K8S_STATE_FAILED;
	}
	if (!jstr(st, "startTime")) {
		put(msg, cap, "Job not started");
		return K8S_STATE_PENDING;
	}
	return K8S_STATE_DONE;
}

static int
pvc_ready(const cJSON *obj, const cJSON *spec, const cJSON *st, long n, char *msg,
    size_t cap)
{
	const char *ph = jstr(st, "phase");
	if (ph && strcmp(ph, "Bound") == 0)
		return K8S_STATE_DONE;
	put(msg, cap, "PVC is not Bound. phase: %s", ph ? ph : "unknown");
	return K8S_STATE_PENDING;
}

static int
service_ready(const cJSON *obj, const cJSON *spec, const cJSON *st, long n, char *msg,
    size_t cap)
{
	const char *ty = jstr(spec, "type"), *ip = jstr(spec, "clusterIP");
	if (ty && strcmp(ty, "LoadBalancer") == 0 && (!ip || !*ip)) {
		put(msg, cap, "ClusterIP not set. Service type: LoadBalancer");
		return K8S_STATE_PENDING;
	}
	return K8S_STATE_DONE;
}

static int
crd_ready(const cJSON *obj, const cJSON *spec, const cJSON *st, long n, char *msg,
    size_t cap)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, jget(st, "conditions")) {
		const char *ty = jstr(c, "type"), *re = jstr(c, "reason");
		if (!ty)
			continue;
		if (strcmp(ty, "NamesAccepted") == 0 && cond_is(c, "False")) {
			put(msg, cap, "%s", jstr(c, "message") ? jstr(c, "message") : "names not accepted");
			return K8S_STATE_FAILED;
		}
		if (strcmp(ty, "Established") == 0 && cond_is(c, "False") &&
		    !(re && strcmp(re, "Installing") == 0)) {
			put(msg, cap, "%s", jstr(c, "message") ? jstr(c, "message") : "not established");
			return K8S_STATE_FAILED;
		}
		if (strcmp(ty, "Established") == 0 && cond_is(c, "True"))
			return K8S_STATE_DONE;
	}
	put(msg, cap, "Install in progress");
	return K8S_STATE_PENDING;
}

/* The kinds with a reader of their own; group NULL: any group. */
static const struct {
	const char *kind, *group;   /* group: "" the core group, "batch" */
	int (*ready)(const cJSON *, const cJSON *, const cJSON *, long, char *, size_t);
} readers[] = {
	{ "Deployment", NULL, deployment_ready },
	{ "StatefulSet", NULL, statefulset_ready },
	{ "DaemonSet", NULL, daemonset_ready },
	{ "ReplicaSet", NULL, replicaset_ready },
	{ "Pod", "", pod_ready },
	{ "Job", "batch", job_ready },
	{ "PersistentVolumeClaim", "", pvc_ready },
	{ "Service", "", service_ready },
	{ "CustomResourceDefinition", NULL, crd_ready },
};

/* see k8s_min.h */
int
k8s_ready_state(const char *api_version, const char *kind, const cJSON *obj, char *msg,
    size_t cap)
{
	const char *av = api_version, *slash;
	const cJSON *spec = jget(obj, "spec"), *st = jget(obj, "status"), *c;
	size_t i, gl;
	int decided, r;

	if (cap)
		msg[0] = 0;
	r = generic_state(obj, msg, cap, &decided);
	if (decided)
		return r;
	if (!kind && !(kind = jstr(obj, "kind")))
		kind = "";
	if (!av && !(av = jstr(obj, "apiVersion")))
		av = "";
	slash = strchr(av, '/');
	gl = slash ? (size_t)(slash - av) : 0;
	for (i = 0; i < sizeof readers / sizeof readers[0]; i++)
		if (strcmp(kind, readers[i].kind) == 0 && (readers[i].group == NULL ||
		    (strlen(readers[i].group) == gl && strncmp(av, readers[i].group, gl) == 0 &&
		    (gl > 0 || strcmp(av, "v1") == 0))))
			return readers[i].ready(obj, spec, st, jint(spec, "replicas", 1), msg, cap);
	if ((c = condition(obj, "Ready")) != NULL) {
		if (cond_is(c, "True"))
			return K8S_STATE_DONE;
		if (cond_is(c, "False") || cond_is(c, "Unknown")) {
			put(msg, cap, "%s", jstr(c, "message") ? jstr(c, "message") : "not Ready");
			return K8S_STATE_PENDING;
		}
	}
	return K8S_STATE_DONE;
}

