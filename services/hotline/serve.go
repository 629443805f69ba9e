package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"

	"github.com/hotline-jp/hotline/classifiers"
	"github.com/hotline-jp/hotline/pkg/logging"
	"github.com/hotline-jp/hotline/pkg/node"
)

func runServe(ctx context.Context, args []string, _ io.Reader, _, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "HTTP listen address")
	data := fs.String("data", "./data", "data directory (created on first start)")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	format := fs.String("log-format", "json", "log format: json or console")
	model := fs.String("model", "", "classifier model file (default: the embedded model)")
	insecure := fs.Bool("insecure-cookies", false, "send session cookies without Secure, for plain http on a host other than localhost (never in production)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("serve takes no arguments, got %q", fs.Args()))
	}
	log, err := logging.New(*level, *format)
	if err != nil {
		return usageError(err.Error())
	}
	defer log.Sync()

	start := time.Now()
	cls, err := classifiers.New(classifiers.Options{ModelPath: *model})
	if err != nil {
		return fmt.Errorf("load classifier: %w", err)
	}
	log.Info("classifier loaded", zap.String("version", cls.Version()), zap.Duration("took", time.Since(start)))

	n, err := node.StartEmbedded(ctx, node.Config{Addr: *addr, DataDir: *data, Classifier: cls, Logger: log,
		Staff: node.StaffOptions{InsecureCookies: *insecure}})
	if err != nil {
		return err
	}
	return runUntilDone(ctx, log, n)
}
