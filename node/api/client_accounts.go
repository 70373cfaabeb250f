package api

import (
	"context"
	"net/url"

	"github.com/casenode/casenode/node/agency"
)

// AddAccount creates a console account.
func (c *Client) AddAccount(ctx context.Context, a agency.NewAccount) (*agency.Account, error) {
	b, err := jsonBody(a)
	if err != nil {
		return nil, err
	}
	var out agency.Account
	return &out, c.do(ctx, "POST", "/v1/accounts", b, &out)
}

// Accounts lists the console accounts.
func (c *Client) Accounts(ctx context.Context) ([]*agency.Account, error) {
	var out AccountList
	return out.Accounts, c.do(ctx, "GET", "/v1/accounts", nil, &out)
}

// DisableAccount disables a console account.
func (c *Client) DisableAccount(ctx context.Context, name string) (*agency.Account, error) {
	var out agency.Account
	return &out, c.do(ctx, "POST", "/v1/accounts/"+url.PathEscape(name)+"/disable", nil, &out)
}
