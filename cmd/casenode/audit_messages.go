package main

import (
	"github.com/casenode/casenode/node/auditlog"
	"github.com/casenode/casenode/protocol"
)

// checkMessage is the message check of audit verify: the signatures of a
// stored message or receipt against what the log trusted at that point —
// the roster in force for what other agencies signed, once the log holds
// one, the member cards before — and that they agree with the record. It
// never decrypts.
var checkMessage auditlog.MessageCheck = auditlog.CheckMessage

// maxReceiptJWS bounds a signed receipt: the base64url of a receipt of
// protocol.MaxReceiptSize, a protected header and a signature.
const maxReceiptJWS = protocol.MaxReceiptSize*4/3 + 1024
