package main

import (
	"log/slog"

	"github.com/coreos/go-systemd/v22/daemon"
)

// notifySystemd tells systemd the service's state (daemon.SdNotifyReady
// once it serves, daemon.SdNotifyStopping when it stops) for units of
// Type=notify, so that what is ordered after casenode starts when casenode
// can take work. Outside systemd ($NOTIFY_SOCKET unset) it does nothing.
func notifySystemd(log *slog.Logger, state string) {
	if _, err := daemon.SdNotify(false, state); err != nil {
		log.Warn("tell systemd the service's state", "state", state, "err", err)
	}
}
