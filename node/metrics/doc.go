// Package metrics serves a node's Prometheus metrics and its health
// endpoints on the listener the operator configures (metrics.listen in
// node.json): /metrics in the Prometheus text format, from the project's
// own registry (with the Go and process collectors), /healthz (the process
// serves) and /readyz (the node can do its work: connected to the hub, a
// roster in force in which its agency is active, an audit log that takes
// records), each with a body that says what holds or what is wrong.
//
// The node's figures are read when Prometheus scrapes, from the node's
// status and its counters (package agency): nothing on the message path
// waits for the metrics. Names follow Prometheus practice: a casenode_
// prefix, base units, _total for counters, and no label that grows
// without bound (message or case ids).
package metrics
