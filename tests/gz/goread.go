// tests/gz/goread.go GZ ORIGINAL...: Go's compress/gzip reader, the one
// Helm reads its release records with, on gz_deflate's output: each GZ
// must decode to its ORIGINAL.  Prints a PASS or FAIL line for each pair.
// Offline, standard library only: go run tests/gz/goread.go a.gz a ...
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
)

func check(gz, orig string) error {
	f, err := os.Open(gz)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	got, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	want, err := os.ReadFile(orig)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%d bytes decoded, %d expected, not the same", len(got), len(want))
	}
	return nil
}

func main() {
	bad := 0
	for i := 1; i+1 < len(os.Args); i += 2 {
		if err := check(os.Args[i], os.Args[i+1]); err != nil {
			fmt.Printf("FAIL gz: Go's gzip reader on %s: %v\n", os.Args[i+1], err)
			bad++
		} else {
			fmt.Printf("PASS gz: Go's gzip reader on %s\n", os.Args[i+1])
		}
	}
	if bad > 0 {
		os.Exit(1)
	}
}
