package agency

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"time"

	"github.com/casenode/casenode/node/auditlog"
)

// How the node waits between two attempts at a write that failed for want
// of space: from retryWrite, doubling, up to maxRetryWrite — well under the
// hub's ack wait, which the node resets at each attempt.
const (
	retryWrite    = 250 * time.Millisecond
	maxRetryWrite = 5 * time.Second
)

// noSpace reports whether err says that the disk, or the user's quota, is
// full: a failure the node waits out rather than gives up on.
func noSpace(err error) bool {
	return errors.Is(err, auditlog.ErrNoSpace) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// writeAlarm is raised while a write of the node's files fails for want of
// space and the node holds its input; the next write that succeeds clears
// it.
type writeAlarm struct {
	mu    sync.Mutex
	file  string
	err   string
	since time.Time
}

// WriteAlarm says that the node cannot write its files: it takes no input
// and retries on its own until space returns.
type WriteAlarm struct {
	// File is what cannot be written: the audit log or the store.
	File  string    `json:"file"`
	Error string    `json:"error"`
	Since time.Time `json:"since"`
}

// retry raises the alarm for a write of file that failed with err, tells
// JetStream that jobs are in progress, and waits before the next attempt.
// It reports false, at once, for a failure that waiting does not cure, or
// when ctx ends.
func (a *writeAlarm) retry(ctx context.Context, n *Node, file string, err error, attempt int, jobs []*job) bool {
	if !noSpace(err) || ctx.Err() != nil {
		return false
	}
	a.mu.Lock()
	first := a.err == ""
	if first {
		a.since = n.o.Now()
	}
	a.file, a.err = file, err.Error()
	a.mu.Unlock()
	if first {
		n.log.Error("the disk is full: the node takes no input until it can write "+file+" again, and retries on its own",
			"err", err, "hint", "free space on the disk of "+n.dir)
	}
	for _, j := range jobs {
		if err := j.msg.InProgress(); err != nil {
			n.log.Debug("in progress", "err", err)
		}
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(min(retryWrite<<min(attempt, 8), maxRetryWrite)):
		return true
	}
}

// ok clears the alarm after a write succeeded.
func (a *writeAlarm) ok(n *Node) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err == "" {
		return
	}
	n.log.Info("the node can write its files again: it takes input again", "file", a.file, "since", a.since)
	a.file, a.err, a.since = "", "", time.Time{}
}

// status returns the alarm, or nil.
func (a *writeAlarm) status() *WriteAlarm {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err == "" {
		return nil
	}
	return &WriteAlarm{File: a.file, Error: a.err, Since: a.since}
}
