/*
 * test_http_net: http_min over real sockets on loopback: what hm_send
 * refuses to put on the wire, the proxy CONNECT request, the server name
 * checks against `openssl s_server` (tests/k8s/mkcerts_san.sh), and
 * signals that end waits (hm_conn.stop).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "unit.h"
#include "http_min.h"

static hm_conn c;
static hm_err e;
static volatile sig_atomic_t stopflag;

/* A connection over one end of a socketpair; *peer gets the other. */
static int
pair_conn(int *peer)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	/* As tcp_connect leaves its sockets. */
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	memset(&c, 0, sizeof c);
	c.fd = sv[0];
	*peer = sv[1];
	return 0;
}

/* Bytes waiting on fd, without blocking (0 if none). */
static long
pending(int fd, char *buf, size_t cap)
{
	ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);

	return n < 0 ? 0 : (long)n;
}

/* Is the message free of control bytes (nothing raw was echoed)? */
static int
clean_msg(const char *m)
{
	for (; *m; m++)
		if ((unsigned char)*m < 0x20 || (unsigned char)*m >= 0x7f)
			return 0;
	return 1;
}

/* hm_send of head[0..len): 0 sent, -1 refused with nothing on the wire. */
static int
send_head(const char *head, size_t len)
{
	int peer, r;
	char buf[512];
	long n;

	if (pair_conn(&peer) < 0)
		return -2;
	memset(&e, 0, sizeof e);
	r = hm_send(&c, head, len, NULL, 0, hm_now_ms() + 2000, &e);
	n = pending(peer, buf, sizeof buf);
	close(peer);
	hm_close(&c);
	if (r == 0)
		return n == (long)len + 2 ? 0 : -3;
	if (n != 0 || e.cat != HM_ECONFIG || !clean_msg(e.msg)
	    || strstr(e.msg, "victim") != NULL)
		return -4;
	return -1;
}

#define SEND(s) send_head(s, sizeof(s) - 1)

TEST(send_good_heads)
{
	CHECK(SEND("GET /api/v1/namespaces/a/pods?x=1%20 HTTP/1.1\r\n"
	    "Host: [::1]:6443\r\nAuthorization: Bearer abc.def\r\n") == 0);
	CHECK(SEND("PATCH /x HTTP/1.1\r\nX-Tab: a\tb\r\nX-Utf8: \xc3\xa9\r\n"
	    "X-Empty:\r\n") == 0);
	CHECK(SEND("GET / HTTP/1.1\r\n") == 0);
	return 0;
}

TEST(send_refuses_bad_request_line)
{
	/* The smuggling of issue 20: a name with CRLF and a second request. */
	CHECK(SEND("DELETE /api/v1/namespaces/ns/configmaps/x HTTP/1.1\r\n"
	    "Host: localhost\r\nContent-Length: 0\r\n\r\nDELETE /api/v1/"
	    "namespaces/victimns/configmaps/victim HTTP/1.1\r\n") == -1);
	CHECK(SEND("GET /a b HTTP/1.1\r\nHost: a\r\n") == -1);
	CHECK(SEND("GET /a\x7f HTTP/1.1\r\nHost: a\r\n") == -1);
	CHECK(SEND("GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n") == -1);
	CHECK(SEND("GET /a\tb HTTP/1.1\r\nHost: a\r\n") == -1);
	CHECK(SEND("GET  /a HTTP/1.1\r\nHost: a\r\n") == -1);
	CHECK(SEND("GET /a HTTP/1.0\r\nHost: a\r\n") == -1);
	CHECK(SEND("GET /a HTTP/1.1 \r\nHost: a\r\n") == -1);
	CHECK(SEND("GET /a HTTP/1.1\nHost: a\r\n") == -1);
	CHECK(SEND("G(T /a HTTP/1.1\r\nHost: a\r\n") == -1);
	CHECK(SEND(" /a HTTP/1.1\r\n") == -1);
	CHECK(SEND("GET  HTTP/1.1\r\n") == -1);
	CHECK(SEND("GET /victim HTTP/1.1") == -1);
	CHECK(SEND("") == -1);
	return 0;
}

TEST(send_refuses_bad_header_lines)
{
	CHECK(SEND("GET /a HTTP/1.1\r\nAuthorization: Bearer t\r\nX: y\r\n"
	    "\r\nGET /victim HTTP/1.1\r\n") == -1);
	CHECK(SEND("GET /a HTTP/1.1\r\nAuthorization: Bearer t\nX-victim: y"
	    "\r\n") == -1);
	CHECK(SEND("GET /a HTTP/1.1\r\nX: a\rb\r\n") == -1);
	CHECK(SEND("GET /a HTTP/1.1\r\nX: a\x01victim\r\n") == -1);
	CHECK(SEND("GET /a HTTP/1.1\r\nX: a\x1b[2Jvictim\r\n") == -1);
	CHECK(SEND("GET /a HTTP/1.1\r\nX: a\x7f\r\n") == -1);
	CHECK(SEND("GET /a HTTP/1.1\r\nX: a\0victim\r\n") == -1);
	CHECK(SEND("GET /a HTTP/1.1\r\nNoColon\r\n") == -1);
	CHECK(SEND("GET /a HTTP/1.1\r\n: empty name\r\n") == -1);
	CHECK(SEND("GET /a HTTP/1.1\r\nBad Name: x\r\n") == -1);
	CHECK(SEND("GET /a HTTP/1.1\r\nBad\x01Name: x\r\n") == -1);
	CHECK(SEND("GET /a HTTP/1.1\r\n folded: x\r\n") == -1);
	CHECK(SEND("GET /a HTTP/1.1\r\nHost: a") == -1);
	CHECK(SEND("GET /a HTTP/1.1\r\nHost: a\r") == -1);
	return 0;
}

/* A listening TCP socket on 127.0.0.1; its port in port[]. */
static int
listener(char *port, size_t cap)
{
	struct sockaddr_in a;
	socklen_t al = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4) < 0
	    || getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
		close(fd);
		return -1;
	}
	snprintf(port, cap, "%u", ntohs(a.sin_port));
	return fd;
}

/*
 * A proxy that takes one connection, compares its request head with
 * want and answers 200; exits 0 if the head was want.
 */
static pid_t
fake_proxy(int lfd, const char *want)
{
	pid_t pid = fork();
	char buf[2048];
	size_t n = 0;
	ssize_t r;
	int fd;

	if (pid != 0)
		return pid;
	fd = accept(lfd, NULL, NULL);
	while (fd >= 0 && n < sizeof buf - 1) {
		r = read(fd, buf + n, sizeof buf - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			break;
	}
	buf[n] = '\0';
	if (fd >= 0)
		(void)!write(fd, "HTTP/1.1 200 OK\r\n\r\n", 19);
	_exit(strcmp(buf, want) == 0 ? 0 : 1);
}

static int
via_proxy(const char *host, const char *auth, const char *want)
{
	hm_target t;
	char port[16];
	int lfd = listener(port, sizeof port), r, st = -1;
	pid_t pid = -1;
	char buf[64];

	if (lfd < 0)
		return -2;
	if (want != NULL)
		pid = fake_proxy(lfd, want);
	memset(&t, 0, sizeof t);
	memset(&c, 0, sizeof c);
	memset(&e, 0, sizeof e);
	t.host = host;
	t.port = "443";
	t.proxy_host = "127.0.0.1";
	t.proxy_port = port;
	t.proxy_auth = auth;
	r = hm_open(&c, &t, hm_now_ms() + 1500, &e);
	hm_close(&c);
	if (pid > 0) {
		waitpid(pid, &st, 0);
		close(lfd);
		return r == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -3;
	}
	/* Refused before a byte (or a connection) reached the proxy. */
	{
		int fd;

		fcntl(lfd, F_SETFL, O_NONBLOCK);
		fd = accept(lfd, NULL, NULL);
		if (fd >= 0) {
			if (pending(fd, buf, sizeof buf) > 0)
				r = -5;
			close(fd);
		}
	}
	close(lfd);
	if (r == 0)
		return -4;
	return r == -1 && e.cat == HM_ECONFIG && clean_msg(e.msg) ? -1 : -6;
}

TEST(connect_request_checked)
{
	CHECK(via_proxy("api.example", "Basic dTpw", "CONNECT api.example:443"
	    " HTTP/1.1\r\nHost: api.example:443\r\nProxy-Authorization: Basic"
	    " dTpw\r\n\r\n") == 0);
	CHECK(via_proxy("::1", NULL, "CONNECT [::1]:443 HTTP/1.1\r\n"
	    "Host: [::1]:443\r\n\r\n") == 0);
	CHECK(via_proxy("api\r\nX-victim: 1", NULL, NULL) == -1);
	CHECK(via_proxy("api example", NULL, NULL) == -1);
	CHECK(via_proxy("api.example", "Basic dTpw\r\nX-victim: 1", NULL)
	    == -1);
	CHECK(via_proxy("api.example", "Basic \x01", NULL) == -1);
	return 0;
}

/* ---- server names, against openssl s_server ---- */

static char pki[64];
static hm_creds cr;

/* Starts `openssl s_server` with NAME.crt/.key; its port in port[]. */
static pid_t
s_server(const char *name, char *port, size_t cap)
{
	char crt[128], key[128], line[256];
	int p[2];
	pid_t pid;
	FILE *f;

	snprintf(crt, sizeof crt, "%s/%s.crt", pki, name);
	snprintf(key, sizeof key, "%s/%s.key", pki, name);
	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execlp("openssl", "openssl", "s_server", "-accept",
		    "127.0.0.1:0", "-cert", crt, "-key", key, "-www",
		    "-tls1_2", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	f = fdopen(p[0], "r");
	port[0] = '\0';
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "ACCEPT 127.0.0.1:", 17) == 0) {
			snprintf(port, cap, "%.*s", (int)strcspn(line + 17,
			    "\r\n"), line + 17);
			break;
		}
	if (f != NULL)
		fclose(f);
	if (port[0] == '\0') {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* hm_open to port with the name or the address checked: 0 or -1. */
static int
tls_open(const char *port, const char *name)
{
	hm_target t;
	int r;

	memset(&t, 0, sizeof t);
	memset(&c, 0, sizeof c);
	memset(&e, 0, sizeof e);
	t.host = "127.0.0.1";
	t.port = port;
	t.tls = 1;
	t.tls_name = name;
	if (name == NULL) {
		t.ip[0] = 127;
		t.ip[3] = 1;
		t.ip_len = 4;
	}
	t.tas = cr.tas;
	t.tas_num = cr.tas_num;
	r = hm_open(&c, &t, hm_now_ms() + 5000, &e);
	hm_close(&c);
	return r;
}

TEST(tls_names)
{
	static const char *names[] = { "cnonly", "dns", "iponly" };
	char port[3][16], cmd[160], *b;
	pid_t pid[3];
	size_t len, i;
	int ok = 1;

	snprintf(pki, sizeof pki, "/tmp/test_http_net.XXXXXX");
	CHECK(mkdtemp(pki) != NULL);
	snprintf(cmd, sizeof cmd, "sh tests/k8s/mkcerts_san.sh %s", pki);
	CHECK(system(cmd) == 0);
	snprintf(cmd, sizeof cmd, "%s/ca.crt", pki);
	b = unit_slurp(cmd, &len);
	CHECK(b != NULL);
	memset(&cr, 0, sizeof cr);
	CHECK(hm_pem_trust(&cr, b, len, &e) == 0);
	free(b);
	for (i = 0; i < 3; i++)
		pid[i] = s_server(names[i], port[i], sizeof port[i]);
	for (i = 0; i < 3; i++)
		ok &= pid[i] > 0;
	/* A DNS name and a CN-only certificate: refused, as Go does. */
	if (ok && (tls_open(port[0], "localhost") != -1 || !e.fatal
	    || strstr(e.msg, "no subjectAltName") == NULL
	    || strstr(e.msg, "legacy Common Name") == NULL))
		ok = 0;
	/* A DNS SAN: accepted. */
	if (ok && tls_open(port[1], "localhost") != 0)
		ok = 0;
	/* An IP SAN only: accepted by address, refused by DNS name. */
	if (ok && tls_open(port[2], NULL) != 0)
		ok = 0;
	if (ok && (tls_open(port[2], "localhost") != -1
	    || strstr(e.msg, "does not match the server name") == NULL))
		ok = 0;
	/* By address, the CN-only and DNS-only ones: the IP-SAN check. */
	if (ok && (tls_open(port[0], NULL) != -1
	    || strstr(e.msg, "does not name this IP address") == NULL))
		ok = 0;
	if (ok && tls_open(port[1], NULL) != -1)
		ok = 0;
	for (i = 0; i < 3; i++)
		if (pid[i] > 0) {
			kill(pid[i], SIGTERM);
			waitpid(pid[i], NULL, 0);
		}
	hm_creds_free(&cr);
	snprintf(cmd, sizeof cmd, "rm -rf %s", pki);
	(void)!system(cmd);
	if (!ok)
		printf("  last error: %s\n", e.msg);
	CHECK(ok);
	return 0;
}

/* ---- signals ---- */

static void
on_alarm(int sig)
{
	(void)sig;
	stopflag = 1;
}

/* Raises stopflag after ms milliseconds (SIGALRM, no SA_RESTART). */
static void
stop_after(int ms)
{
	struct sigaction sa;
	struct itimerval it;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	memset(&it, 0, sizeof it);
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_usec = (ms % 1000) * 1000;
	stopflag = 0;
	setitimer(ITIMER_REAL, &it, NULL);
}

static int
stopped_within(int64_t t0, int64_t ms)
{
	int64_t dt = hm_now_ms() - t0;

	return e.cat == HM_ESTOPPED && strcmp(e.msg, "stopped by a signal")
	    == 0 && dt < ms;
}

TEST(stop_read_head)
{
	hm_head h;
	hm_body b;
	int peer;
	int64_t t0;

	CHECK(pair_conn(&peer) == 0);
	c.stop = &stopflag;
	stop_after(300);
	t0 = hm_now_ms();
	CHECK(hm_read_head(&c, &h, &b, t0 + 10000, &e) == -1);
	CHECK(stopped_within(t0, 1500));
	/* Already set, no deadline at all: within the 250 ms wake-up. */
	t0 = hm_now_ms();
	CHECK(hm_read_head(&c, &h, &b, 0, &e) == -1);
	CHECK(stopped_within(t0, 1000));
	/* Unset: the deadline still decides. */
	stopflag = 0;
	t0 = hm_now_ms();
	CHECK(hm_read_head(&c, &h, &b, t0 + 300, &e) == -1);
	CHECK(e.cat == HM_ETIMEOUT);
	CHECK(hm_now_ms() - t0 >= 290);
	hm_close(&c);
	close(peer);
	return 0;
}

TEST(stop_tls_handshake_and_proxy)
{
	hm_target t;
	char port[16];
	int lfd = listener(port, sizeof port);
	int64_t t0;

	CHECK(lfd >= 0);
	/* The listener never answers: the handshake waits. */
	memset(&t, 0, sizeof t);
	memset(&c, 0, sizeof c);
	t.host = "127.0.0.1";
	t.port = port;
	t.tls = 1;
	t.tls_name = "localhost";
	t.insecure = 1;
	c.stop = &stopflag;
	stop_after(300);
	t0 = hm_now_ms();
	CHECK(hm_open(&c, &t, t0 + 10000, &e) == -1);
	CHECK(stopped_within(t0, 1500));
	/* A proxy that never answers CONNECT. */
	memset(&c, 0, sizeof c);
	c.stop = &stopflag;
	t.tls = 0;
	t.host = "api.example";
	t.port = "443";
	t.proxy_host = "127.0.0.1";
	t.proxy_port = port;
	stop_after(300);
	t0 = hm_now_ms();
	CHECK(hm_open(&c, &t, t0 + 10000, &e) == -1);
	CHECK(stopped_within(t0, 1500));
	close(lfd);
	return 0;
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(send_good_heads);
	RUN(send_refuses_bad_request_line);
	RUN(send_refuses_bad_header_lines);
	RUN(connect_request_checked);
	RUN(tls_names);
	RUN(stop_read_head);
	RUN(stop_tls_handshake_and_proxy);
	return unit_done();
}
