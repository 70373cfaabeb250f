package agency_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/config"
	"github.com/casenode/casenode/internal/poll"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

// TestHubHoldsNothingReadableOfAnAttachment: an attachment whole at the
// hub (its recipient fetches nothing by itself) leaves in the hub's
// directory neither its file name, nor its words, nor its SHA-256; what
// the hub stores is the age ciphertext, byte for byte the sender's. The
// sender's and the recipient's nodes keep that ciphertext, not the words.
func TestHubHoldsNothingReadableOfAnAttachment(t *testing.T) {
	t.Parallel()
	w := newNetwork(t, netOptions{Config: func(c *config.Node) { c.AttachmentAutoFetch = 0 }}, "sn-pj", "gh-ag")
	a, b := w.node("sn-pj"), w.node("gh-ag")
	const name, words = "informant-kofi-mensah.pdf", "the harbour master of Tema, phone +233 20 000 1111, is the informant. "
	plain := bytes.Repeat([]byte(words), 600<<10/len(words))
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, plain, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(plain)
	res, err := a.Send(context.Background(), actor, agency.SendRequest{To: []string{"gh-ag"}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead),
		Attach: []agency.AttachFile{{Path: path}}})
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, "the message at gh-ag, its attachment waiting at the hub", func() bool {
		as, _ := b.Attachments(res.ID)
		return len(as) == 1 && as[0].State == "waiting"
	})
	sent := attachmentsOf(t, a, res.ID)
	cipher, err := os.ReadFile(filepath.Join(w.nodes["sn-pj"].dir, "attachments", "out", sent[0].Object+".age"))
	if err != nil {
		t.Fatal(err)
	}
	w.stopHub()

	secrets := map[string][]byte{"its file name": []byte("kofi-mensah"), "its words": []byte("harbour master of Tema"),
		"its SHA-256": []byte(hex.EncodeToString(sum[:])), "its SHA-256 in bytes": sum[:]}
	// A piece from the middle of the ciphertext: the search reads what
	// the hub stored as it is (not compressed).
	probe := cipher[len(cipher)/2 : len(cipher)/2+64]
	if !holds(t, "hub", w.hubDir, secrets, probe) {
		t.Fatal("no file of the hub holds the attachment's ciphertext as the sender encrypted it")
	}

	// The nodes keep it encrypted at rest too: the recipient, once it
	// fetched it, and the sender. (Their audit logs name the file and its
	// digest: only its words are looked for there.)
	w.restartHub()
	w.waitReady("gh-ag", 3)
	var out bytes.Buffer
	if _, err := b.AttachmentGet(context.Background(), actor, res.ID, name, &out); err != nil || !bytes.Equal(out.Bytes(), plain) {
		t.Fatalf("the recipient's copy: %v", err)
	}
	onlyWords := map[string][]byte{"its words": secrets["its words"]}
	for _, ag := range []string{"gh-ag", "sn-pj"} {
		if !holds(t, ag, w.nodes[ag].dir, onlyWords, probe) {
			t.Errorf("%s keeps no copy of the attachment's ciphertext", ag)
		}
	}
}

// holds reports whether a file under dir holds probe, and fails the test
// for every file that holds one of secrets.
func holds(t *testing.T, who, dir string, secrets map[string][]byte, probe []byte) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		data, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		for what, s := range secrets {
			if bytes.Contains(data, s) {
				t.Errorf("%s's %s holds the attachment's %s", who, strings.TrimPrefix(p, dir), what)
			}
		}
		found = found || bytes.Contains(data, probe)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
