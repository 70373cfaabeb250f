package api

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/user"
	"strconv"

	"github.com/casenode/casenode/internal/hint"
	"github.com/casenode/casenode/internal/peercred"
	"github.com/casenode/casenode/node/agency"
)

// actorKey keys the authenticated actor in a request's context.
type actorKey struct{}

// WithActor returns ctx carrying the actor a listener authenticated: the
// handler records it as who acts, with the request's Casenode-Actor
// header as its label only. A server that embeds Handler must set it.
func WithActor(ctx context.Context, a agency.Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// actor returns the request's actor: the one its listener authenticated,
// labelled with the name the caller declared, if any.
func actor(r *http.Request) (agency.Actor, error) {
	a, ok := r.Context().Value(actorKey{}).(agency.Actor)
	if !ok {
		return agency.Actor{}, &hint.Error{Kind: Status(http.StatusUnauthorized), Msg: "the request's actor is not authenticated",
			Fix: "use the node's Unix socket, or its TCP listener with a bearer token"}
	}
	a.Label = r.Header.Get(ActorHeader)
	return a, nil
}

// socketActor is a ConnContext for the Unix socket: it authenticates the
// process at the other end as its operating-system user, as the kernel
// tells it, whatever the process declares.
func socketActor(ctx context.Context, c net.Conn) context.Context {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return ctx
	}
	uid, err := peercred.UID(uc)
	if err != nil {
		return ctx
	}
	if uid == os.Getuid() || uid == 0 {
		ctx = context.WithValue(ctx, ownerKey{}, true)
	}
	return WithActor(ctx, agency.Actor{Via: agency.ViaSocket, Name: userName(uid)})
}

// ownerKey marks in a request's context a caller on the Unix socket that
// runs as the node's own operating-system user, or as root: the only
// callers that may read what the node's files hold (a backup holds its
// keys).
type ownerKey struct{}

// isOwner says whether the request comes from the node's own user.
func isOwner(r *http.Request) bool {
	o, _ := r.Context().Value(ownerKey{}).(bool)
	return o
}

// userName names the operating-system user uid: its login name, else
// "uid N".
func userName(uid int) string {
	id := strconv.Itoa(uid)
	if u, err := user.LookupId(id); err == nil && u.Username != "" {
		return u.Username
	}
	return "uid " + id
}
