package api

import (
	"net/http"

	"github.com/casenode/casenode/node/agency"
)

// AccountList is the response of GET /v1/accounts.
type AccountList struct {
	Accounts []*agency.Account `json:"accounts"`
}

// accountRoutes adds the routes of the console's accounts.
func (h *handler) accountRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/accounts", h.addAccount)
	mux.HandleFunc("GET /v1/accounts", h.accounts)
	mux.HandleFunc("POST /v1/accounts/{name}/disable", h.disableAccount)
}

func (h *handler) addAccount(w http.ResponseWriter, r *http.Request) {
	a, err := actor(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	var req agency.NewAccount
	if err := decode(r, w, &req); err != nil {
		h.fail(w, err)
		return
	}
	acc, err := h.n.AddAccount(r.Context(), a, req)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, acc)
}

func (h *handler) accounts(w http.ResponseWriter, r *http.Request) {
	as, err := h.n.Accounts(r.Context())
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, AccountList{Accounts: orEmpty(as)})
}

func (h *handler) disableAccount(w http.ResponseWriter, r *http.Request) {
	a, err := actor(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	acc, err := h.n.DisableAccount(r.Context(), a, r.PathValue("name"))
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, acc)
}
