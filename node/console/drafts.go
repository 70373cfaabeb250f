package console

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/node/console/gate"
)

// draftData is what a draft keeps: the form's kind and every value typed
// (recipients included), but not the CSRF token or the buttons.
type draftData struct {
	Kind   string     `json:"kind"`
	Values url.Values `json:"values"`
}

// notKept are the form values a draft does not keep.
func notKept(k string) bool {
	return k == gate.CSRFField || k == "save" || k == "draft" || k == "add_row"
}

func encodeDraft(kind string, v url.Values) []byte {
	kept := url.Values{}
	for k, vs := range v {
		if !notKept(k) {
			kept[k] = vs
		}
	}
	b, _ := json.Marshal(draftData{Kind: kind, Values: kept})
	return b
}

// saveDraft keeps the form as a draft of the person and shows it again.
func (s *Server) saveDraft(w http.ResponseWriter, r *http.Request, c *call, kind string) {
	id, err := s.n.SaveDraft(r.Context(), c.account.Name, agency.Draft{ID: r.PostFormValue("draft"), Kind: kind, Data: encodeDraft(kind, r.PostForm)})
	if err != nil {
		s.failErr(w, r, c, err)
		return
	}
	http.Redirect(w, r, "/compose?draft="+url.QueryEscape(id)+"&saved=1", http.StatusSeeOther)
}

// loadDraft returns the kind and values of the person's draft id.
func (s *Server) loadDraft(r *http.Request, c *call, id string) (string, url.Values, error) {
	d, err := s.n.Draft(r.Context(), c.account.Name, id)
	if err != nil {
		return "", nil, err
	}
	var dd draftData
	if err := json.Unmarshal(d.Data, &dd); err != nil {
		return "", nil, err
	}
	if dd.Values == nil {
		dd.Values = url.Values{}
	}
	return dd.Kind, dd.Values, nil
}

// deleteDraft discards a draft.
func (s *Server) deleteDraft(w http.ResponseWriter, r *http.Request, c *call) {
	if err := s.n.DeleteDraft(r.Context(), c.account.Name, r.PathValue("id")); err != nil {
		s.failErr(w, r, c, err)
		return
	}
	http.Redirect(w, r, "/compose", http.StatusSeeOther)
}
