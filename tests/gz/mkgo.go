// tests/gz/mkgo.go SHARED OUTDIR: gzip files written by Go's compress/gzip,
// the writer Helm uses for its release records (gzip.BestCompression), for
// tests/suite_gz.sh.  A release record like Helm's (JSON of a release with
// its manifest and chart templates, as base64 of gzip, and that base64
// again as a Secret's data shows it in the API) and a few corpus files.
// Each NAME.gz is listed in OUTDIR/SOURCES with what it decodes to.
// Offline, standard library only: go run tests/gz/mkgo.go ../shared tests/gz
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

var shared, out string
var sources []string

func gz(level int, name, comment string, extra []byte, parts ...[]byte) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		w, err := gzip.NewWriterLevel(&b, level)
		if err != nil {
			panic(err)
		}
		w.Name, w.Comment, w.Extra = name, comment, extra
		w.Write(p)
		w.Close()
	}
	return b.Bytes()
}

func write(name string, data []byte, from ...string) {
	if err := os.WriteFile(filepath.Join(out, name), data, 0644); err != nil {
		panic(err)
	}
	line := name
	for _, f := range from {
		line += " " + f
	}
	sources = append(sources, line)
}

func corpus(p string) []byte {
	b, err := os.ReadFile(filepath.Join(shared, "corpus", p))
	if err != nil {
		panic(err)
	}
	return b
}

// The fields of Helm's release.Release that a record carries.
type file struct {
	Name string `json:"name"`
	Data []byte `json:"data"`
}
type release struct {
	Name  string `json:"name"`
	Info  struct {
		Status      string `json:"status"`
		Description string `json:"description"`
	} `json:"info"`
	Chart struct {
		Metadata  map[string]string `json:"metadata"`
		Templates []file            `json:"templates"`
		Values    map[string]any    `json:"values"`
	} `json:"chart"`
	Manifest  string `json:"manifest"`
	Version   int    `json:"version"`
	Namespace string `json:"namespace"`
}

func main() {
	shared, out = os.Args[1], os.Args[2]
	hook := "rendered/k2s-kube-prometheus-stack-47.1.0-job-createSecret-hook.yaml"
	redis := "rendered/argocd-redis-ha-chart-upstream.yaml"
	kc := "kubeconfig/java-kubeconfig-https-x509-certdata.yaml"

	var r release
	r.Name, r.Version, r.Namespace = "demo", 3, "default"
	r.Info.Status, r.Info.Description = "superseded", "Upgrade complete"
	r.Chart.Metadata = map[string]string{"name": "demo", "version": "0.1.0"}
	r.Chart.Templates = []file{{"templates/hook.yaml", corpus(hook)}}
	r.Chart.Values = map[string]any{"replicas": 2, "image": "nginx:1.25"}
	r.Manifest = string(corpus(hook)) + string(corpus(kc))
	js, err := json.Marshal(&r)
	if err != nil {
		panic(err)
	}
	rec := gz(gzip.BestCompression, "", "", nil, js)
	write("go-release.gz", rec, "-")
	b64 := base64.StdEncoding.EncodeToString(rec)
	write("go-release-secret.b64", []byte(base64.StdEncoding.EncodeToString([]byte(b64))), "-")
	write("go-hook-best.gz", gz(gzip.BestCompression, "", "", nil, corpus(hook)), hook)
	write("go-kubeconfig-best.gz", gz(gzip.BestCompression, "", "", nil, corpus(kc)), kc)
	write("go-redis-best.gz", gz(gzip.BestCompression, "", "", nil, corpus(redis)), redis)
	write("go-kubeconfig-speed.gz", gz(gzip.BestSpeed, "", "", nil, corpus(kc)), kc)
	write("go-hook-huffman.gz", gz(gzip.HuffmanOnly, "", "", nil, corpus(hook)), hook)
	write("go-hook-default-header.gz", gz(gzip.DefaultCompression, "hook.yaml", "made by Go",
		[]byte("AP\x02\x00hi"), corpus(hook)), hook)
	write("go-multi.gz", gz(gzip.BestCompression, "", "", nil, corpus(hook), corpus(kc)), hook, kc)
	f, err := os.OpenFile(filepath.Join(out, "SOURCES"), os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0644)
	if err != nil {
		panic(err)
	}
	for _, s := range sources {
		fmt.Fprintln(f, s)
	}
	f.Close()
}
