package main

import (
	"context"
	"log/slog"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/api"
)

func runRun(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "run", "")
	var idf identityFlags
	idf.register(fs)
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if idf.dir == "" {
		return usageErrorf("run", "--dir is required")
	}
	cfg, err := config.LoadNode(idf.dir)
	if err != nil {
		return withHintIfMissing(err, "run 'casenode join --dir "+idf.dir+" --hub URL --creds FILE --secretariat KEY' first")
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: logLevel(cfg.LogLevel)}))
	src := &passphraseSource{e: e, fromStdin: idf.passphraseStdin}
	n, err := agency.Open(ctx, idf.dir, agency.Options{
		Passphrase: func() ([]byte, error) { return src.get(false) },
		Logger:     log,
		Now:        e.now,
	})
	if err != nil {
		return withHintIfMissing(err, "is --dir the directory of 'casenode init' and 'casenode join'?")
	}
	defer n.Close()
	srv := api.NewServer(n, log)
	if err := srv.Listen(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	apiErr := make(chan error, 1)
	go func() {
		apiErr <- srv.Serve(ctx)
		cancel()
	}()
	if err := n.Run(ctx); err != nil {
		return err
	}
	if err := <-apiErr; err != nil {
		return err
	}
	log.Info("node stopped")
	return nil
}

func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}
