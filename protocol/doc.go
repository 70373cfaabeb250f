// Package protocol defines casenode's wire and message types: identifiers,
// member cards, the sealed message's clear header and signed inner body, the
// typed case message bodies, receipts and rosters. It performs no I/O; every
// decoder in it has a size limit, rejects unknown fields and accepts one
// canonical encoding. docs/PROTOCOL.md is its specification.
package protocol
