package witness

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const testText = "casenode/wacap/gh-ag\n5\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=\n"

func testCosigner(t *testing.T, seed byte) *Cosigner {
	t.Helper()
	c, err := NewCosigner("casenode/wacap/witness/hub", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCosignatureIsTheC2SPFormat rebuilds a cosignature by the letter of
// tlog-cosignature: key hash over name, newline, 0x04 and the key; an
// 8-byte big-endian timestamp; Ed25519 over "cosignature/v1", "time T" and
// the note text.
func TestCosignatureIsTheC2SPFormat(t *testing.T) {
	c := testCosigner(t, 7)
	at := time.Unix(1679315147, 0)
	line := c.Cosign([]byte(testText), at)
	rest, ok := strings.CutPrefix(string(line), "— casenode/wacap/witness/hub ")
	if !ok || !strings.HasSuffix(rest, "\n") {
		t.Fatalf("line %q", line)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(rest, "\n"))
	if err != nil || len(raw) != 4+8+64 {
		t.Fatalf("signature %q: %v", rest, err)
	}
	pub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)).Public().(ed25519.PublicKey)
	h := sha256.Sum256(append([]byte("casenode/wacap/witness/hub\n\x04"), pub...))
	if !bytes.Equal(raw[:4], h[:4]) {
		t.Fatalf("key hash %x, want %x", raw[:4], h[:4])
	}
	if ts := binary.BigEndian.Uint64(raw[4:12]); ts != 1679315147 {
		t.Fatalf("timestamp %d", ts)
	}
	msg := "cosignature/v1\ntime 1679315147\n" + testText
	if !ed25519.Verify(pub, []byte(msg), raw[12:]) {
		t.Fatal("the signature is not over the message tlog-cosignature defines")
	}
	vkey := c.VerifierKey()
	if want := "casenode/wacap/witness/hub+" + base64Hex(h[:4]) + "+" + base64.StdEncoding.EncodeToString(append([]byte{4}, pub...)); vkey != want {
		t.Fatalf("vkey %q, want %q", vkey, want)
	}
}

func base64Hex(b []byte) string {
	const hex = "0123456789abcdef"
	var s []byte
	for _, c := range b {
		s = append(s, hex[c>>4], hex[c&15])
	}
	return string(s)
}

func TestCheckCosignedWithASignedNoteLibrary(t *testing.T) {
	c, other := testCosigner(t, 7), testCosigner(t, 8)
	v, err := NewVerifier(c.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	logSig := "— casenode/wacap/gh-ag " + base64.StdEncoding.EncodeToString(make([]byte, 4+64)) + "\n"
	signed := []byte(testText + "\n" + logSig)
	cosigned := append(bytes.Clone(signed), c.Cosign([]byte(testText), time.Unix(1700000000, 0))...)
	cosigs, unknown, err := CheckCosigned(cosigned, []*Verifier{v})
	if err != nil || len(cosigs) != 1 || len(unknown) != 1 || !cosigs[0].Time.Equal(time.Unix(1700000000, 0)) {
		t.Fatalf("good: %+v %v %v", cosigs, unknown, err)
	}
	// x/mod's note.Open takes the verifier as it is.
	if _, err := note.Open(cosigned, note.VerifierList(v)); err != nil {
		t.Fatalf("note.Open: %v", err)
	}
	// A line under the witness's name and key hash by another key.
	wrong := other.Cosign([]byte(testText), time.Now())
	rawWrong, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.SplitN(string(wrong), " ", 3)[2]))
	binary.BigEndian.PutUint32(rawWrong, v.KeyHash())
	forgedLine := "— casenode/wacap/witness/hub " + base64.StdEncoding.EncodeToString(rawWrong) + "\n"
	if _, _, err := CheckCosigned(append(bytes.Clone(signed), forgedLine...), []*Verifier{v}); !errors.Is(err, ErrCosignature) {
		t.Fatalf("forged cosignature: %v, want ErrCosignature", err)
	}
	// Another text (a changed root) under a genuine cosignature.
	moved := bytes.Replace(cosigned, []byte("\n5\n"), []byte("\n6\n"), 1)
	if _, _, err := CheckCosigned(moved, []*Verifier{v}); !errors.Is(err, ErrCosignature) {
		t.Fatalf("cosignature moved to another checkpoint: %v, want ErrCosignature", err)
	}
	// Another witness's key: not judged, not counted.
	if cosigs, _, err := CheckCosigned(append(bytes.Clone(signed), wrong...), []*Verifier{v}); err != nil || len(cosigs) != 0 {
		t.Fatalf("unknown witness: %+v %v", cosigs, err)
	}
}

func TestParseRequestIsStrict(t *testing.T) {
	h := base64.StdEncoding.EncodeToString(make([]byte, 32))
	good := "old 3\n" + h + "\n\n" + testText + "\n— x AAAA\n"
	if r, err := ParseRequest([]byte(good)); err != nil || r.Old != 3 || len(r.Proof) != 1 || !bytes.Equal(r.Marshal(), []byte(good)) {
		t.Fatalf("good request: %+v %v", r, err)
	}
	for name, body := range map[string]string{
		"no old line":           h + "\n\n" + testText,
		"leading zero":          "old 03\n\n" + testText,
		"sign":                  "old +3\n\n" + testText,
		"negative":              "old -1\n\n" + testText,
		"two spaces":            "old  3\n\n" + testText,
		"no blank line":         "old 3\n" + h + "\n",
		"no checkpoint":         "old 3\n\n",
		"short hash":            "old 3\n" + base64.StdEncoding.EncodeToString(make([]byte, 31)) + "\n\n" + testText,
		"unpadded hash":         "old 3\n" + strings.TrimRight(h, "=") + "\n\n" + testText,
		"64 proof lines":        "old 3\n" + strings.Repeat(h+"\n", 64) + "\n" + testText,
		"CRLF":                  "old 3\r\n\r\n" + testText,
		"checkpoint over limit": "old 0\n\n" + strings.Repeat("x", MaxCheckpointSize+1),
		"request over limit":    strings.Repeat("x", MaxRequestSize+1),
	} {
		if _, err := ParseRequest([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParseRequest([]byte("old 3\n" + strings.Repeat(h+"\n", 63) + "\n" + testText)); err != nil {
		t.Errorf("63 proof lines: %v", err)
	}
}

func TestParseConflict(t *testing.T) {
	if n, err := ParseConflict([]byte("20852014\n")); err != nil || n != 20852014 {
		t.Fatalf("%d %v", n, err)
	}
	for _, b := range []string{"", "5", "05\n", "5\n\n", "-5\n", "99999999999999999999999\n"} {
		if _, err := ParseConflict([]byte(b)); err == nil {
			t.Errorf("%q accepted", b)
		}
	}
}

func TestCheckEmptyTree(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32))
	logKeys, err := LogVerifiers("casenode/wacap/gh-ag", []ed25519.PublicKey{key.Public().(ed25519.PublicKey)})
	if err != nil {
		t.Fatal(err)
	}
	sign := func(root tlog.Hash) []byte {
		pub := key.Public().(ed25519.PublicKey)
		h := sha256.Sum256(append([]byte("casenode/wacap/gh-ag\n\x01"), pub...))
		s, err := note.NewSigner("PRIVATE+KEY+casenode/wacap/gh-ag+" + base64Hex(h[:4]) + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, key.Seed()...)))
		if err != nil {
			t.Fatal(err)
		}
		msg, err := note.Sign(&note.Note{Text: (&Checkpoint{Origin: "casenode/wacap/gh-ag", Root: root}).Text()}, s)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	if v := Check(&Request{Checkpoint: sign(tlog.Hash{})}, "casenode/wacap/gh-ag", logKeys, nil); v.Status != StatusUnprocessable {
		t.Fatalf("size 0 with a zero root: %+v, want 422", v)
	}
	if v := Check(&Request{Checkpoint: sign(sha256.Sum256(nil))}, "casenode/wacap/gh-ag", logKeys, nil); v.Status != StatusOK {
		t.Fatalf("size 0 with the empty tree's root: %+v, want 200", v)
	}
}

func TestWitnessKeyOfTheRoster(t *testing.T) {
	c := testCosigner(t, 9)
	name, pub, err := protocol.ParseWitnessKey(c.VerifierKey())
	if err != nil || name != c.Name() || len(pub) != 32 {
		t.Fatalf("%q %x %v", name, pub, err)
	}
}
