// Command jixiao scores the performance of public spending projects
// against a rule set and checks the rule files that a finance bureau
// writes.
//
// Usage:
//
//	jixiao score [--rules ID|FILE|DIR] [--format table|json|csv] [--workers N] FILE...
//	jixiao rules check FILE|DIR|ID...
//	jixiao rules test FILE|DIR|ID...
//	jixiao rules show [--yaml] ID|FILE
//	jixiao serve [--addr :8080] [--db jixiao.db] [--rules-dir DIR] [--demo] [--auth on|off]
//	jixiao keys create --role viewer|scorer|reviewer|admin [--department CODE] [--name NAME] [--db jixiao.db]
//	jixiao users create|reset-password --name NAME [--role viewer|scorer|reviewer|admin] [--department CODE] [--db jixiao.db]
//	jixiao template [-o FILE]
//	jixiao import [--db jixiao.db] [--partial] [--marked OUT.xlsx] FILE
//	jixiao export form|summary [flags]
//	jixiao help [VERB]
//
// Exit status: 0 when everything was scored or checked, 1 when some
// projects were rejected or some rule tests failed, 2 for bad usage,
// unreadable or malformed input, or a rule file with errors.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit statuses.
const (
	exitOK       = 0 // everything scored, checked or passed
	exitRejected = 1 // some projects rejected, or some rule tests failed
	exitUsage    = 2 // bad usage, unreadable or malformed input, rule-file errors
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl+C ends the process without waiting
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// streams are what a verb reads from and writes to, with the logger for
// its diagnostics. Everything a verb needs arrives through it, so that
// tests can run the command in-process.
type streams struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

// verb is one subcommand of jixiao.
type verb struct {
	name    string
	summary string // one line for the usage listing
	run     func(ctx context.Context, s *streams, args []string) int
}

// verbs is the table of subcommands, in the order the usage lists them.
// A new verb is one more entry here and a function in its own file.
func verbs() []verb {
	return []verb{
		{"score", "score projects against a rule set and print a table, JSON or CSV", runScore},
		{"rules", "check, test or show rule files (rules check|test|show)", runRules},
		{"serve", "run the HTTP service with its database and watched rule files", runServe},
		{"keys", "create an API key (keys create --role viewer|scorer|reviewer|admin)", runKeys},
		{"users", "create a user who logs in with a password, or reset one's password (users create|reset-password)", runUsers},
		{"template", "write the Excel import template", runTemplate},
		{"import", "import projects from an .xlsx workbook, CSV or JSON file into the database", runImport},
		{"export", "write a project's 自评表 or a summary workbook from the database", runExport},
		{"help", "show this help, or the help of one verb", runHelp},
	}
}

func findVerb(name string) (verb, bool) {
	for _, v := range verbs() {
		if v.name == name {
			return v, true
		}
	}
	return verb{}, false
}

// run is the whole command: it parses args (without the program name)
// and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := &streams{stdin: stdin, stdout: stdout, stderr: stderr, log: newLogger(stderr)}
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	}
	v, ok := findVerb(args[0])
	if !ok {
		fmt.Fprintf(stderr, "jixiao: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return v.run(ctx, s, args[1:])
}

// newLogger writes diagnostics as key=value lines without timestamps:
// the command's messages are read by people and compared in tests.
func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "jixiao scores the performance of project expenditure (项目支出绩效评价).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w, "  jixiao VERB [flags] [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Verbs:")
	list := verbs()
	width := 0
	for _, v := range list {
		width = max(width, len(v.name))
	}
	for _, v := range list {
		fmt.Fprintf(w, "  %-*s  %s\n", width, v.name, v.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run \"jixiao help VERB\" for the flags and arguments of one verb.")
	fmt.Fprintln(w, "Exit status: 0 all scored or passed, 1 some projects rejected or tests failed,")
	fmt.Fprintln(w, "2 bad usage, unreadable or malformed input, or errors in a rule file.")
}

func runHelp(ctx context.Context, s *streams, args []string) int {
	switch len(args) {
	case 0:
		usage(s.stdout)
		return exitOK
	case 1:
		if args[0] == "help" {
			usage(s.stdout)
			return exitOK
		}
		v, ok := findVerb(args[0])
		if !ok {
			fmt.Fprintf(s.stderr, "jixiao help: unknown command %q\n\n", args[0])
			usage(s.stderr)
			return exitUsage
		}
		// A verb prints its help on stderr when asked with -h; here the
		// help is the output.
		hs := *s
		hs.stderr = s.stdout
		v.run(ctx, &hs, []string{"-h"})
		return exitOK
	}
	fmt.Fprintln(s.stderr, "usage: jixiao help [VERB]")
	return exitUsage
}

// newFlagSet returns a flag set for one verb whose usage message starts
// with the synopsis lines.
func newFlagSet(s *streams, name string, synopsis ...string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(s.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintln(w, "Usage:")
		for _, line := range synopsis {
			if line == "" {
				fmt.Fprintln(w)
			} else {
				fmt.Fprintln(w, "  "+line)
			}
		}
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(w)
			fmt.Fprintln(w, "Flags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args with flags allowed before, between and after
// the positional arguments, as in "score a.json --format csv". After
// "--" everything is positional.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// flagStatus is the exit status for an error from parseFlags: asking for
// help is not a failure.
func flagStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}

// usageError reports a mistake in the command line and shows the usage.
func usageError(fs *flag.FlagSet, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(fs.Output(), "jixiao %s: %s\n", fs.Name(), strings.TrimSpace(msg))
	fs.Usage()
	return exitUsage
}
