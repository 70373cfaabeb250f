package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/console/locale"
)

// Cookie names end with the agency id, because browsers keep cookies by
// host, not by port: two nodes' consoles on one machine (the demo) must
// not overwrite each other's sessions. With TLS the session cookie takes
// the __Host- prefix, which browsers accept only when Secure, host-only
// and for path /.
const (
	sessionCookie    = "casenode_session_"
	sessionCookieTLS = "__Host-casenode_session_"
	signinCookie     = "casenode_signin_"
	csrfField        = "csrf"
)

// session is one signed-in person. Sessions live in memory: a restart of
// the node signs everyone out.
type session struct {
	account string
	csrf    string
	created time.Time
	seen    time.Time
}

// sessions holds the signed-in sessions by the SHA-256 of their cookie
// value, so that the map holds no usable secret.
type sessions struct {
	mu        sync.Mutex
	m         map[[32]byte]*session
	idle, max time.Duration
	now       func() time.Time
}

func newSessions(idle, max time.Duration, now func() time.Time) *sessions {
	return &sessions{m: map[[32]byte]*session{}, idle: idle, max: max, now: now}
}

// token returns 32 random bytes in base64url.
func token() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// create starts a session for account and returns its cookie value.
func (ss *sessions) create(account string) (string, *session) {
	id := token()
	now := ss.now()
	s := &session{account: account, csrf: token(), created: now, seen: now}
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

func (ss *sessions) expired(s *session, now time.Time) bool {
	return now.Sub(s.seen) > ss.idle || now.Sub(s.created) > ss.max
}

// get returns the live session of cookie value id and marks it seen.
func (ss *sessions) get(id string) *session {
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
	s.seen = now
	return s
}

// end ends the session of cookie value id.
func (ss *sessions) end(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, sha256.Sum256([]byte(id)))
}

// call is what a signed-in request carries to its handler.
type call struct {
	sid     string
	sess    *session
	account *agency.Account
	p       *locale.Printer
}

// actor is the person, as the audit log records them.
func (c *call) actor() agency.Actor {
	return agency.Actor{Via: agency.ViaConsole, Name: ActorPrefix + c.account.Name}
}

func (s *Server) cookieName() string {
	if s.cfg.TLS() {
		return sessionCookieTLS + s.n.Agency()
	}
	return sessionCookie + s.n.Agency()
}

// setCookie sets a cookie the console's way: HttpOnly, SameSite=Strict,
// Secure with TLS, for the whole site.
func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: s.cfg.TLS(), SameSite: http.SameSiteStrictMode})
}

// auth lets only signed-in people with an enabled account through, and
// checks the CSRF token of every POST. Anyone else is sent to sign in and
// gets no body.
func (s *Server) auth(h func(w http.ResponseWriter, r *http.Request, c *call)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie(s.cookieName())
		var sess *session
		if err == nil {
			sess = s.sessions.get(ck.Value)
		}
		if sess == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/signin", http.StatusSeeOther)
				return
			}
			http.Error(w, "sign in first", http.StatusUnauthorized)
			return
		}
		acc, err := s.n.Account(r.Context(), sess.account)
		if err != nil || acc.Disabled != nil {
			s.sessions.end(ck.Value)
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		}
		c := &call{sid: ck.Value, sess: sess, account: acc, p: s.cat.Printer(s.language(r, acc))}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if err := r.ParseForm(); err != nil {
				s.fail(w, r, c, http.StatusRequestEntityTooLarge, "error.form")
				return
			}
			if subtle.ConstantTimeCompare([]byte(r.PostFormValue(csrfField)), []byte(sess.csrf)) != 1 {
				s.fail(w, r, c, http.StatusForbidden, "error.csrf")
				return
			}
		}
		h(w, r, c)
	})
}

// maxForm bounds a posted form: a request's facts at their limit with
// room for the other fields.
const maxForm = 1 << 20

// language returns the person's language, else the browser's.
func (s *Server) language(r *http.Request, acc *agency.Account) string {
	if acc != nil && locale.Supported(acc.Language) {
		return acc.Language
	}
	return s.cat.Match(r.Header.Get("Accept-Language"))
}
