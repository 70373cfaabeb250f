// Package evidence is what an auditor draws from agencies' audit logs
// beyond one log's own integrity: the cross-log audit of a sender's and a
// receiver's logs (Diff), and the one-file proof that a message was
// delivered (ProveDelivery, CheckDelivery), which a third party checks
// offline with the secretariat's key alone.
//
// Neither verifies a log's hash chain: 'casenode audit verify' does that.
// A delivery proof carries its own proofs (RFC 6962 inclusion against a
// signed checkpoint, JWS signatures, a roster signed by the secretariat), so
// checking it needs no log at all.
package evidence
