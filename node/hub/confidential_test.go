package hub

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/protocol"
	"github.com/nats-io/nats.go/jetstream"
)

// ageSecretKey matches age identities in age-keygen's format, classic and
// post-quantum.
var ageSecretKey = regexp.MustCompile(`AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+`)

// TestHubOperatorCannotReadMessages runs a hub, has gh-ag publish a real
// sealed message to sn-pj-dakar, stops the hub, and then plays a hub
// operator who holds everything under the hub directory — configuration,
// JetStream store, the secretariat's identity, the admin and agency
// credentials: with every age identity found there, the message does not
// decrypt, and no file holds any agency's secret key or the body.
func TestHubOperatorCannotReadMessages(t *testing.T) {
	t.Parallel()
	n := newTLSNet(t, true, gh, sn)
	// The agencies keep their identities in their own directories, as
	// 'casenode init' makes them; the hub never sees these.
	agencyDirs := map[string]string{}
	for _, a := range []string{gh, sn} {
		agencyDirs[a] = filepath.Join(t.TempDir(), a)
		if err := n.ids[a].Save(agencyDirs[a], nil); err != nil {
			t.Fatal(err)
		}
	}
	const secret = "the informant is the harbour master of Tema"
	body := bytes.Replace(protocol.Example(protocol.TypeLead), []byte(`"summary": "`), []byte(`"summary": "`+secret+`. `), 1)
	if !bytes.Contains(body, []byte(secret)) {
		t.Fatal("the example lead has no summary to put the secret in")
	}
	sealed, err := seal.Seal(n.ids[gh], []*protocol.MemberCard{n.ids[sn].Card}, protocol.TypeLead, body, seal.Options{Case: "gh-2026-0007"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	c := n.connect(t, gh)
	if _, err := c.js.Publish(ctx, protocol.IngestSubject(testNetwork, gh, sn, protocol.TypeLead), sealed.Raw,
		jetstream.WithMsgID(protocol.PublishID(sealed.Header.ID, sn))); err != nil {
		t.Fatal(err)
	}
	c.nc.Close()
	n.hub.Close()

	env, _, err := seal.Parse(sealed.Raw)
	if err != nil {
		t.Fatal(err)
	}
	files := readTree(t, n.dir)
	stored := false
	for _, data := range files {
		stored = stored || bytes.Contains(data, sealed.Raw)
	}
	if !stored {
		t.Fatal("the sealed message is not in the hub directory: the test would prove nothing")
	}

	// Every age identity the operator can find: in clear in any file, and
	// the secretariat's own.
	var found []age.Identity
	for path, data := range files {
		for _, key := range ageSecretKey.FindAll(data, -1) {
			found = append(found, parseAgeIdentity(t, path, string(key)))
		}
	}
	sec, err := identity.Load(filepath.Join(n.dir, SecretariatDir), nil)
	if err != nil {
		t.Fatal(err)
	}
	found = append(found, sec.Age)
	if len(found) < 2 {
		t.Fatalf("found %d age identities under the hub directory, want at least the secretariat's (in clear and loaded)", len(found))
	}
	for i, id := range found {
		_, err := age.Decrypt(bytes.NewReader(env.Ciphertext), id)
		var nm *age.NoIdentityMatchError
		if !errors.As(err, &nm) {
			t.Fatalf("age identity %d under the hub directory: %v, want no identity match", i, err)
		}
	}
	if _, err := seal.Open(sealed.Raw, sec, seal.NewCardSet(n.ids[gh].Card, n.ids[sn].Card), seal.VerifyOptions{}); seal.ReasonOf(err) != protocol.ReasonNotAddressed {
		t.Fatalf("the secretariat opens the message: %v, want not-addressed", err)
	}

	// No agency's secret key material, and no body, anywhere in the hub
	// directory.
	for _, a := range []string{gh, sn} {
		ageKey, err := os.ReadFile(filepath.Join(agencyDirs[a], identity.AgeIdentityFile))
		if err != nil {
			t.Fatal(err)
		}
		agencyAge := ageSecretKey.Find(ageKey)
		seed := n.ids[a].Signing.Seed()
		d := base64.RawURLEncoding.EncodeToString(seed)
		for path, data := range files {
			switch {
			case bytes.Contains(data, agencyAge):
				t.Errorf("%s holds the age identity of %s", path, a)
			case bytes.Contains(data, []byte(d)):
				t.Errorf("%s holds the private signing key (JWK d) of %s", path, a)
			case bytes.Contains(data, seed):
				t.Errorf("%s holds the signing key seed of %s", path, a)
			}
		}
	}
	for path, data := range files {
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("%s holds the message body in clear", path)
		}
	}

	// The recipient, with its own keys, reads it.
	me, err := identity.Load(agencyDirs[sn], nil)
	if err != nil {
		t.Fatal(err)
	}
	o, err := seal.Open(sealed.Raw, me, seal.NewCardSet(n.ids[gh].Card), seal.VerifyOptions{Now: time.Now()})
	if err != nil || !bytes.Contains(o.Body, []byte(secret)) {
		t.Fatalf("the recipient opens the message: %v", err)
	}
}

// readTree returns the content of every regular file under dir.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		files[path] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func parseAgeIdentity(t *testing.T, path, s string) age.Identity {
	t.Helper()
	ids, err := age.ParseIdentities(bytes.NewReader([]byte(s + "\n")))
	if err != nil || len(ids) != 1 {
		t.Fatalf("%s: age identity %.20s…: %v", path, s, err)
	}
	return ids[0]
}
