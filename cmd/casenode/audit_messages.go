package main

import (
	"github.com/casenode/casenode/protocol"
)

// maxReceiptJWS bounds a signed receipt: the base64url of a receipt of
// protocol.MaxReceiptSize, a protected header and a signature.
const maxReceiptJWS = protocol.MaxReceiptSize*4/3 + 1024
