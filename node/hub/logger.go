package hub

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nats-io/nats-server/v2/server"
)

// serverLogger passes the NATS server's log lines to slog. It remembers the
// last fatal error, which the server reports only through its logger (a port
// already in use, for example).
type serverLogger struct {
	log *slog.Logger

	mu    sync.Mutex
	fatal string
}

var _ server.Logger = (*serverLogger)(nil)

func (l *serverLogger) logf(level slog.Level, format string, v []any) {
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, fmt.Sprintf(format, v...), "component", "nats")
	}
}

// Noticef logs at info level.
func (l *serverLogger) Noticef(format string, v ...any) { l.logf(slog.LevelInfo, format, v) }

// Warnf logs at warn level.
func (l *serverLogger) Warnf(format string, v ...any) { l.logf(slog.LevelWarn, format, v) }

// Errorf logs at error level.
func (l *serverLogger) Errorf(format string, v ...any) { l.logf(slog.LevelError, format, v) }

// Debugf logs at debug level.
func (l *serverLogger) Debugf(format string, v ...any) { l.logf(slog.LevelDebug, format, v) }

// Tracef logs at debug level, below everything else.
func (l *serverLogger) Tracef(format string, v ...any) { l.logf(slog.LevelDebug-4, format, v) }

// Fatalf logs at error level and keeps the message for Open's error. It does
// not exit the process.
func (l *serverLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.mu.Lock()
	l.fatal = msg
	l.mu.Unlock()
	l.log.Error(msg, "component", "nats")
}

func (l *serverLogger) lastFatal() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fatal
}
