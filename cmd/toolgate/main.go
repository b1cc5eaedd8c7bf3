// Command toolgate is the tool gateway. `toolgate help` lists its commands
// and their flags; `toolgate serve` (the default) runs the gateway.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	var usage *usageError
	switch {
	case errors.As(err, &usage):
		fmt.Fprintln(os.Stderr, "toolgate:", err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "toolgate:", err)
		os.Exit(1)
	}
}
