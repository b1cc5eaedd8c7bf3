package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// printHelp prints toolgate's help: what it is, its commands, and each
// command's flags.
func printHelp(w io.Writer) {
	fmt.Fprint(w, `toolgate is a self-hosted gateway that turns HTTP APIs into tools for LLM agents.

Usage:
  toolgate <command> [flags] [arguments]
  toolgate [flags]                          (runs `+defaultCommand+`)

Commands:
`)
	printSummaries(w, commands, "help [command]\tShow this help, or one command's.")
	fmt.Fprint(w, `
Every flag can also be set by the TOOLGATE_* environment variable named in its
description; a flag given on the command line wins.
`)
	for _, cmd := range commands {
		fmt.Fprintln(w)
		cmd.printHelp(w)
	}
}

// helpFor answers `toolgate help [command]`.
func helpFor(c *cli, args []string) error {
	if len(args) == 0 {
		printHelp(c.stdout)
		return nil
	}
	if cmd, rest := lookup(args); cmd != nil && len(rest) == 0 {
		cmd.printHelp(c.stdout)
		return nil
	}
	if group := inGroup(args[0]); len(group) > 0 && len(args) == 1 {
		printCommands(c.stdout, group)
		return nil
	}
	return usagef("no help for %q: it is not a command; run `toolgate help` for the list", strings.Join(args, " "))
}

// printSummaries prints a table of commands and their summaries, then the
// extra rows (name, tab, summary).
func printSummaries(w io.Writer, cmds []*command, extra ...string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, cmd := range cmds {
		fmt.Fprintf(tw, "  %s\t%s\n", cmd.name, cmd.summary)
	}
	for _, row := range extra {
		fmt.Fprintf(tw, "  %s\n", row)
	}
	tw.Flush()
}

// printCommands prints the help of several commands (a group's).
func printCommands(w io.Writer, cmds []*command) {
	for i, cmd := range cmds {
		if i > 0 {
			fmt.Fprintln(w)
		}
		cmd.printHelp(w)
	}
}

// printHelp prints the command's usage line, summary, flags and notes.
func (cmd *command) printHelp(w io.Writer) {
	fs := cmd.flagSet()
	cmd.define(fs, &cli{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard})
	usage := "toolgate " + cmd.name
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		usage += " [flags]"
	}
	if cmd.args != "" {
		usage += " " + cmd.args
	}
	fmt.Fprintf(w, "%s\n    %s\n", usage, cmd.summary)
	if hasFlags {
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	if cmd.notes != "" {
		fmt.Fprintln(w)
		for line := range strings.Lines(strings.TrimSpace(cmd.notes)) {
			fmt.Fprintf(w, "  %s\n", strings.TrimRight(line, "\n"))
		}
	}
}
