/*
 * test_k8s_config: kubeconfig loading: the corpus of other projects'
 * kubeconfigs (each loads or fails with a precise reason), KUBECONFIG
 * merging, overrides, server URL forms, users, proxies.
 */
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"
#include "k8s_min.h"

#define CORPUS "../shared/corpus/kubeconfig"

static k8s_config cfg;
static k8s_err e;
static char dir[] = "/tmp/k8s-config-test.XXXXXX";

/* Loads a corpus file; returns "OK" or the error message. */
static const char *
corpus(const char *name)
{
	static char msg[600];
	char path[512];
	size_t len;
	char *b;
	k8s_opts o = { 0 };
	int r;

	snprintf(path, sizeof path, "%s/%s", CORPUS, name);
	b = unit_slurp(path, &len);
	if (b == NULL)
		return "MISSING";
	r = k8s_config_parse(&cfg, b, len, CORPUS, &o, &e);
	free(b);
	if (r == 0) {
		k8s_config_free(&cfg);
		return "OK";
	}
	snprintf(msg, sizeof msg, "%s", e.msg);
	if (e.cat != K8S_ECONFIG)
		return "WRONG ERROR CATEGORY";
	return msg;
}

#define EXPECT(file, sub) do { const char *m_ = corpus(file); \
	if (strstr(m_, sub) == NULL) { snprintf(unit_why, sizeof unit_why, \
	"%s: got \"%s\", expected \"%s\"", file, m_, sub); return 1; } } while (0)

TEST(corpus_all)
{
	EXPECT("csharp-kubeconfig-as-user-extra.yml",
	    "cannot read certificate-authority " CORPUS "/assets/ca.crt");
	EXPECT("csharp-kubeconfig-cluster-extensions.yml", "OK");
	EXPECT("csharp-kubeconfig-multi-cluster-token-certdata-skiptls.yml",
	    "assets/ca.crt: No such file");
	EXPECT("csharp-kubeconfig-preferences-extensions.yml",
	    "no current-context");
	EXPECT("csharp-kubeconfig-user-oidc-authprovider.yml",
	    "assets/ca.crt");
	EXPECT("csharp-kubeconfig-user-pass.yml", "assets/ca.crt");
	EXPECT("fabric8-kubeconfig-ec-certdata.yaml", "testns/ca.pem");
	EXPECT("fabric8-kubeconfig-exec-args-with-spaces-windows.yaml", "OK");
	EXPECT("fabric8-kubeconfig-exec-cert-auth.yaml", "OK");
	EXPECT("fabric8-kubeconfig-exec.yaml", "OK");
	EXPECT("fabric8-kubeconfig-main-test.yaml", "testns/ca.pem");
	EXPECT("fabric8-kubeconfig-oidc.yaml", "testns/ca.pem");
	EXPECT("fabric8-kubeconfig-scattered.yaml",
	    "context \"scattered-context\" not found");
	EXPECT("java-kubeconfig-http-skiptls.yaml", "OK");
	EXPECT("java-kubeconfig-https-x509-certdata.yaml", "OK");
	EXPECT("java-kubeconfig-tls-server-name-token.yaml", "OK");
	EXPECT("java-kubeconfig-utf8-name.yaml", "OK");
	EXPECT("js-kubeconfig-empty-user.yaml",
	    "certificate-authority-data: no CERTIFICATE");
	EXPECT("js-kubeconfig-multi-context-certdata.yaml",
	    "certificate-authority-data: no CERTIFICATE");
	EXPECT("js-kubeconfig-proxy-url.yaml",
	    "certificate-authority-data: no CERTIFICATE");
	EXPECT("k9s-client-testdata-config-certdata-skiptls.yaml",
	    "client-certificate-data: no CERTIFICATE");
	EXPECT("k9s-config-testdata-kubes-test.yaml", "/Users/test/ca.crt");
	EXPECT("kubernetes-client-c-auth-provider-sample.yaml",
	    "auth-provider \"oidc\" is not supported");
	EXPECT("kubernetes-client-c-exec-provider-sample.yaml",
	    "cluster \"kubernetes\" has no server");
	return 0;
}

TEST(corpus_details)
{
	size_t len;
	char *b = unit_slurp(CORPUS "/java-kubeconfig-tls-server-name-token.yaml",
	    &len);
	k8s_opts o = { 0 };

	CHECK(b != NULL);
	CHECK(k8s_config_parse(&cfg, b, len, CORPUS, &o, &e) == 0);
	CHECK_STR(cfg.tls_name, "my-cluster.example.com");
	CHECK(cfg.auth == 1);
	CHECK(cfg.target.ip_len == 0); /* the name is checked, not the IP */
	CHECK(cfg.warning[0] == '\0');
	k8s_config_free(&cfg);
	free(b);
	b = unit_slurp(CORPUS "/java-kubeconfig-http-skiptls.yaml", &len);
	o.namespace = "override";
	CHECK(k8s_config_parse(&cfg, b, len, CORPUS, &o, &e) == 0);
	CHECK_STR(cfg.namespace, "override");
	CHECK(strstr(cfg.warning, "NOT verified") != NULL);
	k8s_config_free(&cfg);
	free(b);
	return 0;
}

static const char *
put(const char *name, const char *text)
{
	static char path[600];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* Parses text as a kubeconfig; 0 or -1. */
static int
parse(const char *text, const char *ns, const char *ctx)
{
	k8s_opts o = { 0 };

	o.namespace = ns;
	o.context = ctx;
	return k8s_config_parse(&cfg, text, strlen(text), dir, &o, &e);
}

#define KC(server, extra_cluster, user) \
	"apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts:\n" \
	"- name: a\n  context: {cluster: c, user: u, namespace: nsa}\n" \
	"- name: b\n  context: {cluster: c, user: u}\n" \
	"clusters:\n- name: c\n  cluster:\n    server: " server "\n" \
	"    certificate-authority: ca.crt\n" extra_cluster \
	"users:\n- name: u\n  user:\n" user

TEST(servers)
{
	CHECK(parse(KC("https://[::1]:6443", "", "    token: t\n"), 0, 0)
	    == 0);
	CHECK_STR(cfg.host, "::1");
	CHECK_STR(cfg.port, "6443");
	CHECK(cfg.target.ip_len == 16);
	CHECK(cfg.target.tls_name == NULL);
	CHECK_STR(cfg.namespace, "nsa");
	k8s_config_free(&cfg);
	CHECK(parse(KC("https://10.0.0.1", "", "    token: t\n"), 0, "b")
	    == 0);
	CHECK_STR(cfg.port, "443");
	CHECK(cfg.target.ip_len == 4);
	CHECK(cfg.ip[0] == 10 && cfg.ip[3] == 1);
	CHECK_STR(cfg.namespace, "default");
	CHECK_STR(cfg.context, "b");
	k8s_config_free(&cfg);
	CHECK(parse(KC("https://api.example.com:8443/k8s/clusters/c-1/", "",
	    "    token: t\n"), "x", 0) == 0);
	CHECK_STR(cfg.host, "api.example.com");
	CHECK_STR(cfg.tls_name, "api.example.com");
	CHECK_STR(cfg.prefix, "/k8s/clusters/c-1");
	CHECK_STR(cfg.namespace, "x");
	k8s_config_free(&cfg);
	CHECK(parse(KC("https://[::1", "", ""), 0, 0) < 0);
	CHECK(strstr(e.msg, "unclosed") != NULL);
	CHECK(parse(KC("https://h:99999", "", ""), 0, 0) < 0);
	CHECK(strstr(e.msg, "bad port") != NULL);
	CHECK(parse(KC("ftp://h", "", ""), 0, 0) < 0);
	CHECK(strstr(e.msg, "unsupported scheme") != NULL);
	CHECK(parse(KC("https://h", "", ""), 0, "nope") < 0);
	CHECK(strstr(e.msg, "context \"nope\" not found") != NULL);
	return 0;
}

TEST(users)
{
	char text[8192], b64[4096];
	size_t len;
	char *pem;

	CHECK(parse(KC("https://h", "", "    tokenFile: tok\n"), 0, 0) == 0);
	CHECK(cfg.auth == 2);
	CHECK(strstr(cfg.token_file, "/tok") != NULL);
	k8s_config_free(&cfg);
	CHECK(parse(KC("https://h", "", "    username: admin\n"
	    "    password: secret\n"), 0, 0) == 0);
	CHECK(cfg.auth == 3);
	CHECK_STR(cfg.basic, "Basic YWRtaW46c2VjcmV0");
	k8s_config_free(&cfg);
	CHECK(parse(KC("https://h", "", "    exec:\n      command: x\n"
	    "      apiVersion: client.authentication.k8s.io/v1alpha1\n"), 0,
	    0) < 0);
	CHECK(strstr(e.msg, "v1alpha1 is not supported") != NULL);
	CHECK(parse(KC("https://h", "", "    exec:\n      command: x\n"
	    "      apiVersion: client.authentication.k8s.io/v1\n"
	    "      interactiveMode: Always\n"), 0, 0) < 0);
	CHECK(strstr(e.msg, "needs a terminal") != NULL);
	CHECK(parse(KC("https://h", "", "    exec:\n      command: x\n"
	    "      apiVersion: client.authentication.k8s.io/v1\n"
	    "      interactiveMode: IfAvailable\n"), 0, 0) == 0);
	CHECK(cfg.auth == 4);
	k8s_config_free(&cfg);
	CHECK(parse(KC("https://h", "", "    client-key: " "nokey\n"), 0, 0)
	    < 0);
	CHECK(strstr(e.msg, "cannot read client-key") != NULL);
	/* client-certificate-data + client-key-data, EC in PKCS#8 */
	pem = unit_slurp("tests/k8s/pki/ec.crt", &len);
	hm_b64_encode(pem, len, b64);
	free(pem);
	snprintf(text, sizeof text, KC("https://h", "", "%s%s%s"),
	    "    client-certificate-data: ", b64, "\n");
	pem = unit_slurp("tests/k8s/pki/ec-pkcs8.key", &len);
	hm_b64_encode(pem, len, b64);
	free(pem);
	strcat(text, "    client-key-data: ");
	strcat(text, b64);
	strcat(text, "\n");
	CHECK(parse(text, 0, 0) == 0);
	CHECK(cfg.creds.chain_len == 1);
	CHECK(cfg.creds.key_type == BR_KEYTYPE_EC);
	CHECK(cfg.target.ec != NULL);
	k8s_config_free(&cfg);
	/* a certificate without its key */
	text[strlen(text) - strlen(b64) - 22] = '\0';
	CHECK(parse(text, 0, 0) < 0);
	CHECK(strstr(e.msg, "without a client key") != NULL);
	return 0;
}

TEST(insecure_and_proxy)
{
	CHECK(parse(KC("https://h", "    insecure-skip-tls-verify: true\n"
	    "    proxy-url: http://user:pw@proxy.local:3128\n", ""), 0, 0)
	    == 0);
	CHECK(cfg.target.insecure);
	CHECK(strstr(cfg.warning, "NOT verified") != NULL);
	CHECK_STR(cfg.proxy_host, "proxy.local");
	CHECK_STR(cfg.proxy_port, "3128");
	CHECK_STR(cfg.proxy_auth, "Basic dXNlcjpwdw==");
	k8s_config_free(&cfg);
	CHECK(parse(KC("https://h", "    proxy-url: socks5://p:1080\n", ""),
	    0, 0) < 0);
	CHECK(strstr(e.msg, "socks") != NULL);
	setenv("HTTPS_PROXY", "http://envproxy:8080", 1);
	setenv("NO_PROXY", ".internal,10.0.0.0/8", 1);
	CHECK(parse(KC("https://api.example.com", "", ""), 0, 0) == 0);
	CHECK_STR(cfg.proxy_host, "envproxy");
	k8s_config_free(&cfg);
	CHECK(parse(KC("https://api.internal", "", ""), 0, 0) == 0);
	CHECK_STR(cfg.proxy_host, "");
	k8s_config_free(&cfg);
	CHECK(parse(KC("https://10.1.2.3", "", ""), 0, 0) == 0);
	CHECK_STR(cfg.proxy_host, "");
	k8s_config_free(&cfg);
	CHECK(parse(KC("https://127.0.0.1", "", ""), 0, 0) == 0);
	CHECK_STR(cfg.proxy_host, ""); /* loopback is never proxied */
	k8s_config_free(&cfg);
	unsetenv("HTTPS_PROXY");
	unsetenv("NO_PROXY");
	return 0;
}

TEST(kubeconfig_merge)
{
	char list[2048];
	const char *p;
	k8s_opts o = { 0 };

	/* The first file to set a value wins; missing files are skipped. */
	p = put("one", "current-context: a\ncontexts:\n- name: a\n  context:"
	    " {cluster: c, user: u, namespace: first}\nusers:\n- name: u\n"
	    "  user: {token: first-token}\n");
	snprintf(list, sizeof list, "%s:%s/missing:", p, dir);
	p = put("two", "current-context: b\ncontexts:\n- name: a\n  context:"
	    " {cluster: c, user: u, namespace: second}\nclusters:\n- name: c\n"
	    "  cluster: {server: 'https://h:1', certificate-authority: "
	    "ca.crt}\nusers:\n- name: u\n  user: {token: second-token}\n");
	strcat(list, p);
	setenv("KUBECONFIG", list, 1);
	CHECK(k8s_config_load(&cfg, &o, &e) == 0);
	CHECK_STR(cfg.namespace, "first");
	CHECK_STR(cfg.token, "first-token");
	CHECK_STR(cfg.port, "1");
	k8s_config_free(&cfg);
	/* --kubeconfig wins over KUBECONFIG. */
	o.kubeconfig = p;
	CHECK(k8s_config_load(&cfg, &o, &e) < 0);
	CHECK(strstr(e.msg, "context \"b\" not found") != NULL);
	o.kubeconfig = "/nonexistent/kc";
	CHECK(k8s_config_load(&cfg, &o, &e) < 0);
	CHECK(strstr(e.msg, "cannot read kubeconfig /nonexistent/kc") != NULL);
	CHECK(e.cat == K8S_ECONFIG);
	unsetenv("KUBECONFIG");
	/* YAML errors carry a position. */
	CHECK(parse("clusters: [\n", 0, 0) < 0);
	CHECK(strstr(e.msg, "kubeconfig:1:") != NULL
	    || strstr(e.msg, "kubeconfig:2:") != NULL);
	return 0;
}

TEST(status_messages)
{
	cJSON *st = cJSON_Parse("{\"kind\":\"Status\",\"status\":\"Failure\","
	    "\"message\":\"jobs.batch \\\"x\\\" not found\",\"reason\":"
	    "\"NotFound\",\"code\":404}");
	k8s_err er;

	k8s_status_err(&er, 404, st);
	CHECK(er.cat == K8S_EAPI);
	CHECK(er.http == 404);
	CHECK_STR(er.reason, "NotFound");
	CHECK_STR(er.msg, "NotFound: jobs.batch \"x\" not found");
	CHECK(er.cat == K8S_EAPI);
	cJSON_Delete(st);
	k8s_status_err(&er, 401, NULL);
	CHECK(er.cat == K8S_ECONNECT);
	CHECK(er.cat == K8S_ECONNECT);
	CHECK(strstr(er.msg, "Unauthorized") != NULL);
	k8s_status_err(&er, 503, NULL);
	CHECK_STR(er.reason, "InternalError");
	return 0;
}

/* No byte of a server's text that a terminal would act on. */
static int
has_controls(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	for (; *u; u++)
		if (*u < 0x20 || *u == 0x7f || (u[0] == 0xc2 && u[1] >= 0x80
		    && u[1] <= 0x9f))
			return 1;
	return 0;
}

TEST(status_control_chars)
{
	cJSON *st = cJSON_Parse("{\"kind\":\"Status\",\"message\":\"\\u001b]0;"
	    "owned\\u0007bad\\u001b[2J\\r\\nnews: caf\\u00e9 \\u009b31m\\u007f"
	    "end\",\"reason\":\"Bad\\u001b[31mReason\",\"code\":500}");
	k8s_err er;

	CHECK(st != NULL);
	k8s_status_err(&er, 500, st);
	CHECK(!has_controls(er.msg));
	CHECK(!has_controls(er.reason));
	CHECK(strstr(er.msg, "caf\xc3\xa9") != NULL); /* UTF-8 stays */
	CHECK(strstr(er.msg, "bad") != NULL && strstr(er.msg, "end") != NULL);
	CHECK(strstr(er.reason, "Bad") == er.reason);
	cJSON_Delete(st);
	return 0;
}

TEST(urls_redacted)
{
	/* user:password@ never reaches a message. */
	CHECK(parse(KC("https://admin:s3cret@h:6443", "", ""), 0, 0) < 0);
	CHECK(strstr(e.msg, "s3cret") == NULL);
	CHECK(strstr(e.msg, "user information") != NULL);
	CHECK(parse(KC("https://admin:s3cret@h:99999", "", ""), 0, 0) < 0);
	CHECK(strstr(e.msg, "s3cret") == NULL);
	CHECK(parse(KC("https://h", "    proxy-url: http://u:pw-s3cret@p:"
	    "99999999\n", ""), 0, 0) < 0);
	CHECK(strstr(e.msg, "bad port") != NULL);
	CHECK(strstr(e.msg, "s3cret") == NULL);
	CHECK(strstr(e.msg, "REDACTED@p") != NULL);
	CHECK(parse(KC("https://h", "    proxy-url: socks5://u:s3cret@p:1\n",
	    ""), 0, 0) < 0);
	CHECK(strstr(e.msg, "s3cret") == NULL);
	setenv("HTTPS_PROXY", "https://u:s3cret@envproxy:8080", 1);
	CHECK(parse(KC("https://api.example.com", "", ""), 0, 0) < 0);
	CHECK(strstr(e.msg, "https proxies") != NULL);
	CHECK(strstr(e.msg, "s3cret") == NULL);
	unsetenv("HTTPS_PROXY");
	/* The warning names the server, which has no credentials. */
	CHECK(parse(KC("http://h:8080/x@y", "", ""), 0, 0) == 0);
	CHECK(strstr(cfg.warning, "http://h:8080/x@y") != NULL);
	k8s_config_free(&cfg);
	return 0;
}

TEST(paths)
{
	k8s_res r;
	char buf[256];

	snprintf(r.base, sizeof r.base, "/apis/batch/v1");
	snprintf(r.plural, sizeof r.plural, "jobs");
	r.namespaced = 1;
	CHECK(k8s_path(&r, "ns", "j", buf, sizeof buf) == 0);
	CHECK_STR(buf, "/apis/batch/v1/namespaces/ns/jobs/j");
	CHECK(k8s_path(&r, NULL, NULL, buf, sizeof buf) == 0);
	CHECK_STR(buf, "/apis/batch/v1/jobs");
	r.namespaced = 0;
	CHECK(k8s_path(&r, "ns", "j", buf, sizeof buf) == 0);
	CHECK_STR(buf, "/apis/batch/v1/jobs/j");
	CHECK(k8s_path(&r, "ns", "j", buf, 10) < 0);
	return 0;
}

int
main(void)
{
	char ca[600];
	FILE *in, *out;
	size_t n;

	setenv("SSL_CERT_FILE", "tests/k8s/pki/bundle.crt", 1);
	unsetenv("HTTPS_PROXY");
	unsetenv("https_proxy");
	unsetenv("NO_PROXY");
	unsetenv("no_proxy");
	if (mkdtemp(dir) == NULL)
		return 1;
	/* ca.crt for the synthetic kubeconfigs */
	snprintf(ca, sizeof ca, "%s/ca.crt", dir);
	in = fopen("tests/k8s/pki/bundle.crt", "rb");
	out = fopen(ca, "wb");
	if (in && out) {
		char buf[4096];
		while ((n = fread(buf, 1, sizeof buf, in)) > 0)
			fwrite(buf, 1, n, out);
	}
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	RUN(corpus_all);
	RUN(corpus_details);
	RUN(servers);
	RUN(users);
	RUN(insecure_and_proxy);
	RUN(kubeconfig_merge);
	RUN(status_messages);
	RUN(status_control_chars);
	RUN(urls_redacted);
	RUN(paths);
	{
		char cmd[700];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return unit_done();
}
