package seal

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/protocol"
)

// A bundle is a sealed message and its attachments in one file, for
// exchange without a network (USB, e-mail), written and read as a stream:
//
//	"CASENODE-BUNDLE1"                 16 bytes, BundleMagic
//	length of the sealed message       4 bytes, big-endian, at most protocol.MaxMessageSize
//	the sealed message                 as 'casenode seal' writes it
//	the age ciphertext of attachment 0 exactly its manifest's cipher_size bytes
//	…                                  each attachment in manifest order
//
// and nothing after. The manifests are in the message's signed body, so a
// reader opens the message first, then reads and checks each attachment.

// BundleMagic starts every bundle.
const BundleMagic = "CASENODE-BUNDLE1"

// IsBundle reports whether data starts like a bundle.
func IsBundle(prefix []byte) bool { return bytes.HasPrefix(prefix, []byte(BundleMagic)) }

// WriteBundleHead writes a bundle's magic and sealed message; the caller
// then writes each attachment's ciphertext in manifest order.
func WriteBundleHead(w io.Writer, sealed []byte) error {
	if len(sealed) > protocol.MaxMessageSize {
		return fmt.Errorf("bundle: sealed message of %d bytes is over %d", len(sealed), protocol.MaxMessageSize)
	}
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(sealed)))
	for _, b := range [][]byte{[]byte(BundleMagic), n[:], sealed} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// ReadBundleHead reads a bundle's magic and sealed message from r; r is
// then at the first attachment's ciphertext.
func ReadBundleHead(r io.Reader) ([]byte, error) {
	var head [len(BundleMagic) + 4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, fmt.Errorf("bundle: %w", noEOF(err))
	}
	if !IsBundle(head[:]) {
		return nil, errors.New("bundle: not a casenode bundle")
	}
	n := binary.BigEndian.Uint32(head[len(BundleMagic):])
	if n == 0 || n > protocol.MaxMessageSize {
		return nil, fmt.Errorf("bundle: a sealed message of %d bytes (at most %d)", n, protocol.MaxMessageSize)
	}
	raw := make([]byte, n)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, fmt.Errorf("bundle: sealed message: %w", noEOF(err))
	}
	return raw, nil
}

// noEOF turns an end of file in the middle into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// OpenBundleAttachment reads the ciphertext of attachment m from r (a
// bundle after its head and the attachments before m), decrypts it with
// me's keys and writes the plaintext to w, checking both digests and sizes
// against m. A mismatch is an error after some plaintext was written: the
// caller discards it.
func OpenBundleAttachment(r io.Reader, m *protocol.Attachment, me *identity.Identity, w io.Writer) error {
	ch, ph := sha256.New(), sha256.New()
	lr := &io.LimitedReader{R: r, N: m.CipherSize}
	pt, err := DecryptAttachment(io.TeeReader(lr, ch), me)
	if err != nil {
		return fmt.Errorf("attachment %s: %w", m.Name, err)
	}
	size, err := io.Copy(io.MultiWriter(w, ph), pt)
	if err != nil {
		return fmt.Errorf("attachment %s: %w", m.Name, err)
	}
	// What age left of the ciphertext (nothing, for an intact file).
	if _, err := io.Copy(ch, lr); err != nil {
		return fmt.Errorf("attachment %s: %w", m.Name, err)
	}
	switch {
	case lr.N != 0:
		return fmt.Errorf("attachment %s: the bundle ends %d bytes into its ciphertext of %d", m.Name, m.CipherSize-lr.N, m.CipherSize)
	case hex.EncodeToString(ch.Sum(nil)) != m.CipherSHA256:
		return fmt.Errorf("attachment %s: its ciphertext is not the one its manifest names", m.Name)
	case size != m.Size || hex.EncodeToString(ph.Sum(nil)) != m.SHA256:
		return fmt.Errorf("attachment %s: its plaintext (%d bytes) is not the one its manifest names (%d bytes, SHA-256 %s)", m.Name, size, m.Size, m.SHA256)
	}
	return nil
}

// CheckBundleEnd reports trailing data after a bundle's last attachment.
func CheckBundleEnd(r io.Reader) error {
	var b [1]byte
	if _, err := io.ReadFull(r, b[:]); err == nil {
		return errors.New("bundle: data after the last attachment")
	}
	return nil
}
