package gate

import (
	"log/slog"
	"time"
)

// Options adjust a console: what the process supplies. Every console's
// Options is this type.
type Options struct {
	// Logger receives the console's log; nil discards it.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Defaults returns o with what it leaves nil filled in.
func (o Options) Defaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
