package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/node/console/secretariat"
	"github.com/casenode/casenode/node/hub"
	"github.com/casenode/casenode/node/metrics"
	"github.com/coreos/go-systemd/v22/daemon"
)

// hubMemoryLimit is the soft limit of the hub's Go heap, unless GOMEMLIMIT
// sets another: with chunks delivered by the stream, a 256 MiB attachment
// took the hub's peak resident memory to 121–138 MiB without it (the
// chunks' copies in the server, garbage), 108–114 with it, for no CPU time
// measured. Above it the collector runs more often; it never refuses
// memory.
const hubMemoryLimit = 96 << 20

func runHubRun(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "hub run", "")
	var d hubDirFlags
	d.register(fs, false)
	listen := fs.String("listen", "", "HOST:PORT to listen on instead of hub.json's listen (port 0: any free port)")
	if err := parseFlags(fs, args, false); err != nil {
		return err
	}
	if err := d.check("hub run"); err != nil {
		return err
	}
	cfg, err := config.LoadHub(d.dir)
	if err != nil {
		return hubDirHint(err, d.dir)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return err
	}
	log := newLogger(e.stderr, level, cfg.LogFormat)
	if os.Getenv("GOMEMLIMIT") == "" {
		// Attachments' chunks pass through the hub's server as garbage
		// that the collector would otherwise let double the heap: a soft
		// limit keeps the hub's memory steady (docs/OPERATOR.md).
		debug.SetMemoryLimit(hubMemoryLimit)
	}
	h, err := hub.Open(ctx, d.dir, hub.Options{Listen: *listen, Logger: log})
	if err != nil {
		return err
	}
	defer h.Close()
	consoleDone, err := startSecretariatConsole(ctx, h, cfg, log)
	if err != nil {
		return err
	}
	metricsDone, err := startHubMetrics(ctx, h, cfg, log)
	if err != nil {
		return err
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if err := h.Reload(ctx); err != nil {
					log.Error("roster change not applied", "err", err)
				}
			}
		}
	}()
	notifySystemd(log, daemon.SdNotifyReady)
	err = h.Run(ctx)
	notifySystemd(log, daemon.SdNotifyStopping)
	log.Info("hub stopping")
	return errors.Join(err, <-consoleDone, <-metricsDone)
}

// startHubMetrics serves the hub's metrics and health endpoints when
// hub.json sets metrics.listen; the channel yields Serve's error once ctx
// ends (nil at once when they are off).
func startHubMetrics(ctx context.Context, h *hub.Hub, cfg *config.Hub, log *slog.Logger) (<-chan error, error) {
	done := make(chan error, 1)
	if cfg.Metrics.Listen == "" {
		done <- nil
		return done, nil
	}
	s := metrics.NewServer(metrics.HubReady(h), log)
	certs := map[string]string{"hub": cfg.TLS.CertFile, "console": cfg.Console.TLSCertFile}
	if err := s.Registry().Register(metrics.HubCollector(h, time.Now)); err != nil {
		return nil, err
	}
	if err := s.Registry().Register(metrics.CertCollector(certs, time.Now)); err != nil {
		return nil, err
	}
	if err := s.Listen(cfg.Metrics.Listen); err != nil {
		return nil, withHint(err, "change metrics.listen in hub.json, or stop what uses that port")
	}
	go func() { done <- s.Serve(ctx) }()
	return done, nil
}

// startSecretariatConsole serves the secretariat's web console when
// hub.json sets console.listen; the channel yields Serve's error once ctx
// ends (nil at once when the console is off).
func startSecretariatConsole(ctx context.Context, h *hub.Hub, cfg *config.Hub, log *slog.Logger) (<-chan error, error) {
	done := make(chan error, 1)
	if cfg.Console.Listen == "" {
		done <- nil
		return done, nil
	}
	srv, err := secretariat.New(h, cfg.Console, secretariat.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	if err := srv.Listen(); err != nil {
		return nil, withHint(err, "change console.listen in hub.json, or stop what uses that port")
	}
	go func() { done <- srv.Serve(ctx) }()
	return done, nil
}
