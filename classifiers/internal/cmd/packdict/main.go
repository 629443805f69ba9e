// Command packdict writes the IPA dictionary the classifier runs on
// (without contents) as a dictionary pack, classifiers/model/ipa.dictpack,
// which loads in tens of milliseconds instead of most of a second. Run by
// `go generate ./classifiers`.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hotline-jp/hotline/classifiers/internal/dictpack"
	"github.com/ikawaha/kagome-dict/ipa"
)

func main() {
	out := flag.String("out", "classifiers/model/ipa.dictpack", "pack file to write")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "packdict:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	b, err := dictpack.Encode(ipa.DictShrink())
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".packdict-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "packdict: wrote %s (%d bytes)\n", out, len(b))
	return nil
}
