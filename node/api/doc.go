// Package api is the node's local HTTP API and its client. The node serves
// it on a Unix socket in its directory (DIR/api.sock, mode 0600: access is
// the file's permissions) and, if configured, on a loopback TCP address
// that requires a bearer token. The casenode commands send, inbox, show,
// cases, case, contacts, status and outbox are its clients: one process,
// the node, holds the files.
//
// JSON goes in and out. Errors are {"error": "…", "hint": "…"} with a
// status code that says whose fault it is. docs/openapi.yaml describes
// every route.
package api
