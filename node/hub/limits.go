package hub

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/casenode/casenode/config"
)

// day is how finely stored messages are counted in time: a message leaves
// its publisher's account at most one day after the stream's retention
// removed it.
const day = 24 * time.Hour

// quotas keeps each member agency's account at the hub: what it has stored
// in the messages stream (by day of storage, so that what the retention
// removes leaves the account) and its publication rate (a token bucket of
// messages and one of bytes). It is safe for concurrent use.
type quotas struct {
	limits    config.MemberLimits
	retention time.Duration // 0: messages are kept forever
	maxMsg    int64         // the largest publication the hub takes
	log       *slog.Logger

	mu       sync.Mutex
	accounts map[string]*account
}

// account is one member's.
type account struct {
	days   map[int64]usage // day number (Unix days) → what was stored that day
	stored usage           // the sum over days
	// Token buckets, refilled at the limits' rates since last.
	msgTokens, byteTokens float64
	last                  time.Time
	// over names the limit the member last went over, "" while it is
	// under them all: the hub logs each change once.
	over string
}

// usage counts messages and bytes.
type usage struct{ msgs, bytes int64 }

func newQuotas(limits config.MemberLimits, retention time.Duration, maxMsg int64, log *slog.Logger) *quotas {
	return &quotas{limits: limits, retention: retention, maxMsg: maxMsg, log: log, accounts: map[string]*account{}}
}

// LimitError is a publication refused because its publisher is over one of
// its limits.
type LimitError struct {
	Agency string
	Limit  string // the hub.json field of member_limits
	Detail string
}

// Error implements error.
func (e *LimitError) Error() string {
	return fmt.Sprintf("agency %s is over its limit member_limits.%s at the hub (%s)", e.Agency, e.Limit, e.Detail)
}

// account returns agency's account, creating it with full buckets.
func (q *quotas) account(agency string, now time.Time) *account {
	a := q.accounts[agency]
	if a == nil {
		a = &account{days: map[int64]usage{}, last: now,
			msgTokens: float64(config.RateBurst * q.limits.MessagesPerSecond), byteTokens: q.byteBurst()}
		q.accounts[agency] = a
	}
	return a
}

// byteBurst is the byte bucket's size: RateBurst seconds, and at least one
// message of the largest size.
func (q *quotas) byteBurst() float64 {
	return float64(max(config.RateBurst*q.limits.BytesPerSecond, q.maxMsg))
}

// counted adds a message that is already in the stream (found at start).
func (q *quotas) counted(agency string, size int64, stored time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	a := q.account(agency, stored)
	a.add(stored.Unix()/int64(day/time.Second), usage{1, size})
}

func (a *account) add(d int64, u usage) {
	x := a.days[d]
	x.msgs += u.msgs
	x.bytes += u.bytes
	if x.msgs <= 0 {
		delete(a.days, d)
	} else {
		a.days[d] = x
	}
	a.stored.msgs += u.msgs
	a.stored.bytes += u.bytes
}

// admit charges a publication of size bytes by agency at now, or refuses
// it with a *LimitError. An admitted publication that is then not stored
// (refused by the stream, or a duplicate) is given back with refund.
func (q *quotas) admit(agency string, size int64, now time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	a := q.account(agency, now)
	q.expire(a, now)
	if el := now.Sub(a.last).Seconds(); el > 0 {
		a.msgTokens = min(a.msgTokens+el*float64(q.limits.MessagesPerSecond), float64(config.RateBurst*q.limits.MessagesPerSecond))
		a.byteTokens = min(a.byteTokens+el*float64(q.limits.BytesPerSecond), q.byteBurst())
		a.last = now
	}
	var err *LimitError
	switch {
	case a.stored.msgs+1 > q.limits.StoredMessages:
		err = &LimitError{Agency: agency, Limit: "stored_messages", Detail: fmt.Sprintf("it has %d messages stored, the limit is %d", a.stored.msgs, q.limits.StoredMessages)}
	case a.stored.bytes+size > q.limits.StoredBytes:
		err = &LimitError{Agency: agency, Limit: "stored_bytes", Detail: fmt.Sprintf("it has %d bytes stored, the limit is %d", a.stored.bytes, q.limits.StoredBytes)}
	case a.msgTokens < 1:
		err = &LimitError{Agency: agency, Limit: "messages_per_second", Detail: fmt.Sprintf("over %d messages a second", q.limits.MessagesPerSecond)}
	case a.byteTokens < float64(size):
		err = &LimitError{Agency: agency, Limit: "bytes_per_second", Detail: fmt.Sprintf("over %d bytes a second", q.limits.BytesPerSecond)}
	}
	if err != nil {
		if a.over != err.Limit {
			q.log.Warn("member over its limits at the hub: its publications are refused", "member", agency, "limit", "member_limits."+err.Limit, "detail", err.Detail)
		}
		a.over = err.Limit
		return err
	}
	if a.over != "" {
		q.log.Info("member back within its limits at the hub", "member", agency)
		a.over = ""
	}
	a.msgTokens--
	a.byteTokens -= float64(size)
	a.add(now.Unix()/int64(day/time.Second), usage{1, size})
	return nil
}

// refund gives back what admit charged for a publication that was not
// stored.
func (q *quotas) refund(agency string, size int64, at time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if a := q.accounts[agency]; a != nil {
		a.add(at.Unix()/int64(day/time.Second), usage{-1, -size})
	}
}

// expire drops the days the stream's retention has removed.
func (q *quotas) expire(a *account, now time.Time) {
	if q.retention <= 0 {
		return
	}
	oldest := now.Add(-q.retention).Unix()/int64(day/time.Second) - 1
	for d, u := range a.days {
		if d < oldest {
			a.add(d, usage{-u.msgs, -u.bytes})
		}
	}
}

// stored returns what agency has stored, for tests and the log.
func (q *quotas) stored(agency string) (msgs, bytes int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if a := q.accounts[agency]; a != nil {
		return a.stored.msgs, a.stored.bytes
	}
	return 0, 0
}
