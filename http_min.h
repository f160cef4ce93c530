/*
 * http_min: one HTTP/1.1 connection over BearSSL TLS 1.2 (or plain TCP,
 * or through an HTTP CONNECT proxy), with keep-alive, Content-Length and
 * chunked bodies, bounded sizes and deadlines.  Used by k8s_min only.
 *
 * No allocation on the TLS and HTTP path: the connection context holds
 * the BearSSL contexts and the I/O buffer; bodies go to caller buffers.
 * Nothing here prints or exits.  Deadlines are absolute times in
 * milliseconds of CLOCK_MONOTONIC (hm_now_ms); 0 means none.
 *
 * The parsers (hm_parse_head, hm_chunk_*, hm_b64_decode, hm_pem_*) are
 * pure functions over (buffer, length) and are fuzzed on their own.
 */
#ifndef HTTP_MIN_H
#define HTTP_MIN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "bearssl.h"

#define HM_MAX_HEAD   16384   /* bytes of a response head, status line included */
#define HM_MAX_TAS    1024    /* trust anchors (system bundles: ~150) */
#define HM_MAX_CHAIN  8       /* client certificate chain length */

/* Error categories (the k8s_min ones are the same numbers). */
enum {
	HM_OK = 0,
	HM_ECONFIG = 2,    /* bad input from the configuration (PEM, key) */
	HM_ECONNECT = 3,   /* DNS, TCP, proxy, TLS, peer closed */
	HM_EPROTO = 5,     /* the peer broke HTTP */
	HM_ETIMEOUT = 4,   /* a deadline passed */
	HM_ESTOPPED = 6    /* a signal asked to stop (hm_conn.stop) */
};

typedef struct {
	int cat;           /* HM_E* or HM_OK */
	int fatal;         /* retrying cannot help (certificate refused) */
	char msg[256];     /* words, never a secret */
} hm_err;

/* Where and how to connect; filled by k8s_min from the configuration. */
typedef struct {
	const char *host;        /* TCP target: name or address, no brackets */
	const char *port;        /* decimal */
	int tls;                 /* 0: plain http (tests, proxies) */
	const char *tls_name;    /* name checked against DNS SANs and sent as
	                            SNI; NULL when the server is reached by IP
	                            address and not tls-server-name */
	unsigned char ip[16];    /* the address checked against IP SANs */
	size_t ip_len;           /* 4 or 16 when tls_name is NULL, else 0 */
	int insecure;            /* skip verification entirely */
	const br_x509_trust_anchor *tas;   /* not owned */
	size_t tas_num;
	const br_x509_certificate *chain;  /* client certificate, not owned */
	size_t chain_len;
	const br_rsa_private_key *rsa;     /* client key: one of these, or none */
	const br_ec_private_key *ec;
	const char *proxy_host;  /* CONNECT proxy, or NULL */
	const char *proxy_port;
	const char *proxy_auth;  /* "Basic ..." value, or NULL */
	int connect_ms;          /* connect timeout; 0: 10 s */
} hm_target;

/*
 * The X.509 wrapper that adds the IP-SAN check, refuses a leaf that names
 * the server by its CN only (as Go), and the insecure mode.
 */
typedef struct {
	const br_x509_class *vtable;
	br_x509_minimal_context minimal;
	const unsigned char *ip;     /* expected IP SAN, or NULL */
	size_t ip_len;
	int insecure;
	unsigned ncert;              /* certificates seen in this chain */
	unsigned char leaf[8192];    /* the server's certificate (DER) */
	size_t leaf_len;
	int leaf_big;                /* larger than leaf[] */
	br_x509_decoder_context dec; /* insecure mode: the leaf's key */
	int ip_mismatch;             /* the chain was fine, the IP was not */
	br_name_element san_dns;     /* the leaf's first DNS SAN, if any */
	char san_buf[256];
	int cn_only;                 /* name matched by the legacy CN only */
} hm_x509;

/*
 * One connection, caller-owned (about 66 KB).  Zero it, set stop if
 * wanted, then hm_open.
 */
typedef struct {
	int fd;                      /* -1 when closed */
	int tls;
	br_ssl_client_context sc;
	hm_x509 xc;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
	unsigned char rbuf[HM_MAX_HEAD]; /* read-ahead for HTTP parsing */
	br_sslio_context io;
	size_t rpos, rlen;
	int64_t deadline;            /* of the current operation */
	int reusable;                /* keep-alive is allowed after the body */
	int timed_out;
	int broken;
	unsigned requests;           /* served on this connection */
	int64_t idle_since;          /* end of the last exchange (hm_now_ms) */
	int has_cert;                /* a client certificate is configured */
	/*
	 * Borrowed, may be NULL: when *stop becomes non-zero (a signal
	 * handler sets it), every wait ends within 250 ms with HM_ESTOPPED.
	 */
	const volatile sig_atomic_t *stop;
	int stopped;                 /* the last wait ended on *stop */
} hm_conn;

/* A parsed response head.  Strings point into hm_conn storage or the
 * caller's buffer given to hm_parse_head; valid until the next call. */
typedef struct {
	int status;                  /* 100..599 */
	int chunked;
	int64_t content_length;      /* -1 when absent */
	int keep_alive;              /* 0: "Connection: close" or HTTP/1.0 */
	long retry_after;            /* seconds, -1 when absent */
	char content_type[64];
} hm_head;

/* Body framing state for reading a response body incrementally. */
typedef struct {
	int mode;                    /* 0 length, 1 chunked, 2 until close */
	int64_t left;                /* bytes left in body or current chunk */
	int state;                   /* chunked decoder state, private */
	int done;
	unsigned ext;                /* bytes of chunk-size line consumed */
} hm_body;

int64_t hm_now_ms(void);

/* Opens fd (TCP, proxy CONNECT, TLS handshake).  0, or -1 with *e. */
int hm_open(hm_conn *c, const hm_target *t, int64_t deadline, hm_err *e);
void hm_close(hm_conn *c);

/*
 * Sends one request: head lines (already formatted, each ending in CRLF,
 * without the final empty line) and a body of blen bytes (may be 0).
 * The last line of defence against request smuggling: a head that is not
 * "VERB SP TARGET SP HTTP/1.1" (target: visible ASCII) and "token: value"
 * lines (value: no control byte but HT) is refused with HM_ECONFIG,
 * fatal, before a byte is sent.
 */
int hm_send(hm_conn *c, const char *head, size_t hlen, const void *body,
    size_t blen, int64_t deadline, hm_err *e);

/* Reads the response head into *h and prepares *b.  0 or -1. */
int hm_read_head(hm_conn *c, hm_head *h, hm_body *b, int64_t deadline,
    hm_err *e);

/*
 * Reads up to cap body bytes into buf.  Returns the count (> 0), 0 at the
 * end of the body, -1 on error (timeout: e->cat == HM_ETIMEOUT and the
 * connection stays usable for a later call only if c->timed_out is 0).
 */
long hm_read_body(hm_conn *c, hm_body *b, void *buf, size_t cap,
    int64_t deadline, hm_err *e);

/* Pure parsers, exposed for tests and fuzzing. */

/*
 * Parses a response head buf[0..len) (up to and including the empty line).
 * Returns 0 or -1 with e->msg.
 */
int hm_parse_head(const char *buf, size_t len, hm_head *h, hm_err *e);

/*
 * Chunked decoder: consumes in[0..inlen), writes decoded body bytes to
 * out (at most outcap), sets *used and *made.  Returns 1 at the end of the
 * body (after the last chunk and its trailers), 0 for more, -1 on error.
 */
int hm_chunk_decode(hm_body *b, const unsigned char *in, size_t inlen,
    size_t *used, unsigned char *out, size_t outcap, size_t *made,
    hm_err *e);

/*
 * Standard or URL-safe base64, padding optional, white space skipped.
 * Writes at most cap bytes; returns the length, or -1 on bad input or
 * lack of room.
 */
long hm_b64_decode(const char *in, size_t len, unsigned char *out, size_t cap);
/* Encodes; out needs 4*((len+2)/3)+1 bytes.  Returns the length. */
size_t hm_b64_encode(const void *in, size_t len, char *out);

/*
 * Copies url to out with its userinfo ("user:password@" before the host,
 * up to the authority's last '@', as Go parses it) replaced by
 * "REDACTED@", for messages.  A bare "user:pass@host:port" works too.
 * Returns the whole result's length; as snprintf, out (cap > 0) is
 * always terminated and truncated when the result is >= cap.
 */
size_t hm_redact_url(const char *url, char *out, size_t cap);

/*
 * Does the NO_PROXY list np (may be NULL) exclude host (no brackets) at
 * port from proxying?  Go's rules (golang.org/x/net/http/httpproxy):
 * loopback and "localhost" always; entries split on commas, trimmed,
 * case-insensitive: "*", an IP, a CIDR, "name" (and its subdomains),
 * ".name" or "*.name" (subdomains only), each but CIDRs with an optional
 * ":port" ("[v6]:port") that then must be port.
 */
int hm_no_proxy(const char *np, const char *host, const char *port);

/*
 * The Proxy-Authorization value "Basic base64(user:password)" for the
 * userinfo[0..len) of a proxy URL, percent-decoded first as Go does.
 * Returns its length, or -1 on a bad escape or lack of room (out needs
 * 7 + 4*((len+2)/3) bytes).  The decoded copy is wiped.
 */
int hm_proxy_auth(const char *userinfo, size_t len, char *out, size_t cap);

/* Credentials decoded from PEM; owned by the caller, freed by hm_creds_free. */
typedef struct {
	br_x509_trust_anchor *tas;
	size_t tas_num;
	br_x509_certificate *chain;
	size_t chain_len;
	int key_type;                /* 0 none, BR_KEYTYPE_RSA, BR_KEYTYPE_EC */
	br_rsa_private_key rsa;
	br_ec_private_key ec;
	unsigned char *keymem;       /* storage behind rsa/ec */
} hm_creds;

/* Adds every CERTIFICATE of a PEM bundle as a trust anchor.  0 or -1. */
int hm_pem_trust(hm_creds *cr, const char *pem, size_t len, hm_err *e);
/* Sets the client chain from PEM CERTIFICATE blocks.  0 or -1. */
int hm_pem_chain(hm_creds *cr, const char *pem, size_t len, hm_err *e);
/* Sets the client key: RSA or EC, PKCS#1, SEC1 or PKCS#8.  0 or -1. */
int hm_pem_key(hm_creds *cr, const char *pem, size_t len, hm_err *e);
void hm_creds_free(hm_creds *cr);

#endif
