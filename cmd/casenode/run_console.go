package main

import (
	"context"
	"log/slog"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/console"
)

// startConsole serves the web console when node.json sets console.listen;
// the channel it returns yields Serve's error once ctx ends (nil at once
// when the console is off). A console that stops on its own cancels the
// node.
func startConsole(ctx context.Context, cancel context.CancelFunc, n *agency.Node, cfg *config.Node, log *slog.Logger) (<-chan error, error) {
	done := make(chan error, 1)
	if cfg.Console.Listen == "" {
		done <- nil
		return done, nil
	}
	srv, err := console.New(n, cfg.Console, console.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	if err := srv.Listen(); err != nil {
		return nil, withHint(err, "change console.listen in node.json, or stop what uses that port")
	}
	go func() {
		done <- srv.Serve(ctx)
		cancel()
	}()
	return done, nil
}
