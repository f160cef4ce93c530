/*
 * http_min: HTTP/1.1 over BearSSL TLS 1.2; see http_min.h.
 *
 * Layout: time and sockets, the X.509 wrapper (IP SANs, no CN-only
 * leaves, insecure mode), connection setup (TCP, CONNECT proxy, TLS), the
 * request check, the HTTP head parser and body framing (chunked decoder),
 * base64, proxies and URLs in messages, PEM credentials.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "http_min.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

static int fail(hm_err *e, int cat, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(hm_err *e, int cat, const char *fmt, ...)
{
	va_list ap;

	if (e != NULL) {
		e->cat = cat;
		e->fatal = 0;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof e->msg, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int64_t
hm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define STOPPED_MSG "stopped by a signal"

static int
is_stopped(const volatile sig_atomic_t *stop)
{
	return stop != NULL && *stop != 0;
}

/*
 * Waits for fd to be ready for ev until deadline: 1 ready, 0 timeout,
 * -2 stopped (*stop set), -1 error.  Each poll lasts at most 250 ms: a
 * signal that lands just before poll gives no EINTR, and must still end
 * the wait promptly.
 */
static int
wait_fd(int fd, short ev, int64_t deadline,
    const volatile sig_atomic_t *stop)
{
	struct pollfd p;
	int64_t left;
	int r;

	for (;;) {
		if (is_stopped(stop))
			return -2;
		left = 250;
		if (deadline > 0) {
			left = deadline - hm_now_ms();
			if (left <= 0)
				return 0;
			if (left > 250)
				left = 250;
		}
		p.fd = fd;
		p.events = ev;
		p.revents = 0;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* Raw socket I/O with the connection's deadline; -1 on error or timeout. */
/* After EAGAIN: waits until the socket is ready; -1 with the reason noted. */
static int
sock_wait(hm_conn *c, short events)
{
	int w = wait_fd(c->fd, events, c->deadline, c->stop);

	if (w == 0)
		c->timed_out = 1;
	else if (w == -2)
		c->stopped = 1;
	else if (w < 0)
		c->broken = 1;
	return w > 0 ? 0 : -1;
}

static int
sock_read(void *ctx, unsigned char *buf, size_t len)
{
	hm_conn *c = ctx;
	ssize_t n;

	for (;;) {
		n = recv(c->fd, buf, len, 0);
		if (n > 0)
			return (int)n;
		if (n == 0) {
			c->broken = 1;
			return -1;
		}
		/* EINTR too goes through sock_wait, which looks at *stop. */
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
			c->broken = 1;
			return -1;
		}
		if (sock_wait(c, POLLIN) < 0)
			return -1;
	}
}

static int
sock_write(void *ctx, const unsigned char *buf, size_t len)
{
	hm_conn *c = ctx;
	ssize_t n;

	for (;;) {
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n >= 0)
			return (int)n;
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
			c->broken = 1;
			return -1;
		}
		if (sock_wait(c, POLLOUT) < 0)
			return -1;
	}
}

static int
raw_write_all(hm_conn *c, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	int n;

	while (len > 0) {
		n = sock_write(c, p, len);
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- the X.509 wrapper ---- */

static const br_x509_class hm_x509_vtable;

/* Reads one DER TLV header at p[0..len): tag, content offset and length. */
static int
der_tlv(const unsigned char *p, size_t len, unsigned *tag, size_t *off,
    size_t *clen)
{
	size_t i = 2, n, l;

	if (len < 2)
		return -1;
	*tag = p[0];
	if ((p[0] & 0x1f) == 0x1f)
		return -1;
	l = p[1];
	if (l & 0x80) {
		n = l & 0x7f;
		if (n == 0 || n > 3 || len < 2 + n)
			return -1;
		for (l = 0; n > 0; n--)
			l = (l << 8) | p[i++];
	}
	if (l > len - i)
		return -1;
	*off = i;
	*clen = l;
	return 0;
}

/* Does the certificate cert[0..len) carry the IP SAN ip[0..iplen)? */
static int
cert_has_ip(const unsigned char *cert, size_t len, const unsigned char *ip,
    size_t iplen)
{
	static const unsigned char san_oid[] = { 0x55, 0x1d, 0x11 };
	unsigned tag;
	size_t off, cl, pos;
	const unsigned char *p;

	/* Certificate SEQUENCE, then tbsCertificate SEQUENCE. */
	if (der_tlv(cert, len, &tag, &off, &cl) < 0 || tag != 0x30)
		return 0;
	p = cert + off;
	len = cl;
	if (der_tlv(p, len, &tag, &off, &cl) < 0 || tag != 0x30)
		return 0;
	p += off;
	len = cl;
	/* Walk the fields to the [3] extensions. */
	for (pos = 0; pos < len; pos += off + cl) {
		if (der_tlv(p + pos, len - pos, &tag, &off, &cl) < 0)
			return 0;
		if (tag == 0xa3)
			break;
	}
	if (pos >= len)
		return 0;
	p += pos + off;
	len = cl;
	if (der_tlv(p, len, &tag, &off, &cl) < 0 || tag != 0x30)
		return 0;
	p += off;
	len = cl;
	for (pos = 0; pos < len; pos += off + cl) {
		const unsigned char *x;
		size_t xl, xo, xc, q;
		unsigned t2;

		if (der_tlv(p + pos, len - pos, &tag, &off, &cl) < 0
		    || tag != 0x30)
			return 0;
		x = p + pos + off;
		xl = cl;
		/* extnID */
		if (der_tlv(x, xl, &t2, &xo, &xc) < 0 || t2 != 0x06)
			return 0;
		if (xc != sizeof san_oid || memcmp(x + xo, san_oid, xc) != 0)
			continue;
		x += xo + xc;
		xl -= xo + xc;
		if (der_tlv(x, xl, &t2, &xo, &xc) < 0)
			return 0;
		if (t2 == 0x01) { /* critical */
			x += xo + xc;
			xl -= xo + xc;
			if (der_tlv(x, xl, &t2, &xo, &xc) < 0)
				return 0;
		}
		if (t2 != 0x04)
			return 0;
		x += xo;
		xl = xc;
		if (der_tlv(x, xl, &t2, &xo, &xc) < 0 || t2 != 0x30)
			return 0;
		x += xo;
		xl = xc;
		for (q = 0; q < xl; q += xo + xc) {
			if (der_tlv(x + q, xl - q, &t2, &xo, &xc) < 0)
				return 0;
			if (t2 == 0x87 && xc == iplen
			    && memcmp(x + q + xo, ip, iplen) == 0)
				return 1;
		}
	}
	return 0;
}

static void
xw_start_chain(const br_x509_class **ctx, const char *server_name)
{
	hm_x509 *x = (hm_x509 *)(void *)ctx;

	x->ncert = 0;
	x->leaf_len = 0;
	x->leaf_big = 0;
	x->ip_mismatch = 0;
	x->cn_only = 0;
	x->minimal.vtable->start_chain(&x->minimal.vtable, server_name);
}

static void
xw_start_cert(const br_x509_class **ctx, uint32_t length)
{
	hm_x509 *x = (hm_x509 *)(void *)ctx;

	if (x->ncert == 0 && x->insecure)
		br_x509_decoder_init(&x->dec, NULL, NULL);
	x->minimal.vtable->start_cert(&x->minimal.vtable, length);
}

static void
xw_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	hm_x509 *x = (hm_x509 *)(void *)ctx;

	if (x->ncert == 0) {
		if (len > sizeof x->leaf - x->leaf_len)
			x->leaf_big = 1;
		else {
			memcpy(x->leaf + x->leaf_len, buf, len);
			x->leaf_len += len;
		}
		if (x->insecure)
			br_x509_decoder_push(&x->dec, buf, len);
	}
	x->minimal.vtable->append(&x->minimal.vtable, buf, len);
}

static void
xw_end_cert(const br_x509_class **ctx)
{
	hm_x509 *x = (hm_x509 *)(void *)ctx;

	x->ncert++;
	x->minimal.vtable->end_cert(&x->minimal.vtable);
}

static unsigned
xw_end_chain(const br_x509_class **ctx)
{
	hm_x509 *x = (hm_x509 *)(void *)ctx;
	unsigned r;

	r = x->minimal.vtable->end_chain(&x->minimal.vtable);
	if (x->insecure)
		return br_x509_decoder_get_pkey(&x->dec) != NULL ? 0
		    : BR_ERR_X509_BAD_SERVER_NAME;
	if (r != 0)
		return r;
	/*
	 * A leaf without a SAN extension had its name matched against the
	 * subject's CN (BearSSL's fallback), which Go, and so kubectl, has
	 * refused since 1.15.  With a SAN, BearSSL matched a DNS SAN: one
	 * was seen.
	 */
	if (x->ip == NULL && x->san_dns.status == 0) {
		x->cn_only = 1;
		return BR_ERR_X509_BAD_SERVER_NAME;
	}
	if (x->ip != NULL) {
		if (x->leaf_big
		    || !cert_has_ip(x->leaf, x->leaf_len, x->ip, x->ip_len)) {
			x->ip_mismatch = 1;
			return BR_ERR_X509_BAD_SERVER_NAME;
		}
	}
	return 0;
}

static const br_x509_pkey *
xw_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	hm_x509 *x = (hm_x509 *)(void *)ctx;

	if (x->insecure) {
		if (usages != NULL)
			*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
		return br_x509_decoder_get_pkey(&x->dec);
	}
	return x->minimal.vtable->get_pkey(&x->minimal.vtable, usages);
}

static const br_x509_class hm_x509_vtable = {
	sizeof(hm_x509),
	xw_start_chain,
	xw_start_cert,
	xw_append,
	xw_end_cert,
	xw_end_chain,
	xw_get_pkey
};

/* ---- connection setup ---- */

static int
tcp_connect(hm_conn *c, const char *host, const char *port, int64_t deadline,
    hm_err *e)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, r, w, soerr, one = 1;
	socklen_t sl;
	char why[128] = "no address", hs[128];

	/* The resolver cannot be interrupted: at least do not start it. */
	if (is_stopped(c->stop))
		return fail(e, HM_ESTOPPED, STOPPED_MSG);
	hm_redact_url(host, hs, sizeof hs);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0)
		return fail(e, HM_ECONNECT, "cannot resolve %s: %s", hs,
		    gai_strerror(r));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		r = connect(fd, ai->ai_addr, ai->ai_addrlen);
		/* Interrupted, the connection goes on in the background. */
		if (r < 0 && (errno == EINPROGRESS || errno == EINTR)) {
			w = wait_fd(fd, POLLOUT, deadline, c->stop);
			if (w == 0 || w == -2) {
				close(fd);
				freeaddrinfo(res);
				if (w == -2)
					return fail(e, HM_ESTOPPED, STOPPED_MSG);
				return fail(e, HM_ETIMEOUT,
				    "cannot connect to %s port %s: timed out",
				    hs, port);
			}
			sl = sizeof soerr;
			soerr = 0;
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
			r = soerr ? -1 : 0;
			errno = soerr;
		}
		if (r == 0)
			break;
		snprintf(why, sizeof why, "%s", strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return fail(e, HM_ECONNECT, "cannot connect to %s port %s: %s",
		    hs, port, why);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->fd = fd;
	return 0;
}

/* Reads a response head through the raw socket (for CONNECT). */
static int
raw_read_head(hm_conn *c, hm_head *h, hm_err *e)
{
	size_t n = 0;
	int r;

	/* Byte at a time: the tunnel's bytes after the head are TLS. */
	while (n < sizeof c->rbuf) {
		r = sock_read(c, c->rbuf + n, 1);
		if (r < 0 && c->stopped)
			return fail(e, HM_ESTOPPED, STOPPED_MSG);
		if (r < 0)
			return fail(e, c->timed_out ? HM_ETIMEOUT : HM_ECONNECT,
			    "proxy closed the connection");
		n++;
		if (n >= 4 && memcmp(c->rbuf + n - 4, "\r\n\r\n", 4) == 0)
			return hm_parse_head((char *)c->rbuf, n, h, e);
	}
	return fail(e, HM_EPROTO, "proxy answer head too long");
}

static const char *
tls_words(hm_conn *c, int err)
{
	if (c->xc.ip_mismatch)
		return "the server certificate does not name this IP address";
	if (c->xc.cn_only)
		return "the server certificate has no subjectAltName and relies"
		    " on the legacy Common Name field (as kubectl, refused)";
	switch (err) {
	case BR_ERR_X509_NOT_TRUSTED:
		return "the server certificate is not signed by a trusted CA"
		    " (wrong certificate-authority?)";
	case BR_ERR_X509_BAD_SERVER_NAME:
		return "the server certificate does not match the server name";
	case BR_ERR_X509_EXPIRED:
		return "the server certificate has expired or is not yet"
		    " valid";
	case BR_ERR_X509_CRITICAL_EXTENSION:
		return "the server certificate has an unsupported critical"
		    " extension";
	case BR_ERR_X509_FORBIDDEN_KEY_USAGE:
		return "the server certificate's key usage forbids TLS";
	case BR_ERR_X509_WEAK_PUBLIC_KEY:
		return "the server certificate's key is too weak";
	case BR_ERR_X509_UNSUPPORTED:
	case BR_ERR_X509_BAD_SIGNATURE:
		return "the server certificate's signature could not be"
		    " verified";
	case BR_ERR_X509_LIMIT_EXCEEDED:
		return "the server certificate chain is too long";
	case BR_ERR_BAD_VERSION:
	case BR_ERR_BAD_CIPHER_SUITE:
	case BR_ERR_UNSUPPORTED_VERSION:
		return "no common TLS version or cipher suite (TLS 1.2 needed)";
	case BR_ERR_NO_CLIENT_AUTH:
		return "the server asked for a client certificate";
	case BR_ERR_IO:
		return c->timed_out ? "timed out" : "connection closed during"
		    " the handshake";
	default:
		if (err >= BR_ERR_RECV_FATAL_ALERT
		    && err < BR_ERR_SEND_FATAL_ALERT) {
			int a = err - BR_ERR_RECV_FATAL_ALERT;
			if (a == 42 || a == 43 || a == 44 || a == 45 || a == 46
			    || a == 48)
				return "the server refused our client"
				    " certificate";
			if (a == 40 && !c->has_cert)
				return "the server refused the handshake (does"
				    " it require a client certificate?)";
			if (a == 40)
				return "the server refused the handshake";
			return "the server sent a TLS alert";
		}
		if (err >= BR_ERR_X509_OK)
			return "the server certificate is invalid";
		return "TLS protocol error";
	}
}

/*
 * BearSSL's br_ssl_client_init_full, trimmed to what Kubernetes API
 * servers speak: TLS 1.2, ECDHE with RSA or ECDSA certificates, AES-GCM
 * and ChaCha20-Poly1305; P-256, P-384, x25519; SHA-2 only.  No CBC, CCM,
 * 3DES, static RSA key exchange, MD5 or SHA-1, and one implementation
 * of each primitive (portable, constant-time) instead of several: about
 * 38 KB less than br_ssl_client_init_full.
 */
/*
 * Elliptic curves: P-256 and P-384 through the generic i31 code, x25519
 * through c25519_i31 (sharing the i31 big-integer code).  br_ec_all_m31
 * adds a specialised P-256 and x25519 (12 KB) that
 * a handful of handshakes per run do not need.
 */
static const br_ec_impl *
ec_for(int curve)
{
	return curve == BR_EC_curve25519 ? &br_ec_c25519_i31 : &br_ec_prime_i31;
}

static const unsigned char *
ec_generator(int curve, size_t *len)
{
	return ec_for(curve)->generator(curve, len);
}

static const unsigned char *
ec_order(int curve, size_t *len)
{
	return ec_for(curve)->order(curve, len);
}

static size_t
ec_xoff(int curve, size_t *len)
{
	return ec_for(curve)->xoff(curve, len);
}

static uint32_t
ec_mul(unsigned char *g, size_t glen, const unsigned char *x, size_t xlen,
    int curve)
{
	return ec_for(curve)->mul(g, glen, x, xlen, curve);
}

static size_t
ec_mulgen(unsigned char *r, const unsigned char *x, size_t xlen, int curve)
{
	return ec_for(curve)->mulgen(r, x, xlen, curve);
}

static uint32_t
ec_muladd(unsigned char *a, const unsigned char *b, size_t len,
    const unsigned char *x, size_t xlen, const unsigned char *y, size_t ylen,
    int curve)
{
	return ec_for(curve)->muladd(a, b, len, x, xlen, y, ylen, curve);
}

static const br_ec_impl hm_ec = {
	(uint32_t)1 << BR_EC_secp256r1 | (uint32_t)1 << BR_EC_secp384r1
	    | (uint32_t)1 << BR_EC_secp521r1 | (uint32_t)1 << BR_EC_curve25519,
	ec_generator, ec_order, ec_xoff, ec_mul, ec_mulgen, ec_muladd
};

static void
client_init(br_ssl_client_context *cc, br_x509_minimal_context *xc,
    const br_x509_trust_anchor *tas, size_t tas_num)
{
	static const uint16_t suites[] = {
		BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
	};
	static const br_hash_class *hashes[] = {
		&br_sha224_vtable, &br_sha256_vtable, &br_sha384_vtable,
		&br_sha512_vtable
	};
	int id;

	br_ssl_client_zero(cc);
	br_ssl_engine_set_versions(&cc->eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(&cc->eng, suites,
	    sizeof suites / sizeof suites[0]);
	br_x509_minimal_init(xc, &br_sha256_vtable, tas, tas_num);
	for (id = 0; id < 4; id++) {
		int hid = (int)((hashes[id]->desc >> BR_HASHDESC_ID_OFF)
		    & BR_HASHDESC_ID_MASK);
		br_ssl_engine_set_hash(&cc->eng, hid, hashes[id]);
		br_x509_minimal_set_hash(xc, hid, hashes[id]);
	}
	br_x509_minimal_set_rsa(xc, &br_rsa_i31_pkcs1_vrfy);
	br_x509_minimal_set_ecdsa(xc, &hm_ec, &br_ecdsa_i31_vrfy_asn1);
	br_ssl_engine_set_x509(&cc->eng, &xc->vtable);
	br_ssl_engine_set_rsavrfy(&cc->eng, &br_rsa_i31_pkcs1_vrfy);
	br_ssl_engine_set_ec(&cc->eng, &hm_ec);
	br_ssl_engine_set_ecdsa(&cc->eng, &br_ecdsa_i31_vrfy_asn1);
	br_ssl_engine_set_prf_sha256(&cc->eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(&cc->eng, &br_tls12_sha384_prf);
	/* Portable constant-time AES and GHASH, ChaCha20 and Poly1305. */
	br_ssl_engine_set_gcm(&cc->eng, &br_sslrec_in_gcm_vtable,
	    &br_sslrec_out_gcm_vtable);
	br_ssl_engine_set_aes_ctr(&cc->eng, &br_aes_ct64_ctr_vtable);
	br_ssl_engine_set_ghash(&cc->eng, &br_ghash_ctmul64);
	br_ssl_engine_set_chapol(&cc->eng, &br_sslrec_in_chapol_vtable,
	    &br_sslrec_out_chapol_vtable);
	br_ssl_engine_set_chacha20(&cc->eng, &br_chacha20_ct_run);
	br_ssl_engine_set_poly1305(&cc->eng, &br_poly1305_ctmul_run);
}

/* RFC 9110 tchar: the bytes of a method or a header field name. */
static int
is_tchar(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a'
	    && (ch | 0x20) <= 'z') || (ch != 0
	    && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/*
 * Is head[0..len) "VERB SP TARGET SP HTTP/1.1" CRLF, then "token:value"
 * CRLF lines with no control byte but HT?  Values from manifests and
 * credentials that held CR or LF would end a line early and smuggle a
 * header or a whole request; the message says which line, never what
 * it holds.
 */
static int
check_head(const char *head, size_t len, hm_err *e)
{
	const unsigned char *p = (const unsigned char *)head;
	size_t i, j = 0, line = 1;

	while (j < len && is_tchar(p[j]))
		j++;
	if (j == 0 || j >= len || p[j] != ' ')
		goto bad;
	for (i = ++j; j < len && p[j] > 0x20 && p[j] < 0x7f; j++)
		;
	if (j == i || len - j < 11 || memcmp(p + j, " HTTP/1.1\r\n", 11) != 0)
		goto bad;
	for (i = j + 11; i < len; i = j + 2) {
		line++;
		for (j = i; j < len && is_tchar(p[j]); j++)
			;
		if (j == i || j >= len || p[j] != ':')
			goto bad;
		while (j < len && (p[j] >= 0x20 || p[j] == '\t') && p[j] != 0x7f)
			j++;
		if (len - j < 2 || p[j] != '\r' || p[j + 1] != '\n')
			goto bad;
	}
	return 0;
bad:
	fail(e, HM_ECONFIG, "request not sent: line %zu of its head is not"
	    " valid HTTP/1.1 (a space or control byte in a value?)", line);
	if (e != NULL)
		e->fatal = 1;
	return -1;
}

/*
 * Opens the tunnel through t's CONNECT proxy.  The request is checked as
 * hm_send checks requests (t->host and t->proxy_auth come from the
 * configuration), before connecting, and wiped after use: it holds the
 * proxy password.
 */
static int
proxy_connect(hm_conn *c, const hm_target *t, int64_t cdl, hm_err *e)
{
	char req[1024], ph[128], hs[128], m[sizeof e->msg];
	hm_head h;
	int n, r = -1;
	int v6 = strchr(t->host, ':') != NULL;

	n = snprintf(req, sizeof req,
	    "CONNECT %s%s%s:%s HTTP/1.1\r\nHost: %s%s%s:%s\r\n%s%s%s"
	    "\r\n", v6 ? "[" : "", t->host, v6 ? "]" : "", t->port,
	    v6 ? "[" : "", t->host, v6 ? "]" : "", t->port,
	    t->proxy_auth ? "Proxy-Authorization: " : "",
	    t->proxy_auth ? t->proxy_auth : "",
	    t->proxy_auth ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof req) {
		fail(e, HM_ECONFIG, "proxy request too long");
		goto out;
	}
	/*
	 * A CRLF inside the credentials would make a well-formed head with
	 * a header of its own; check_head finds any other control byte.
	 */
	if (t->proxy_auth != NULL && strpbrk(t->proxy_auth, "\r\n") != NULL) {
		fail(e, HM_ECONFIG, "proxy request not sent: a control byte in"
		    " the credentials");
		goto out;
	}
	/* Without its final empty line, as hm_send's heads. */
	if (check_head(req, (size_t)n - 2, e) < 0
	    || tcp_connect(c, t->proxy_host, t->proxy_port, cdl, e) < 0)
		goto out;
	if (raw_write_all(c, req, (size_t)n) < 0)
		r = c->stopped ? fail(e, HM_ESTOPPED, STOPPED_MSG) : fail(e,
		    c->timed_out ? HM_ETIMEOUT : HM_ECONNECT,
		    "proxy closed the connection");
	else
		r = raw_read_head(c, &h, e);
	hm_redact_url(t->proxy_host, ph, sizeof ph);
	if (r < 0 && e != NULL && e->cat != HM_ESTOPPED) {
		snprintf(m, sizeof m, "%s", e->msg);
		fail(e, e->cat, "via proxy %s: %s", ph, m);
	} else if (r == 0 && h.status != 200) {
		hm_redact_url(t->host, hs, sizeof hs);
		r = fail(e, HM_ECONNECT, "proxy %s refused CONNECT to %s:%s"
		    " (HTTP %d)", ph, hs, t->port, h.status);
	}
out:
	explicit_bzero(req, sizeof req);
	if (r < 0)
		hm_close(c);
	return r;
}

int
hm_open(hm_conn *c, const hm_target *t, int64_t deadline, hm_err *e)
{
	static const char *alpn[] = { "http/1.1" };
	static const unsigned char san_dns_oid[] = { 0, 2 };
	unsigned char seed[32];
	int64_t cdl;
	int r;

	c->fd = -1;
	c->rpos = c->rlen = 0;
	c->timed_out = c->broken = c->stopped = 0;
	c->reusable = 0;
	c->requests = 0;
	c->idle_since = 0;
	c->tls = t->tls;
	cdl = hm_now_ms() + (t->connect_ms > 0 ? t->connect_ms : 10000);
	if (deadline > 0 && deadline < cdl)
		cdl = deadline;
	c->deadline = cdl;
	if (t->proxy_host != NULL && t->proxy_host[0] != '\0') {
		if (proxy_connect(c, t, cdl, e) < 0)
			return -1;
	} else if (tcp_connect(c, t->host, t->port, cdl, e) < 0)
		return -1;
	if (!t->tls)
		return 0;

	client_init(&c->sc, &c->xc.minimal, t->tas, t->tas_num);
	c->xc.vtable = &hm_x509_vtable;
	c->xc.insecure = t->insecure;
	c->xc.ip = NULL;
	c->xc.ip_len = 0;
	/* Tells a DNS-SAN match from BearSSL's CN fallback (xw_end_chain). */
	c->xc.san_dns.oid = san_dns_oid;
	c->xc.san_dns.buf = c->xc.san_buf;
	c->xc.san_dns.len = sizeof c->xc.san_buf;
	br_x509_minimal_set_name_elements(&c->xc.minimal, &c->xc.san_dns, 1);
	if (t->tls_name == NULL || t->tls_name[0] == '\0') {
		/*
		 * Reached by IP address: no SNI (RFC 6066 forbids addresses
		 * there) and BearSSL checks no name, so the wrapper's IP-SAN
		 * check is mandatory.  Without an address to check, refuse.
		 */
		if (!t->insecure && t->ip_len != 4 && t->ip_len != 16) {
			hm_close(c);
			return fail(e, HM_ECONFIG,
			    "no server name or address to verify");
		}
		c->xc.ip = t->ip;
		c->xc.ip_len = t->ip_len;
	}
	c->has_cert = t->chain_len > 0 && (t->rsa != NULL || t->ec != NULL);
	br_ssl_engine_set_x509(&c->sc.eng, &c->xc.vtable);
	br_ssl_engine_set_versions(&c->sc.eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_buffer(&c->sc.eng, c->iobuf, sizeof c->iobuf, 1);
	br_ssl_engine_set_protocol_names(&c->sc.eng, alpn, 1);
	if (t->chain_len > 0 && t->rsa != NULL)
		br_ssl_client_set_single_rsa(&c->sc, t->chain, t->chain_len,
		    t->rsa, &br_rsa_i31_pkcs1_sign);
	else if (t->chain_len > 0 && t->ec != NULL)
		br_ssl_client_set_single_ec(&c->sc, t->chain, t->chain_len,
		    t->ec, BR_KEYTYPE_SIGN | BR_KEYTYPE_KEYX,
		    BR_KEYTYPE_EC, &hm_ec, &br_ecdsa_i31_sign_asn1);
	if (getentropy(seed, sizeof seed) != 0) {
		hm_close(c);
		return fail(e, HM_ECONNECT, "getentropy failed");
	}
	br_ssl_engine_inject_entropy(&c->sc.eng, seed, sizeof seed);
	explicit_bzero(seed, sizeof seed);
	if (!br_ssl_client_reset(&c->sc, c->xc.ip ? NULL : t->tls_name, 0)) {
		hm_close(c);
		return fail(e, HM_ECONNECT, "TLS setup failed");
	}
	br_sslio_init(&c->io, &c->sc.eng, sock_read, c, sock_write, c);
	/* Drive the handshake to completion. */
	r = br_sslio_flush(&c->io);
	while (r == 0 && !(br_ssl_engine_current_state(&c->sc.eng)
	    & BR_SSL_SENDAPP)) {
		unsigned char b;
		/* Not reached in practice: flush completes the handshake. */
		if (br_ssl_engine_current_state(&c->sc.eng) & BR_SSL_CLOSED)
			break;
		r = br_sslio_read(&c->io, &b, 0);
	}
	if (r < 0 || (br_ssl_engine_current_state(&c->sc.eng)
	    & BR_SSL_CLOSED)) {
		int err = br_ssl_engine_last_error(&c->sc.eng);
		const char *w = tls_words(c, err);
		int to = c->timed_out;
		char hs[128];

		hm_close(c);
		if (c->stopped)
			return fail(e, HM_ESTOPPED, STOPPED_MSG);
		hm_redact_url(t->tls_name && t->tls_name[0] ? t->tls_name
		    : t->host, hs, sizeof hs);
		fail(e, to ? HM_ETIMEOUT : HM_ECONNECT,
		    "TLS handshake with %s failed: %s", hs, w);
		if (e != NULL && (err >= BR_ERR_X509_OK || c->xc.ip_mismatch
		    || err == BR_ERR_BAD_VERSION
		    || err == BR_ERR_BAD_CIPHER_SUITE))
			e->fatal = 1;
		return -1;
	}
	return 0;
}

void
hm_close(hm_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->rpos = c->rlen = 0;
	c->reusable = 0;
	/* The last request in clear (its token) and the session keys. */
	if (c->tls) {
		explicit_bzero(c->iobuf, sizeof c->iobuf);
		explicit_bzero(&c->sc, sizeof c->sc);
	}
}

/* Reads some bytes from the connection (TLS or plain): >0, or -1. */
static int
conn_read(hm_conn *c, unsigned char *buf, size_t len)
{
	if (c->tls)
		return br_sslio_read(&c->io, buf, len);
	return sock_read(c, buf, len);
}

static int
io_fail(hm_conn *c, hm_err *e, const char *what)
{
	int cat = c->timed_out ? HM_ETIMEOUT : HM_ECONNECT;

	c->broken = 1;
	if (c->stopped)
		return fail(e, HM_ESTOPPED, STOPPED_MSG);
	return fail(e, cat, "%s: %s", what, c->timed_out ? "timed out"
	    : "connection closed");
}

int
hm_send(hm_conn *c, const char *head, size_t hlen, const void *body,
    size_t blen, int64_t deadline, hm_err *e)
{
	if (check_head(head, hlen, e) < 0)
		return -1;
	c->deadline = deadline;
	c->timed_out = c->stopped = 0;
	if (c->tls) {
		if (br_sslio_write_all(&c->io, head, hlen) < 0
		    || br_sslio_write_all(&c->io, "\r\n", 2) < 0
		    || (blen > 0 && br_sslio_write_all(&c->io, body, blen) < 0)
		    || br_sslio_flush(&c->io) < 0)
			return io_fail(c, e, "sending the request");
		return 0;
	}
	if (raw_write_all(c, head, hlen) < 0 || raw_write_all(c, "\r\n", 2) < 0
	    || (blen > 0 && raw_write_all(c, body, blen) < 0))
		return io_fail(c, e, "sending the request");
	return 0;
}

/* ---- HTTP head ---- */

static int
ci_prefix(const char *s, size_t n, const char *name)
{
	size_t l = strlen(name);

	return n > l && s[l] == ':' && strncasecmp(s, name, l) == 0;
}

/* Does the comma list v[0..n) hold token tok (case-insensitive)? */
static int
has_token(const char *v, size_t n, const char *tok)
{
	size_t i = 0, j, l = strlen(tok);

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		j = i;
		while (j < n && v[j] != ',')
			j++;
		{
			size_t k = j;
			while (k > i && (v[k - 1] == ' ' || v[k - 1] == '\t'))
				k--;
			if (k - i == l && strncasecmp(v + i, tok, l) == 0)
				return 1;
		}
		i = j;
	}
	return 0;
}

int
hm_parse_head(const char *buf, size_t len, hm_head *h, hm_err *e)
{
	size_t i, ls, le, vs;
	int minor, te = 0, seen_cl = 0, conn_close = 0, conn_ka = 0;

	memset(h, 0, sizeof *h);
	h->content_length = -1;
	h->retry_after = -1;
	if (len > HM_MAX_HEAD)
		return fail(e, HM_EPROTO, "response head too long");
	if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0
	    || (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ')
		return fail(e, HM_EPROTO, "not an HTTP/1.x response");
	minor = buf[7] - '0';
	if (buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9'
	    || buf[11] < '0' || buf[11] > '9')
		return fail(e, HM_EPROTO, "bad HTTP status code");
	h->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10
	    + (buf[11] - '0');
	if (len > 12 && buf[12] != ' ' && buf[12] != '\r' && buf[12] != '\n')
		return fail(e, HM_EPROTO, "bad HTTP status line");
	for (i = 12; i < len && buf[i] != '\n'; i++)
		;
	if (i >= len)
		return fail(e, HM_EPROTO, "incomplete HTTP response head");
	for (ls = i + 1; ls < len; ls = le + 1) {
		size_t ve;

		for (le = ls; le < len && buf[le] != '\n'; le++)
			;
		if (le >= len)
			return fail(e, HM_EPROTO, "incomplete HTTP response"
			    " head");
		ve = le;
		if (ve > ls && buf[ve - 1] == '\r')
			ve--;
		if (ve == ls)
			break; /* the empty line */
		if (buf[ls] == ' ' || buf[ls] == '\t')
			return fail(e, HM_EPROTO, "folded header line");
		for (vs = ls; vs < ve && buf[vs] != ':'; vs++)
			if (buf[vs] == ' ' || buf[vs] == '\t'
			    || (unsigned char)buf[vs] < 0x21)
				return fail(e, HM_EPROTO, "bad header name");
		if (vs == ve || vs == ls)
			return fail(e, HM_EPROTO, "header line without colon");
		{
			const char *name = buf + ls;
			size_t nlen = ve - ls;
			const char *v = buf + vs + 1;
			size_t vl = ve - vs - 1;

			while (vl > 0 && (*v == ' ' || *v == '\t')) {
				v++;
				vl--;
			}
			while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			if (ci_prefix(name, nlen, "content-length")) {
				int64_t n = 0;
				size_t k;

				if (vl == 0 || vl > 15)
					return fail(e, HM_EPROTO,
					    "bad Content-Length");
				for (k = 0; k < vl; k++) {
					if (v[k] < '0' || v[k] > '9')
						return fail(e, HM_EPROTO,
						    "bad Content-Length");
					n = n * 10 + (v[k] - '0');
				}
				if (seen_cl && n != h->content_length)
					return fail(e, HM_EPROTO,
					    "conflicting Content-Length");
				seen_cl = 1;
				h->content_length = n;
			} else if (ci_prefix(name, nlen, "transfer-encoding")) {
				if (!(vl == 7 && strncasecmp(v, "chunked", 7)
				    == 0))
					return fail(e, HM_EPROTO,
					    "unsupported Transfer-Encoding");
				te = 1;
			} else if (ci_prefix(name, nlen, "connection")) {
				if (has_token(v, vl, "close"))
					conn_close = 1;
				if (has_token(v, vl, "keep-alive"))
					conn_ka = 1;
			} else if (ci_prefix(name, nlen, "retry-after")) {
				long n = 0;
				size_t k;

				for (k = 0; k < vl && k < 9 && v[k] >= '0'
				    && v[k] <= '9'; k++)
					n = n * 10 + (v[k] - '0');
				h->retry_after = (k == vl && vl > 0) ? n : 1;
			} else if (ci_prefix(name, nlen, "content-type")) {
				size_t k = vl < sizeof h->content_type - 1 ? vl
				    : sizeof h->content_type - 1;
				memcpy(h->content_type, v, k);
				h->content_type[k] = '\0';
			}
		}
	}
	if (ls >= len)
		return fail(e, HM_EPROTO, "incomplete HTTP response head");
	if (te) {
		h->chunked = 1;
		h->content_length = -1;
	}
	h->keep_alive = minor == 1 ? !conn_close : conn_ka;
	return 0;
}

int
hm_read_head(hm_conn *c, hm_head *h, hm_body *b, int64_t deadline, hm_err *e)
{
	size_t scan;
	int n;

	c->deadline = deadline;
	c->timed_out = c->stopped = 0;
	for (;;) {
		/* Compact, then read until the empty line. */
		if (c->rpos > 0) {
			memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
			c->rlen -= c->rpos;
			c->rpos = 0;
		}
		scan = 0;
		for (;;) {
			unsigned char *p;
			size_t k, end = 0;

			for (k = scan; k < c->rlen; k++) {
				if (c->rbuf[k] != '\n')
					continue;
				p = c->rbuf + k;
				if (k >= 1 && p[-1] == '\n')
					end = k + 1;
				else if (k >= 2 && p[-1] == '\r' && p[-2] == '\n')
					end = k + 1;
				if (end)
					break;
			}
			if (end) {
				if (hm_parse_head((char *)c->rbuf, end, h, e) < 0)
				{
					c->broken = 1;
					return -1;
				}
				c->rpos = end;
				break;
			}
			scan = c->rlen;
			if (c->rlen >= sizeof c->rbuf) {
				c->broken = 1;
				return fail(e, HM_EPROTO, "response head too"
				    " long");
			}
			n = conn_read(c, c->rbuf + c->rlen,
			    sizeof c->rbuf - c->rlen);
			if (n <= 0)
				return io_fail(c, e, "reading the response");
			c->rlen += (size_t)n;
		}
		if (h->status >= 100 && h->status < 200 && h->status != 101)
			continue;
		break;
	}
	memset(b, 0, sizeof *b);
	c->reusable = h->keep_alive;
	if (h->chunked)
		b->mode = 1;
	else if (h->content_length >= 0) {
		b->mode = 0;
		b->left = h->content_length;
		b->done = b->left == 0;
	} else if (h->status == 204 || h->status == 304) {
		b->mode = 0;
		b->done = 1;
	} else {
		b->mode = 2;
		c->reusable = 0;
	}
	return 0;
}

/* Chunked decoder states. */
enum { CK_SIZE, CK_EXT, CK_SIZE_LF, CK_DATA, CK_DATA_CR, CK_DATA_LF,
	CK_TRAILER, CK_TRAILER_LINE, CK_FINAL_LF, CK_DONE };

static int
hexval(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int
hm_chunk_decode(hm_body *b, const unsigned char *in, size_t inlen,
    size_t *used, unsigned char *out, size_t outcap, size_t *made,
    hm_err *e)
{
	size_t i = 0, o = 0;
	int v;

	while (i < inlen && b->state != CK_DONE) {
		unsigned char ch = in[i];

		switch (b->state) {
		case CK_SIZE:
			v = hexval(ch);
			if (v >= 0) {
				if (b->ext >= 15)
					return fail(e, HM_EPROTO,
					    "chunk size too large");
				b->left = b->left * 16 + v;
				b->ext++;
				i++;
				break;
			}
			if (b->ext == 0)
				return fail(e, HM_EPROTO, "bad chunk size");
			b->state = CK_EXT;
			b->ext = 0;
			break;
		case CK_EXT:
			if (ch == '\n') {
				b->state = b->left == 0 ? CK_TRAILER : CK_DATA;
				b->ext = 0;
			} else if (ch == '\r')
				b->state = CK_SIZE_LF;
			else if (++b->ext > 1024)
				return fail(e, HM_EPROTO, "chunk extension too"
				    " long");
			i++;
			break;
		case CK_SIZE_LF:
			if (ch != '\n')
				return fail(e, HM_EPROTO, "bad chunk size line");
			b->state = b->left == 0 ? CK_TRAILER : CK_DATA;
			b->ext = 0;
			i++;
			break;
		case CK_DATA: {
			size_t n = inlen - i;

			if ((int64_t)n > b->left)
				n = (size_t)b->left;
			if (n > outcap - o)
				n = outcap - o;
			if (n == 0)
				goto out; /* no room */
			memcpy(out + o, in + i, n);
			o += n;
			i += n;
			b->left -= (int64_t)n;
			if (b->left == 0)
				b->state = CK_DATA_CR;
			break;
		}
		case CK_DATA_CR:
			if (ch == '\r')
				b->state = CK_DATA_LF;
			else if (ch == '\n')
				b->state = CK_SIZE;
			else
				return fail(e, HM_EPROTO, "chunk not followed"
				    " by CRLF");
			i++;
			break;
		case CK_DATA_LF:
			if (ch != '\n')
				return fail(e, HM_EPROTO, "chunk not followed"
				    " by CRLF");
			b->state = CK_SIZE;
			b->ext = 0;
			i++;
			break;
		case CK_TRAILER:
			if (ch == '\r')
				b->state = CK_FINAL_LF;
			else if (ch == '\n')
				b->state = CK_DONE;
			else
				b->state = CK_TRAILER_LINE;
			i++;
			break;
		case CK_TRAILER_LINE:
			if (++b->ext > 8192)
				return fail(e, HM_EPROTO, "trailers too long");
			if (ch == '\n')
				b->state = CK_TRAILER;
			i++;
			break;
		case CK_FINAL_LF:
			if (ch != '\n')
				return fail(e, HM_EPROTO, "bad last chunk");
			b->state = CK_DONE;
			i++;
			break;
		}
	}
out:
	*used = i;
	*made = o;
	if (b->state == CK_DONE) {
		b->done = 1;
		return 1;
	}
	return 0;
}

long
hm_read_body(hm_conn *c, hm_body *b, void *buf, size_t cap, int64_t deadline,
    hm_err *e)
{
	int n;

	c->deadline = deadline;
	c->timed_out = c->stopped = 0;
	if (cap == 0)
		return fail(e, HM_EPROTO, "no room for the body");
	for (;;) {
		if (b->done)
			return 0;
		if (c->rpos < c->rlen) {
			size_t avail = c->rlen - c->rpos;

			if (b->mode == 1) {
				size_t used, made;
				int r = hm_chunk_decode(b, c->rbuf + c->rpos,
				    avail, &used, buf, cap, &made, e);

				if (r < 0) {
					c->broken = 1;
					return -1;
				}
				c->rpos += used;
				if (made > 0)
					return (long)made;
				if (r == 1)
					return 0;
				if (used == 0 && c->rpos < c->rlen)
					return fail(e, HM_EPROTO, "chunked"
					    " decoder stalled");
				continue;
			}
			if (b->mode == 0 && (int64_t)avail > b->left)
				avail = (size_t)b->left;
			if (avail > cap)
				avail = cap;
			memcpy(buf, c->rbuf + c->rpos, avail);
			c->rpos += avail;
			if (b->mode == 0) {
				b->left -= (int64_t)avail;
				if (b->left == 0)
					b->done = 1;
			}
			return (long)avail;
		}
		c->rpos = c->rlen = 0;
		n = conn_read(c, c->rbuf, sizeof c->rbuf);
		if (n <= 0) {
			if (b->mode == 2 && !c->timed_out && !c->stopped) {
				b->done = 1;
				c->reusable = 0;
				return 0;
			}
			return io_fail(c, e, "reading the response body");
		}
		c->rlen = (size_t)n;
	}
}

/* ---- base64 ---- */

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
hm_b64_encode(const void *in, size_t len, char *out)
{
	const unsigned char *p = in;
	size_t i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		out[o++] = b64chars[p[i] >> 2];
		out[o++] = b64chars[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		out[o++] = b64chars[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		out[o++] = b64chars[p[i + 2] & 63];
	}
	if (i < len) {
		out[o++] = b64chars[p[i] >> 2];
		if (i + 1 < len) {
			out[o++] = b64chars[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			out[o++] = b64chars[(p[i + 1] & 15) << 2];
		} else {
			out[o++] = b64chars[(p[i] & 3) << 4];
			out[o++] = '=';
		}
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

long
hm_b64_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int n = 0, pad = 0, v;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
			continue;
		if (ch == '=') {
			pad++;
			continue;
		}
		if (pad)
			return -1; /* data after padding */
		if (ch >= 'A' && ch <= 'Z')
			v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z')
			v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9')
			v = ch - '0' + 52;
		else if (ch == '+' || ch == '-')
			v = 62;
		else if (ch == '/' || ch == '_')
			v = 63;
		else
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		if (++n == 4) {
			if (cap - o < 3)
				return -1;
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
			n = 0;
		}
	}
	if (n == 1 || pad > 2 || (pad && n + pad != 4))
		return -1;
	if (n == 2) {
		if (cap - o < 1)
			return -1;
		out[o++] = (unsigned char)(acc >> 4);
	} else if (n == 3) {
		if (cap - o < 2)
			return -1;
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
	}
	return (long)o;
}

/* ---- proxies and URLs in messages ---- */

size_t
hm_redact_url(const char *url, char *out, size_t cap)
{
	size_t s = strcspn(url, "/?#");
	const char *a = strstr(url, "://"), *end, *at = NULL, *q;

	/* The authority: after the scheme, if any, up to the path. */
	a = a != NULL && (size_t)(a - url) < s ? a + 3 : url;
	end = a + strcspn(a, "/?#");
	for (q = a; q < end; q++)
		if (*q == '@')
			at = q;
	if (at == NULL)
		return (size_t)snprintf(out, cap, "%s", url);
	return (size_t)snprintf(out, cap, "%.*sREDACTED%s", (int)(a - url),
	    url, at);
}

/* An IPv4 (as IPv4-mapped) or IPv6 address in 16 bytes: 4, 6, or 0. */
static int
ip_parse(const char *s, unsigned char ip[16])
{
	memset(ip, 0, 16);
	if (inet_pton(AF_INET, s, ip + 12) == 1) {
		ip[10] = ip[11] = 0xff;
		return 4;
	}
	return inet_pton(AF_INET6, s, ip) == 1 ? 6 : 0;
}

/* One NO_PROXY entry (trimmed, in a scratch copy) against host:port. */
static int
np_match(char *it, const char *host, const unsigned char hip[16], int hfam,
    const char *port)
{
	unsigned char ip[16];
	char *ph = it, *pp = NULL, *x;
	size_t hl = strlen(host), pl;
	int fam, bits, k;

	if (strcmp(it, "*") == 0)
		return 1;
	if ((x = strchr(it, '/')) != NULL) {
		/* A CIDR; Go gives any other entry with a '/' no match. */
		*x++ = '\0';
		fam = ip_parse(it, ip);
		if (fam == 0 || fam != hfam || *x == '\0' || strlen(x) > 3
		    || x[strspn(x, "0123456789")] != '\0')
			return 0;
		bits = atoi(x) + (fam == 4 ? 96 : 0);
		if (bits > 128)
			return 0;
		for (k = 0; k < bits; k++)
			if ((ip[k / 8] ^ hip[k / 8]) & (0x80 >> (k % 8)))
				return 0;
		return 1;
	}
	/* host:port, [v6]:port; several colons and no brackets: IPv6. */
	if (it[0] == '[') {
		if ((x = strchr(it, ']')) == NULL || x[1] != ':')
			return 0;
		*x = '\0';
		ph = it + 1;
		pp = x + 2;
	} else if ((x = strchr(it, ':')) != NULL && strchr(x + 1, ':')
	    == NULL) {
		*x = '\0';
		pp = x + 1;
	}
	if (ph[0] == '\0'
	    || (pp != NULL && pp[0] != '\0' && strcmp(pp, port) != 0))
		return 0;
	if (ip_parse(ph, ip) != 0)
		return hfam != 0 && memcmp(ip, hip, 16) == 0;
	/* "name": it and its subdomains; ".name", "*.name": these only. */
	if (ph[0] == '*' && ph[1] == '.')
		ph++;
	pl = strlen(ph);
	if (ph[0] != '.' && strcasecmp(host, ph) == 0)
		return 1;
	return hl > pl && strcasecmp(host + hl - pl, ph) == 0
	    && (ph[0] == '.' || host[hl - pl - 1] == '.');
}

int
hm_no_proxy(const char *np, const char *host, const char *port)
{
	static const unsigned char lo6[16] = { [15] = 1 };
	unsigned char hip[16];
	char it[256];
	int hfam = ip_parse(host, hip);
	size_t n, b, l;

	/* Go never proxies loopback, whatever NO_PROXY says. */
	if (strcasecmp(host, "localhost") == 0 || memcmp(hip, lo6, 16) == 0
	    || (hfam != 0 && hip[10] == 0xff && hip[11] == 0xff
	    && hip[12] == 127 && memcmp(hip, lo6, 10) == 0))
		return 1;
	for (; np != NULL && *np != '\0'; np += n + (np[n] == ',')) {
		n = strcspn(np, ",");
		for (b = 0; b < n && (np[b] == ' ' || np[b] == '\t'); b++)
			;
		for (l = n; l > b && (np[l - 1] == ' ' || np[l - 1] == '\t'); l--)
			;
		if (l == b || l - b >= sizeof it)
			continue;
		memcpy(it, np + b, l - b);
		it[l - b] = '\0';
		if (np_match(it, host, hip, hfam, port))
			return 1;
	}
	return 0;
}

int
hm_proxy_auth(const char *userinfo, size_t len, char *out, size_t cap)
{
	unsigned char d[512];
	size_t i, n = 0;
	int hi, lo, r = -1;

	if (len > sizeof d)
		return -1;
	for (i = 0; i < len; i++) {
		if (userinfo[i] != '%') {
			d[n++] = (unsigned char)userinfo[i];
			continue;
		}
		/* Go refuses a URL with a bad escape: so do we. */
		if (len - i < 3 || (hi = hexval((unsigned char)userinfo[i + 1]))
		    < 0 || (lo = hexval((unsigned char)userinfo[i + 2])) < 0)
			goto out;
		d[n++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	if (cap >= 7 + 4 * ((n + 2) / 3)) {
		memcpy(out, "Basic ", 6);
		r = (int)(6 + hm_b64_encode(d, n, out + 6));
	}
out:
	explicit_bzero(d, sizeof d);
	return r;
}

/* ---- PEM credentials ---- */

typedef struct {
	unsigned char *p;
	size_t len, cap;
	int oom;
} growbuf;

static void
gb_add(void *ctx, const void *data, size_t len)
{
	growbuf *g = ctx;

	if (g->oom)
		return;
	if (len > g->cap - g->len) {
		size_t nc = g->cap ? g->cap * 2 : 1024;
		unsigned char *np;

		while (nc - g->len < len)
			nc *= 2;
		/* Not realloc: the old block may hold a private key. */
		if (nc > (1u << 24) || (np = malloc(nc)) == NULL) {
			g->oom = 1;
			return;
		}
		if (g->p != NULL) {
			memcpy(np, g->p, g->len);
			explicit_bzero(g->p, g->cap);
			free(g->p);
		}
		g->p = np;
		g->cap = nc;
	}
	memcpy(g->p + g->len, data, len);
	g->len += len;
}

/*
 * Calls fn for each PEM object of pem[0..len): its name and DER bytes.
 * Returns the number of objects, or -1 (bad PEM, or fn failed).
 */
static int
pem_each(const char *pem, size_t len, int (*fn)(void *, const char *,
    const unsigned char *, size_t), void *arg, hm_err *e)
{
	br_pem_decoder_context pc;
	growbuf der = { 0 };
	char name[128];
	int count = 0, inobj = 0;

	br_pem_decoder_init(&pc);
	while (len > 0) {
		size_t n = br_pem_decoder_push(&pc, pem, len);

		pem += n;
		len -= n;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			snprintf(name, sizeof name, "%s",
			    br_pem_decoder_name(&pc));
			der.len = 0;
			br_pem_decoder_setdest(&pc, gb_add, &der);
			inobj = 1;
			break;
		case BR_PEM_END_OBJ:
			if (der.oom) {
				count = fail(e, HM_ECONFIG, "PEM object too"
				    " large");
				goto out;
			}
			inobj = 0;
			if (der.len == 0) {
				count = fail(e, HM_ECONFIG, "empty PEM object");
				goto out;
			}
			if (fn(arg, name, der.p, der.len) < 0) {
				count = -1;
				goto out;
			}
			count++;
			break;
		case BR_PEM_ERROR:
			count = fail(e, HM_ECONFIG, "malformed PEM data");
			goto out;
		}
	}
	/* A missing final newline leaves the last END line unread. */
	if (br_pem_decoder_push(&pc, "\n", 1) == 1
	    && br_pem_decoder_event(&pc) == BR_PEM_END_OBJ) {
		inobj = 0;
		if (der.len == 0) {
			count = fail(e, HM_ECONFIG, "empty PEM object");
			goto out;
		}
		if (!der.oom && fn(arg, name, der.p, der.len) < 0) {
			count = -1;
			goto out;
		}
		count++;
	}
	if (inobj)
		count = fail(e, HM_ECONFIG, "truncated PEM data");
out:
	/* The DER, and the decoder's few bytes, may be a private key. */
	if (der.p != NULL)
		explicit_bzero(der.p, der.cap);
	free(der.p);
	explicit_bzero(&pc, sizeof pc);
	return count;
}

struct ta_arg {
	hm_creds *cr;
	hm_err *e;
	int certs;
};

static int
add_ta(void *arg, const char *name, const unsigned char *der, size_t len)
{
	struct ta_arg *a = arg;
	hm_creds *cr = a->cr;
	br_x509_decoder_context dc;
	growbuf dn = { 0 };
	const br_x509_pkey *pk;
	br_x509_trust_anchor *ta;
	unsigned char *mem;
	size_t klen;

	if (strcmp(name, "CERTIFICATE") != 0
	    && strcmp(name, "X509 CERTIFICATE") != 0
	    && strcmp(name, "TRUSTED CERTIFICATE") != 0)
		return 0;
	if (cr->tas_num >= HM_MAX_TAS)
		return fail(a->e, HM_ECONFIG, "too many CA certificates");
	br_x509_decoder_init(&dc, gb_add, &dn);
	br_x509_decoder_push(&dc, der, len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (pk == NULL || dn.oom || br_x509_decoder_last_error(&dc) != 0
	    || dn.len == 0) {
		free(dn.p);
		return fail(a->e, HM_ECONFIG, "CA certificate %d cannot be"
		    " decoded", a->certs + 1);
	}
	ta = realloc(cr->tas, (cr->tas_num + 1) * sizeof *ta);
	if (ta == NULL) {
		free(dn.p);
		return fail(a->e, HM_ECONFIG, "out of memory");
	}
	cr->tas = ta;
	ta += cr->tas_num;
	memset(ta, 0, sizeof *ta);
	klen = pk->key_type == BR_KEYTYPE_RSA ? pk->key.rsa.nlen
	    + pk->key.rsa.elen : pk->key.ec.qlen;
	mem = malloc(dn.len + klen + 1);
	if (mem == NULL) {
		free(dn.p);
		return fail(a->e, HM_ECONFIG, "out of memory");
	}
	if (dn.len > 0)
		memcpy(mem, dn.p, dn.len);
	free(dn.p);
	ta->dn.data = mem;
	ta->dn.len = dn.len;
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	ta->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		memcpy(mem + dn.len, pk->key.rsa.n, pk->key.rsa.nlen);
		memcpy(mem + dn.len + pk->key.rsa.nlen, pk->key.rsa.e,
		    pk->key.rsa.elen);
		ta->pkey.key.rsa.n = mem + dn.len;
		ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		ta->pkey.key.rsa.e = mem + dn.len + pk->key.rsa.nlen;
		ta->pkey.key.rsa.elen = pk->key.rsa.elen;
	} else {
		memcpy(mem + dn.len, pk->key.ec.q, pk->key.ec.qlen);
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = mem + dn.len;
		ta->pkey.key.ec.qlen = pk->key.ec.qlen;
	}
	cr->tas_num++;
	a->certs++;
	return 0;
}

int
hm_pem_trust(hm_creds *cr, const char *pem, size_t len, hm_err *e)
{
	struct ta_arg a = { cr, e, 0 };

	if (pem_each(pem, len, add_ta, &a, e) < 0)
		return -1;
	if (a.certs == 0)
		return fail(e, HM_ECONFIG, "no CERTIFICATE in the CA data");
	return 0;
}

static int
add_cert(void *arg, const char *name, const unsigned char *der, size_t len)
{
	struct ta_arg *a = arg;
	hm_creds *cr = a->cr;
	br_x509_certificate *ch;
	unsigned char *d;

	if (strcmp(name, "CERTIFICATE") != 0)
		return 0;
	if (cr->chain_len >= HM_MAX_CHAIN)
		return fail(a->e, HM_ECONFIG, "client certificate chain too"
		    " long");
	ch = realloc(cr->chain, (cr->chain_len + 1) * sizeof *ch);
	if (ch == NULL || (d = malloc(len ? len : 1)) == NULL) {
		if (ch != NULL)
			cr->chain = ch;
		return fail(a->e, HM_ECONFIG, "out of memory");
	}
	memcpy(d, der, len);
	cr->chain = ch;
	ch[cr->chain_len].data = d;
	ch[cr->chain_len].data_len = len;
	cr->chain_len++;
	a->certs++;
	return 0;
}

int
hm_pem_chain(hm_creds *cr, const char *pem, size_t len, hm_err *e)
{
	struct ta_arg a = { cr, e, 0 };

	if (pem_each(pem, len, add_cert, &a, e) < 0)
		return -1;
	if (a.certs == 0)
		return fail(e, HM_ECONFIG, "no CERTIFICATE in the client"
		    " certificate data");
	return 0;
}

/* Wipes and frees the private key's copy (explicit_bzero: a memset before
 * free may be optimised away). */
static void
forget_key(hm_creds *cr)
{
	if (cr->keymem != NULL) {
		size_t kl = cr->key_type == BR_KEYTYPE_RSA ? cr->rsa.plen
		    + cr->rsa.qlen + cr->rsa.dplen + cr->rsa.dqlen
		    + cr->rsa.iqlen : cr->ec.xlen;
		explicit_bzero(cr->keymem, kl);
		free(cr->keymem);
		cr->keymem = NULL;
	}
}

static int
add_key(void *arg, const char *name, const unsigned char *der, size_t len)
{
	struct ta_arg *a = arg;
	hm_creds *cr = a->cr;
	br_skey_decoder_context kc;
	int err, r = -1;

	if (strcmp(name, "RSA PRIVATE KEY") != 0
	    && strcmp(name, "EC PRIVATE KEY") != 0
	    && strcmp(name, "PRIVATE KEY") != 0) {
		if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0)
			return fail(a->e, HM_ECONFIG, "encrypted private keys"
			    " are not supported");
		return 0;
	}
	if (a->certs > 0)
		return fail(a->e, HM_ECONFIG, "more than one private key");
	br_skey_decoder_init(&kc);
	br_skey_decoder_push(&kc, der, len);
	err = br_skey_decoder_last_error(&kc);
	if (err != 0 || br_skey_decoder_key_type(&kc) == 0) {
		fail(a->e, HM_ECONFIG, "the private key cannot be decoded (not"
		    " RSA or EC in PKCS#1, SEC1 or PKCS#8?)");
		goto out;
	}
	forget_key(cr);
	if (br_skey_decoder_key_type(&kc) == BR_KEYTYPE_RSA) {
		const br_rsa_private_key *k = br_skey_decoder_get_rsa(&kc);
		size_t tot = k->plen + k->qlen + k->dplen + k->dqlen + k->iqlen;
		unsigned char *m = malloc(tot);

		if (m == NULL) {
			fail(a->e, HM_ECONFIG, "out of memory");
			goto out;
		}
		cr->keymem = m;
		cr->rsa = *k;
		memcpy(m, k->p, k->plen); cr->rsa.p = m; m += k->plen;
		memcpy(m, k->q, k->qlen); cr->rsa.q = m; m += k->qlen;
		memcpy(m, k->dp, k->dplen); cr->rsa.dp = m; m += k->dplen;
		memcpy(m, k->dq, k->dqlen); cr->rsa.dq = m; m += k->dqlen;
		memcpy(m, k->iq, k->iqlen); cr->rsa.iq = m;
		cr->key_type = BR_KEYTYPE_RSA;
	} else {
		const br_ec_private_key *k = br_skey_decoder_get_ec(&kc);
		unsigned char *m = malloc(k->xlen);

		if (m == NULL) {
			fail(a->e, HM_ECONFIG, "out of memory");
			goto out;
		}
		memcpy(m, k->x, k->xlen);
		cr->keymem = m;
		cr->ec = *k;
		cr->ec.x = m;
		cr->key_type = BR_KEYTYPE_EC;
	}
	a->certs++;
	r = 0;
out:
	/* The decoder holds the key on every path. */
	explicit_bzero(&kc, sizeof kc);
	return r;
}

int
hm_pem_key(hm_creds *cr, const char *pem, size_t len, hm_err *e)
{
	struct ta_arg a = { cr, e, 0 };

	if (pem_each(pem, len, add_key, &a, e) < 0)
		return -1;
	if (a.certs == 0)
		return fail(e, HM_ECONFIG, "no PRIVATE KEY in the client key"
		    " data");
	return 0;
}

void
hm_creds_free(hm_creds *cr)
{
	size_t i;

	for (i = 0; i < cr->tas_num; i++)
		free(cr->tas[i].dn.data);
	free(cr->tas);
	for (i = 0; i < cr->chain_len; i++)
		free(cr->chain[i].data);
	free(cr->chain);
	forget_key(cr);
	memset(cr, 0, sizeof *cr);
}
