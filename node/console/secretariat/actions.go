package secretariat

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/node/hub"
)

// admitData is the admission form's data, and its result.
type admitData struct {
	Card  string
	Error string
	Field string
	// Done is the admission, once made.
	Done   *hub.Admission
	Agency string
}

func (s *Server) admitPage(w http.ResponseWriter, r *http.Request, c *call) {
	s.render(w, r, c, http.StatusOK, "admit", "sec.admit.title", "admit", &admitData{})
}

func (s *Server) admit(w http.ResponseWriter, r *http.Request, c *call) {
	f, fe := parseCardForm(r.PostForm, false)
	if fe != nil {
		s.render(w, r, c, http.StatusBadRequest, "admit", "sec.admit.title", "admit", &admitData{Card: r.PostFormValue("card"), Field: fe.Field, Error: c.p.T(fe.Msg)})
		return
	}
	ad, err := s.h.AdmitMember(r.Context(), c.actor(), f.Card, f.Passphrase, s.now())
	clear(f.Passphrase)
	if err != nil && (ad == nil || ad.Roster == nil) {
		s.render(w, r, c, statusOfChange(err), "admit", "sec.admit.title", "admit", &admitData{Card: r.PostFormValue("card"), Field: fieldOfChange(err), Error: s.changeError(c, err)})
		return
	}
	d := &admitData{Done: ad, Agency: f.Card.Agency}
	if err != nil {
		// Admitted, but the client certificate failed: say so with the
		// result.
		d.Error = s.changeError(c, err)
	}
	s.render(w, r, c, http.StatusOK, "admit", "sec.admit.title", "admit", d)
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request, c *call) {
	id := r.PathValue("id")
	pass, fe := parseRevokeForm(r.PostForm, id)
	if fe != nil {
		s.memberPage(w, r, c, http.StatusBadRequest, &memberData{Error: c.p.T(fe.Msg), Overlap: "72h"})
		return
	}
	_, err := s.h.RevokeMember(r.Context(), c.actor(), id, pass, s.now())
	clear(pass)
	if err != nil {
		s.memberPage(w, r, c, statusOfChange(err), &memberData{Error: s.changeError(c, err), Overlap: "72h"})
		return
	}
	http.Redirect(w, r, "/members/"+url.PathEscape(id)+"?done=revoked", http.StatusSeeOther)
}

// witnessReset resets the hub witness's state of a member's log after the
// agency restarted it, as 'casenode hub witness reset': the reason is
// required, the secretariat's key signs the order.
func (s *Server) witnessReset(w http.ResponseWriter, r *http.Request, c *call) {
	id := r.PathValue("id")
	reason, pass, fe := parseWitnessResetForm(r.PostForm)
	if fe != nil {
		s.memberPage(w, r, c, http.StatusBadRequest, &memberData{Error: c.p.T(fe.Msg), Overlap: "72h"})
		return
	}
	_, err := s.h.ResetWitness(r.Context(), c.actor(), id, reason, pass, s.now())
	clear(pass)
	if err != nil {
		s.memberPage(w, r, c, statusOfChange(err), &memberData{Error: s.changeError(c, err), Overlap: "72h"})
		return
	}
	http.Redirect(w, r, "/members/"+url.PathEscape(id)+"?done=witness-reset", http.StatusSeeOther)
}

func (s *Server) rotate(w http.ResponseWriter, r *http.Request, c *call) {
	id := r.PathValue("id")
	keep := &memberData{Card: r.PostFormValue("card"), Overlap: r.PostFormValue("overlap")}
	f, fe := parseCardForm(r.PostForm, true)
	if fe == nil && f.Card.Agency != id {
		fe = &formError{"card", "sec.form.card.other"}
	}
	if fe != nil {
		keep.Error = c.p.T(fe.Msg)
		s.memberPage(w, r, c, http.StatusBadRequest, keep)
		return
	}
	_, err := s.h.RotateMember(r.Context(), c.actor(), f.Card, hub.RotateOptions{Overlap: f.Overlap, NewCreds: f.NewCreds}, f.Passphrase, s.now())
	clear(f.Passphrase)
	if err != nil {
		keep.Error = s.changeError(c, err)
		s.memberPage(w, r, c, statusOfChange(err), keep)
		return
	}
	http.Redirect(w, r, "/members/"+url.PathEscape(id)+"?done=rotated", http.StatusSeeOther)
}

func (s *Server) renew(w http.ResponseWriter, r *http.Request, c *call) {
	pass, fe := parsePassphrase(r.PostForm)
	if fe != nil {
		s.fail(w, r, c, http.StatusBadRequest, fe.Msg)
		return
	}
	_, err := s.h.RenewRoster(r.Context(), c.actor(), pass, s.now())
	clear(pass)
	if err != nil {
		s.render(w, r, c, statusOfChange(err), "error", "sec.error.title", "", s.changeError(c, err))
		return
	}
	http.Redirect(w, r, "/members?renewed=1", http.StatusSeeOther)
}

// changeError says why a change failed: a wrong passphrase in the
// person's language, anything else as the hub says it.
func (s *Server) changeError(c *call, err error) string {
	var wp *identity.WrongPassphraseError
	if errors.As(err, &wp) {
		return c.p.T("sec.error.passphrase")
	}
	s.log.Warn("roster change refused", "err", err)
	msg := err.Error()
	var h interface{ Hint() string }
	if errors.As(err, &h) && h.Hint() != "" {
		msg += " — " + h.Hint()
	}
	return c.p.T("sec.error.hub", "Detail", msg)
}

// statusOfChange is the HTTP status of a refused change.
func statusOfChange(err error) int {
	var wp *identity.WrongPassphraseError
	if errors.As(err, &wp) {
		return http.StatusForbidden
	}
	return http.StatusUnprocessableEntity
}

// fieldOfChange is the form field a refused change points at.
func fieldOfChange(err error) string {
	var wp *identity.WrongPassphraseError
	if errors.As(err, &wp) {
		return "passphrase"
	}
	return "card"
}
