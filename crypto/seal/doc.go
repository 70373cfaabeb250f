// Package seal seals and opens casenode messages.
//
// A sealed message is a compact JWS (RFC 7515, EdDSA) whose protected header
// is the clear routing header (protocol.Header) and whose payload is a
// standard age file. The age file decrypts, for every recipient agency and
// for the sender itself, to a second compact JWS by the same sender over the
// body and a copy of every header field that says who sent what to whom
// (protocol.Inner).
//
//	outer JWS  = sign_sender( header , age_encrypt(recipients+sender, inner JWS) )
//	inner JWS  = sign_sender( {body, id, net, from, to, msgtype, case, created, expires} )
//
// The outer signature lets anyone — the hub, an auditor — check who sent a
// message without decrypting it. The inner signature lets a recipient prove
// to a third party who wrote the content. Opening checks that both agree on
// every bound field, so a recipient cannot re-address a message it received,
// and nobody can put their own signature on someone else's ciphertext.
//
// That is format version 1. Version 2 (frame.go, v2.go, agefile.go) keeps
// the same header, signed body and checks but carries them as raw bytes:
// a small binary frame holding the header, the outer signature detached
// (RFC 7515 appendix F) and the age file, whose plaintext is the inner
// signature and the signed body. The age file has no stanza for the
// sender: its file key derives from the sender's age identity and the
// payload nonce, so the sender still opens what it sent. New messages are
// sealed in version 2; Parse and Open read both.
//
// Opening verifies before it decrypts and takes keys only from the caller's
// trusted keys (member cards or the roster), never from the message.
// docs/PROTOCOL.md is the specification.
package seal
