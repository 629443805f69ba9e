package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/hotline-jp/hotline/classifiers"
)

func runTrain(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("train", stderr)
	opts := classifiers.TrainOptions{}
	fs.StringVar(&opts.TrainPath, "train", "testdata/corpus/train.jsonl", "labelled training data (JSON Lines)")
	fs.StringVar(&opts.DevPath, "dev", "testdata/corpus/dev.jsonl", "labelled development data, for calibration")
	fs.StringVar(&opts.OutPath, "out", "classifiers/model/model.bin", "where to write the model")
	fs.Int64Var(&opts.Seed, "seed", 1, "random seed (same data and seed give the same model)")
	fs.StringVar(&opts.OOFErrorsPath, "oof-errors", "", "write the items the cross-validation got wrong to this JSON Lines file")
	fs.Float64Var(&opts.Respell, "respell", classifiers.DefaultRespell, "share of the items given a copy respelt in kana for training (0: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if opts.Respell < 0 || opts.Respell > 1 {
		return usageError(fmt.Sprintf("--respell %g: want a share between 0 and 1", opts.Respell))
	}
	if opts.Respell == 0 {
		opts.Respell = -1 // TrainOptions: 0 is the default, negative none
	}
	return classifiers.Train(ctx, opts, stdout)
}

func runEval(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("eval", stderr)
	data := fs.String("data", "testdata/corpus/test.jsonl", "labelled JSON Lines with a \"category\" per line")
	model := fs.String("model", "", "classifier model file (default: the embedded model)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cls, err := classifiers.New(classifiers.Options{ModelPath: *model})
	if err != nil {
		return fmt.Errorf("load classifier: %w", err)
	}
	f, err := os.Open(*data)
	if err != nil {
		return fmt.Errorf("open evaluation data: %w", err)
	}
	defer f.Close()
	rep, err := classifiers.Evaluate(cls, f)
	if err != nil {
		return fmt.Errorf("evaluate %s: %w", *data, err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.WriteText(stdout)
}
