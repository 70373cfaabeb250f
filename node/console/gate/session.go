package gate

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// Session is one signed-in person. Sessions live in memory: a restart of
// the process signs everyone out.
type Session struct {
	// Account is the signed-in account's name.
	Account string
	// CSRF is the token every form of the session posts back.
	CSRF string
	// Created and Seen are the sign-in and the last request.
	Created, Seen time.Time
}

// Sessions holds the signed-in sessions by the SHA-256 of their cookie
// value, so that the map holds no usable secret.
type Sessions struct {
	mu        sync.Mutex
	m         map[[32]byte]*Session
	idle, max time.Duration
	now       func() time.Time
}

// NewSessions returns an empty session store whose sessions end after idle
// without a request or max after sign-in, by the clock now.
func NewSessions(idle, max time.Duration, now func() time.Time) *Sessions {
	return &Sessions{m: map[[32]byte]*Session{}, idle: idle, max: max, now: now}
}

// Token returns 32 random bytes in base64url.
func Token() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Create starts a session for account and returns its cookie value.
func (ss *Sessions) Create(account string) (string, *Session) {
	id := Token()
	now := ss.now()
	s := &Session{Account: account, CSRF: Token(), Created: now, Seen: now}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for k, old := range ss.m {
		if ss.expired(old, now) {
			delete(ss.m, k)
		}
	}
	ss.m[sha256.Sum256([]byte(id))] = s
	return id, s
}

func (ss *Sessions) expired(s *Session, now time.Time) bool {
	return now.Sub(s.Seen) > ss.idle || now.Sub(s.Created) > ss.max
}

// Get returns the live session of cookie value id and marks it seen, or
// nil.
func (ss *Sessions) Get(id string) *Session {
	k := sha256.Sum256([]byte(id))
	now := ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.m[k]
	if s == nil {
		return nil
	}
	if ss.expired(s, now) {
		delete(ss.m, k)
		return nil
	}
	s.Seen = now
	return s
}

// End ends the session of cookie value id.
func (ss *Sessions) End(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, sha256.Sum256([]byte(id)))
}

// EndAccount ends every session of account, for when it is disabled or
// removed.
func (ss *Sessions) EndAccount(account string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for k, s := range ss.m {
		if s.Account == account {
			delete(ss.m, k)
		}
	}
}

// FromRequest returns the live session of the request's session cookie
// with the cookie's value, or "" and nil.
func (ss *Sessions) FromRequest(r *http.Request, c Cookies) (string, *Session) {
	ck, err := r.Cookie(c.Session())
	if err != nil {
		return "", nil
	}
	s := ss.Get(ck.Value)
	if s == nil {
		return "", nil
	}
	return ck.Value, s
}
