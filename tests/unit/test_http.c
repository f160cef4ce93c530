/*
 * test_http: http_min's pure parts with canned bytes: the response head
 * parser, the chunked decoder, base64, PEM credentials.
 */
#include <stdlib.h>

#include "unit.h"
#include "http_min.h"

static hm_head h;
static hm_err e;

#define HEAD(s) hm_parse_head(s, sizeof(s) - 1, &h, &e)

TEST(head_basic)
{
	CHECK(HEAD("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: 12\r\n\r\n") == 0);
	CHECK(h.status == 200);
	CHECK(h.content_length == 12);
	CHECK(!h.chunked);
	CHECK(h.keep_alive);
	CHECK_STR(h.content_type, "application/json");
	CHECK(h.retry_after == -1);
	return 0;
}

TEST(head_chunked_close)
{
	CHECK(HEAD("HTTP/1.1 201 Created\r\ntransfer-encoding:  chunked \r\n"
	    "Connection: close\r\n\r\n") == 0);
	CHECK(h.status == 201);
	CHECK(h.chunked);
	CHECK(h.content_length == -1);
	CHECK(!h.keep_alive);
	return 0;
}

TEST(head_http10_and_retry_after)
{
	CHECK(HEAD("HTTP/1.0 429 Too Many\nRetry-After: 3\n\n") == 0);
	CHECK(h.status == 429);
	CHECK(!h.keep_alive);
	CHECK(h.retry_after == 3);
	CHECK(HEAD("HTTP/1.0 503 x\r\nConnection: keep-alive\r\n"
	    "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\n") == 0);
	CHECK(h.keep_alive);
	CHECK(h.retry_after == 1);
	return 0;
}

TEST(head_errors)
{
	CHECK(HEAD("HTTP/2 200\r\n\r\n") < 0);
	CHECK(HEAD("HTTP/1.1 20x OK\r\n\r\n") < 0);
	CHECK(HEAD("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
	    "Content-Length: 2\r\n\r\n") < 0);
	CHECK(strstr(e.msg, "conflicting") != NULL);
	CHECK(HEAD("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n") < 0);
	CHECK(HEAD("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999\r\n"
	    "\r\n") < 0);
	CHECK(HEAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n") < 0);
	CHECK(HEAD("HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n") < 0);
	CHECK(HEAD("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n") < 0);
	CHECK(HEAD("HTTP/1.1 200 OK\r\nX: a\r\n") < 0);
	CHECK(HEAD("HTTP/1.1 200 OK") < 0);
	CHECK(HEAD("") < 0);
	/* Same Content-Length twice is fine. */
	CHECK(HEAD("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "content-length: 5\r\n\r\n") == 0);
	CHECK(h.content_length == 5);
	return 0;
}

static int
decode_all(const char *in, size_t step, char *out, size_t cap, size_t *olen)
{
	hm_body b;
	size_t pos = 0, used, made, len = strlen(in);
	int r = 0;

	memset(&b, 0, sizeof b);
	b.mode = 1;
	*olen = 0;
	while (pos < len) {
		size_t n = len - pos < step ? len - pos : step;
		size_t k = 0;
		do {
			r = hm_chunk_decode(&b, (const unsigned char *)in + pos
			    + k, n - k, &used, (unsigned char *)out + *olen,
			    cap - *olen, &made, &e);
			if (r < 0)
				return -1;
			k += used;
			*olen += made;
		} while (k < n && r == 0 && (used > 0 || made > 0));
		if (k < n && r == 0)
			return -2; /* stalled */
		pos += n;
		if (r == 1)
			break;
	}
	return r == 1 && pos == len ? 1 : r;
}

TEST(chunked_whole_and_bytewise)
{
	const char *in = "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n";
	char out[64];
	size_t n, step;

	for (step = 1; step <= strlen(in); step++) {
		CHECK(decode_all(in, step, out, sizeof out, &n) == 1);
		CHECK(n == 12);
		CHECK(memcmp(out, "hello, world", 12) == 0);
	}
	return 0;
}

TEST(chunked_trailers_lf_hex)
{
	char out[64];
	size_t n;

	CHECK(decode_all("A\nabcdefghij\n0\nX-Trailer: 1\n\n", 3, out,
	    sizeof out, &n) == 1);
	CHECK(n == 10);
	CHECK(decode_all("1f\r\n0123456789012345678901234567890\r\n0\r\n\r\n",
	    64, out, sizeof out, &n) == 1);
	CHECK(n == 31);
	return 0;
}

TEST(chunked_small_output)
{
	char out[3];
	hm_body b;
	const unsigned char *in = (const unsigned char *)"8\r\nabcdefgh\r\n0\r\n\r\n";
	size_t len = strlen((const char *)in), pos = 0, used, made, total = 0;
	int r = 0, loops = 0;

	memset(&b, 0, sizeof b);
	b.mode = 1;
	while (pos < len && loops++ < 100) {
		r = hm_chunk_decode(&b, in + pos, len - pos, &used,
		    (unsigned char *)out, sizeof out, &made, &e);
		CHECK(r >= 0);
		pos += used;
		total += made;
		if (r == 1)
			break;
	}
	CHECK(r == 1);
	CHECK(total == 8);
	return 0;
}

TEST(chunked_errors)
{
	char out[64];
	size_t n;

	CHECK(decode_all("x\r\n", 8, out, sizeof out, &n) == -1);
	CHECK(decode_all("5\r\nhelloX\r\n", 8, out, sizeof out, &n) == -1);
	CHECK(decode_all("1000000000000000\r\n", 64, out, sizeof out, &n)
	    == -1);
	CHECK(strstr(e.msg, "too large") != NULL);
	CHECK(decode_all("0\r\nX", 8, out, sizeof out, &n) == 0);
	return 0;
}

TEST(base64)
{
	unsigned char out[64];
	char enc[64];

	CHECK(hm_b64_decode("aGVsbG8=", 8, out, sizeof out) == 5);
	CHECK(memcmp(out, "hello", 5) == 0);
	CHECK(hm_b64_decode("aGVsbG8", 7, out, sizeof out) == 5);
	CHECK(hm_b64_decode("aGVs\nbG8h\n", 10, out, sizeof out) == 6);
	CHECK(memcmp(out, "hell", 4) == 0);
	CHECK(hm_b64_decode("", 0, out, sizeof out) == 0);
	CHECK(hm_b64_decode("_-8=", 4, out, sizeof out) == 2);
	CHECK(out[0] == 0xff && out[1] == 0xef);
	CHECK(hm_b64_decode("a", 1, out, sizeof out) == -1);
	CHECK(hm_b64_decode("aGVsbG8=x", 9, out, sizeof out) == -1);
	CHECK(hm_b64_decode("aG=sbG8=", 8, out, sizeof out) == -1);
	CHECK(hm_b64_decode("aGVs*G8=", 8, out, sizeof out) == -1);
	CHECK(hm_b64_decode("aGVsbG8=", 8, out, 4) == -1);
	CHECK(hm_b64_encode("hello", 5, enc) == 8);
	CHECK_STR(enc, "aGVsbG8=");
	CHECK(hm_b64_encode("hi", 2, enc) == 4);
	CHECK_STR(enc, "aGk=");
	CHECK(hm_b64_encode("", 0, enc) == 0);
	CHECK_STR(enc, "");
	return 0;
}

static int
pem_key(const char *path, int type)
{
	hm_creds cr;
	size_t len;
	char *b = unit_slurp(path, &len);
	int r;

	if (b == NULL)
		return -2;
	memset(&cr, 0, sizeof cr);
	r = hm_pem_key(&cr, b, len, &e);
	if (r == 0 && cr.key_type != type)
		r = -3;
	hm_creds_free(&cr);
	free(b);
	return r;
}

TEST(pem_keys)
{
	CHECK(pem_key("tests/k8s/pki/rsa-pkcs1.key", BR_KEYTYPE_RSA) == 0);
	CHECK(pem_key("tests/k8s/pki/rsa-pkcs8.key", BR_KEYTYPE_RSA) == 0);
	CHECK(pem_key("tests/k8s/pki/ec-sec1.key", BR_KEYTYPE_EC) == 0);
	CHECK(pem_key("tests/k8s/pki/ec-pkcs8.key", BR_KEYTYPE_EC) == 0);
	CHECK(pem_key("tests/k8s/pki/ec384-sec1.key", BR_KEYTYPE_EC) == 0);
	CHECK(pem_key("tests/k8s/pki/rsa.crt", BR_KEYTYPE_RSA) == -1);
	CHECK(strstr(e.msg, "no PRIVATE KEY") != NULL);
	return 0;
}

TEST(pem_trust_bundle)
{
	hm_creds cr;
	size_t len;
	char *b = unit_slurp("tests/k8s/pki/bundle.crt", &len);

	CHECK(b != NULL);
	memset(&cr, 0, sizeof cr);
	CHECK(hm_pem_trust(&cr, b, len, &e) == 0);
	CHECK(cr.tas_num == 2);
	CHECK(cr.tas[0].pkey.key_type == BR_KEYTYPE_RSA);
	CHECK(cr.tas[1].pkey.key_type == BR_KEYTYPE_EC);
	/* Without the final newline, and a chain. */
	CHECK(hm_pem_chain(&cr, b, len - 1, &e) == 0);
	CHECK(cr.chain_len == 2);
	hm_creds_free(&cr);
	memset(&cr, 0, sizeof cr);
	CHECK(hm_pem_trust(&cr, "garbage", 7, &e) < 0);
	CHECK(hm_pem_trust(&cr, b, 100, &e) < 0);
	hm_creds_free(&cr);
	free(b);
	return 0;
}

static char red[128];

static const char *
redact(const char *url)
{
	size_t n = hm_redact_url(url, red, sizeof red);

	return n == strlen(red) ? red : "(bad length)";
}

TEST(redact_url)
{
	CHECK_STR(redact("http://user:p%40ss@proxy:3128"),
	    "http://REDACTED@proxy:3128");
	CHECK_STR(redact("https://u:p@s@h:6443/api?x=@y#@z"),
	    "https://REDACTED@h:6443/api?x=@y#@z");
	CHECK_STR(redact("https://h:6443/a@b"), "https://h:6443/a@b");
	CHECK_STR(redact("https://h?a@b"), "https://h?a@b");
	CHECK_STR(redact("user:pw@proxy:3128"), "REDACTED@proxy:3128");
	CHECK_STR(redact("http://@h"), "http://REDACTED@h");
	CHECK_STR(redact("https://[::1]:6443"), "https://[::1]:6443");
	CHECK_STR(redact("proxy:3128"), "proxy:3128");
	CHECK_STR(redact(""), "");
	/* Truncated as snprintf: the whole length, a terminated prefix. */
	CHECK(hm_redact_url("http://u:p@host", red, 12) == 20);
	CHECK_STR(red, "http://REDA");
	CHECK(hm_redact_url("http://u:p@host", red, 6) == 20);
	CHECK_STR(red, "http:");
	CHECK(hm_redact_url("http://u:p@host", NULL, 0) == 20);
	return 0;
}

TEST(no_proxy_go_rules)
{
	/* Loopback is never proxied, whatever NO_PROXY says. */
	CHECK(hm_no_proxy(NULL, "localhost", "443"));
	CHECK(hm_no_proxy("", "127.0.0.5", "443"));
	CHECK(hm_no_proxy(NULL, "::1", "6443"));
	CHECK(!hm_no_proxy(NULL, "api.example", "443"));
	CHECK(!hm_no_proxy("", "api.example", "443"));
	CHECK(hm_no_proxy("*", "api.example", "443"));
	/* host:port and [v6]:port entries match that port only. */
	CHECK(hm_no_proxy("api.example:443", "api.example", "443"));
	CHECK(!hm_no_proxy("api.example:443", "api.example", "6443"));
	CHECK(hm_no_proxy("x.org,[fd00::1]:6443", "fd00::1", "6443"));
	CHECK(!hm_no_proxy("x.org,[fd00::1]:6443", "fd00::1", "443"));
	CHECK(hm_no_proxy("10.0.0.1:6443", "10.0.0.1", "6443"));
	CHECK(!hm_no_proxy("10.0.0.1:6443", "10.0.0.1", "443"));
	CHECK(hm_no_proxy("example.com:443", "a.example.com", "443"));
	CHECK(!hm_no_proxy("example.com:443", "a.example.com", "80"));
	/* Names: the name and its subdomains; ".name", "*.name": these. */
	CHECK(hm_no_proxy("example.com", "example.com", "443"));
	CHECK(hm_no_proxy("example.com", "api.example.com", "443"));
	CHECK(!hm_no_proxy("example.com", "notexample.com", "443"));
	CHECK(!hm_no_proxy(".example.com", "example.com", "443"));
	CHECK(hm_no_proxy(".example.com", "api.example.com", "443"));
	CHECK(hm_no_proxy("*.example.com", "api.example.com", "443"));
	CHECK(!hm_no_proxy("*.example.com", "example.com", "443"));
	CHECK(hm_no_proxy(" foo.com , API.Example ", "api.example", "443"));
	CHECK(!hm_no_proxy("foo.com api.example", "api.example", "443"));
	/* Addresses and CIDRs. */
	CHECK(hm_no_proxy("10.0.0.0/8", "10.1.2.3", "443"));
	CHECK(!hm_no_proxy("10.0.0.0/8", "11.0.0.1", "443"));
	CHECK(hm_no_proxy("fd00::/8", "fd12::1", "443"));
	CHECK(!hm_no_proxy("fd00::/8", "fe80::1", "443"));
	CHECK(hm_no_proxy("10.96.0.1", "10.96.0.1", "443"));
	CHECK(hm_no_proxy("0:0::fd00:1", "::fd00:1", "443"));
	CHECK(!hm_no_proxy("10.96.0.1", "10.96.0.10", "443"));
	CHECK(!hm_no_proxy(":443,/8,10.0.0.0/33", "10.0.0.1", "443"));
	return 0;
}

TEST(proxy_auth_percent_decoded)
{
	char out[64];

	CHECK(hm_proxy_auth("user:p%40ss", 11, out, sizeof out) == 18);
	CHECK_STR(out, "Basic dXNlcjpwQHNz");
	CHECK(hm_proxy_auth("u%3Ax:p", 7, out, sizeof out) > 0);
	CHECK_STR(out, "Basic dTp4OnA=");
	CHECK(hm_proxy_auth("user:", 5, out, sizeof out) > 0);
	CHECK_STR(out, "Basic dXNlcjo=");
	CHECK(hm_proxy_auth("a:%zz", 5, out, sizeof out) == -1);
	CHECK(hm_proxy_auth("a:%4", 4, out, sizeof out) == -1);
	CHECK(hm_proxy_auth("user:p%40ss", 11, out, 18) == -1);
	return 0;
}

int
main(void)
{
	RUN(head_basic);
	RUN(head_chunked_close);
	RUN(head_http10_and_retry_after);
	RUN(head_errors);
	RUN(chunked_whole_and_bytewise);
	RUN(chunked_trailers_lf_hex);
	RUN(chunked_small_output);
	RUN(chunked_errors);
	RUN(base64);
	RUN(pem_keys);
	RUN(pem_trust_bundle);
	RUN(redact_url);
	RUN(no_proxy_go_rules);
	RUN(proxy_auth_percent_decoded);
	return unit_done();
}
