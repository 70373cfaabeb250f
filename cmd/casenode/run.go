package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/api"
	"github.com/coreos/go-systemd/v22/daemon"
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
	cfg, err := loadNodeConfig(idf.dir)
	if err != nil {
		return err
	}
	log := newLogger(e.stderr, logLevel(cfg.LogLevel), cfg.LogFormat)
	src := &passphraseSource{e: e, fromStdin: idf.passphraseStdin}
	o := agency.Options{
		Passphrase: src.remembered(),
		Logger:     log,
		Now:        e.now,
	}
	met := newNodeMetrics(cfg, &o)
	n, err := agency.Open(ctx, idf.dir, o)
	var signer *agency.SignerError
	if errors.As(err, &signer) {
		return withHint(err, "the secretariat key pinned in %s/node.json is not the key that signed the roster this node keeps: if you joined again with another --secretariat, check its key id with the secretariat; a node keeps to one network", idf.dir)
	}
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
	consoleErr, err := startConsole(ctx, cancel, n, cfg, log)
	if err != nil {
		return err
	}
	metricsErr, err := met.start(ctx, cancel, n, cfg, log)
	if err != nil {
		return err
	}
	// Ready once the local API and the console serve: sends are taken and
	// queued from then on, whether the hub is reachable or not.
	notifySystemd(log, daemon.SdNotifyReady)
	defer notifySystemd(log, daemon.SdNotifyStopping)
	if err := n.Run(ctx); err != nil {
		return err
	}
	if err := <-consoleErr; err != nil {
		return err
	}
	if err := <-metricsErr; err != nil {
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
