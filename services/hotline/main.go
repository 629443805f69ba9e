// Command hotline runs the hotline: the whole pipeline in one process
// (serve), one stage of distributed mode, or the classifier's tools.
//
//	hotline serve [--addr 127.0.0.1:8080] [--data ./data]
//	hotline classify < in.jsonl > out.jsonl
//	hotline train | eval
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand: its flags are registered on fs, run does it.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"report":     {"deletion-request statistics of a month or year (table, csv, json)", runReport},
		"demo":       {"fill a data directory with a demonstration dataset", runDemo},
		"serve":      {"run the whole pipeline in one process (embedded mode)", runServe},
		"classify":   {"classify JSON Lines {\"id\",\"text\"} from stdin to stdout", runClassify},
		"train":      {"train the classifier's model from the labelled corpus", runTrain},
		"eval":       {"evaluate the classifier on a labelled JSON Lines file", runEval},
		"intake":     {"run the intake stage of distributed mode (reports to Kafka)", runIntake},
		"classifier": {"run the classifier stage of distributed mode (Kafka to Kafka)", runClassifierStage},
		"tracker":    {"run the tracker stage of distributed mode (Kafka to the case store, staff API)", runTracker},
		"probe":      {"GET a URL, succeed on 2xx (the containers' health check)", runProbe},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "hotline:", err)
		}
		os.Exit(exitCode(err))
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return usageError("no command given")
		}
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		usage(stderr, cmds)
		return usageError(fmt.Sprintf("unknown command %q", args[0]))
	}
	return c.run(ctx, args[1:], stdin, stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("usage: hotline <command> [flags]\n\ncommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-10s %s\n", n, cmds[n].summary)
	}
	b.WriteString("\nRun 'hotline <command> -h' for a command's flags.\n")
	io.WriteString(w, b.String())
}

type usageError string

func (e usageError) Error() string { return string(e) }

func exitCode(err error) int {
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

// newFlags returns a flag set for a subcommand that reports errors instead
// of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("hotline "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
