package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// command is one subcommand of toolgate. To add one, write its *command in
// a file of its own and list it in commands; help and dispatch follow.
// A command binds the setting groups it needs (see config.go) and checks
// its own positional arguments:
//
//	var exportCommand = &command{
//		name:    "export",
//		args:    "FILE",
//		summary: "Write the workspace's tools, connections and agents to FILE.",
//		define: func(fs *flag.FlagSet, c *cli) runner {
//			settings := bindSettings(fs, c.getenv, storeSettings, secretSettings, logSettings)
//			force := fs.Bool("force", false, "overwrite FILE")
//			return func(ctx context.Context, args []string) error {
//				if len(args) != 1 {
//					return usagef("usage: toolgate export [flags] FILE")
//				}
//				cfg, err := settings()
//				...
//			}
//		},
//	}
type command struct {
	// name is the command as typed: one word, or a group and a word
	// ("workspaces create").
	name string
	// args names the positional arguments for the usage line ("NAME").
	args string
	// summary says in one line what the command does.
	summary string
	// notes, if set, are printed under the command's flags in its help.
	notes string
	// define declares the command's flags on fs and returns the function
	// that runs the command once they are parsed. It must do nothing else:
	// help calls it to list the flags.
	define func(fs *flag.FlagSet, c *cli) runner
}

// runner runs a command with its positional arguments.
type runner func(ctx context.Context, args []string) error

// commands are toolgate's subcommands, in the order help lists them.
// `help` is built in.
var commands = []*command{
	serveCommand,
	migrateCommand,
	workspacesCreateCommand,
	workspacesListCommand,
	applyCommand,
	exportCommand,
	importOpenAPICommand,
	versionCommand,
}

// defaultCommand runs when the first argument is not a command (toolgate
// with no arguments, or only flags).
const defaultCommand = "serve"

// cli is what every command runs with: the environment and the output.
type cli struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// usageError is a command line toolgate does not understand (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// run runs the command line args (without the program name).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := &cli{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && isHelpFlag(args[0]) {
			printHelp(stdout)
			return nil
		}
		args = append([]string{defaultCommand}, args...)
	}
	if args[0] == "help" {
		return helpFor(c, args[1:])
	}
	cmd, rest := lookup(args)
	if cmd != nil {
		return cmd.exec(ctx, c, rest)
	}
	if group := inGroup(args[0]); len(group) > 0 {
		if len(args) > 1 && isHelpFlag(args[1]) {
			printCommands(stdout, group)
			return nil
		}
		printSummaries(stderr, group)
		if len(args) == 1 {
			return usagef("%s needs one of the subcommands above", args[0])
		}
		return usagef("unknown command %q", args[0]+" "+args[1])
	}
	return usagef("unknown command %q; run `toolgate help` for the list", args[0])
}

// exec parses the command's flags and runs it. Flags may come before and
// after the positional arguments (`import openapi FILE -connection x`);
// "--" ends the flags.
func (cmd *command) exec(ctx context.Context, c *cli, args []string) error {
	fs := cmd.flagSet()
	runCmd := cmd.define(fs, c)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				cmd.printHelp(c.stdout)
				return nil
			}
			return usagef("%s: %v (`toolgate %s -help` lists its flags)", cmd.name, err, cmd.name)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	return runCmd(ctx, positional)
}

// flagSet is a new, empty flag set for the command. Parse reports errors
// as values; exec prints the help.
func (cmd *command) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("toolgate "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// lookup finds the command args start with: the longest name that matches
// their first words. It returns the remaining arguments.
func lookup(args []string) (*command, []string) {
	var best *command
	words := 0
	for _, cmd := range commands {
		name := strings.Fields(cmd.name)
		if len(name) > words && len(args) >= len(name) && slices.Equal(name, args[:len(name)]) {
			best, words = cmd, len(name)
		}
	}
	if best == nil {
		return nil, nil
	}
	return best, args[words:]
}

// inGroup returns the commands of a group ("workspaces").
func inGroup(group string) []*command {
	var out []*command
	for _, cmd := range commands {
		if first, _, ok := strings.Cut(cmd.name, " "); ok && first == group {
			out = append(out, cmd)
		}
	}
	return out
}

// noArgs refuses positional arguments to a command that takes none.
func noArgs(name string, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments (got %q)", name, strings.Join(args, " "))
	}
	return nil
}

func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "--h":
		return true
	}
	return false
}
