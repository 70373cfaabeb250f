package agency

import (
	"crypto/sha256"
	"encoding/hex"
	"io"

	"github.com/casenode/casenode/crypto/seal"
)

// verifier checks a ciphertext as it is written to it, in order: its
// SHA-256 and size, and its plaintext's, decrypting it as it goes, so that
// a download is checked while it runs instead of read again after. The
// three passes run on goroutines of their own, each fed copies of what it
// is given through a few buffers (hashStage): the writer only copies, and
// on a machine of two cores the ciphertext's digest, the decryption and
// the plaintext's digest keep pace with the download instead of holding
// each chunk up in turn.
type verifier struct {
	cipher *hashStage // the ciphertext's digest and size
	open   *stage     // the ciphertext, to the decryption
	plain  *hashStage // the plaintext's digest and size
	done   chan struct{}
	res    checked
}

// stageBuffers is how many buffers a stage has: the bytes it holds
// waiting at most stageBuffers times stageBuffer.
const (
	stageBuffers = 4
	stageBuffer  = 256 << 10
)

func (x *transfers) newVerifier() *verifier {
	v := &verifier{cipher: newHashStage(sha256.New()), open: newStage(), plain: newHashStage(sha256.New()), done: make(chan struct{})}
	go func() {
		defer close(v.done)
		r := v.open.reader()
		if pt, err := seal.DecryptAttachment(r, x.n.ident()); err != nil {
			v.res.err = "cannot decrypt it: " + err.Error()
		} else if _, err = io.Copy(v.plain, pt); err != nil {
			v.res.err = "its ciphertext is damaged: " + err.Error()
		}
		// What follows a failure is read all the same: the writer never
		// waits for a decryption that stopped.
		io.Copy(io.Discard, r)
	}()
	return v
}

func (v *verifier) Write(p []byte) (int, error) {
	v.cipher.Write(p)
	v.open.Write(p)
	return len(p), nil
}

// finish ends the ciphertext and returns what the verifier found.
func (v *verifier) finish() checked {
	v.open.close()
	<-v.done
	var sum []byte
	sum, v.res.size = v.plain.finish()
	v.res.plainSum = hex.EncodeToString(sum)
	sum, v.res.cipherSize = v.cipher.finish()
	v.res.cipherSum = hex.EncodeToString(sum)
	return v.res
}

// abort stops the verifier of a download that failed.
func (v *verifier) abort() {
	v.finish()
}
