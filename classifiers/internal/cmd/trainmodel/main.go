// Command trainmodel trains the classifier's embedded model
// (classifiers/model/model.bin) from the corpus split. Run by
// `go generate ./classifiers`; `hotline train` does the same.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/hotline-jp/hotline/classifiers"
)

func main() {
	var opts classifiers.TrainOptions
	flag.StringVar(&opts.TrainPath, "train", "testdata/corpus/train.jsonl", "labelled training data")
	flag.StringVar(&opts.DevPath, "dev", "testdata/corpus/dev.jsonl", "labelled development data")
	flag.StringVar(&opts.OutPath, "out", "classifiers/model/model.bin", "model file to write")
	flag.Int64Var(&opts.Seed, "seed", 1, "seed recorded in the model")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := classifiers.Train(ctx, opts, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "trainmodel:", err)
		os.Exit(1)
	}
}
