package auditlog

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckExport: an export checks out alone, with its signed manifest;
// a changed file is caught by the manifest, and a changed file with the
// manifest recomputed by the tiles (or the entries) and the signature.
func TestCheckExport(t *testing.T) {
	f := newFixture(t)
	r := openReader(t, f.path)
	dir := filepath.Join(t.TempDir(), "export")
	if _, err := r.Export(dir, nil); err != nil {
		t.Fatal(err)
	}
	if err := SignExport(dir, f.a.key); err != nil {
		t.Fatal(err)
	}
	res, err := CheckExport(dir, f.a.card)
	if err != nil {
		t.Fatal(err)
	}
	if !res.ManifestSigned || !res.Anchored || res.Checkpoint.Size != f.latest.Size || res.Checkpoints != len(f.sizes) {
		t.Fatalf("check %+v", res)
	}
	if _, err := CheckExport(dir, f.peer.card); !isKind(err, KindTrust) {
		t.Fatalf("another agency's card: %v", err)
	}

	tile := filepath.Join(dir, filepath.FromSlash(TilePath("0", 0, int(f.latest.Size))))
	orig, err := os.ReadFile(tile)
	if err != nil {
		t.Fatal(err)
	}
	forged := flip(orig, 40)
	if err := os.WriteFile(tile, forged, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = CheckExport(dir, f.a.card)
	if !isKind(err, KindIntegrity) || !strings.Contains(err.Error(), "differs from the manifest") {
		t.Fatalf("a changed tile: %v", err)
	}
	// The manifest recomputed: the tiles no longer lead to the checkpoint.
	rewriteManifest(t, dir, TilePath("0", 0, int(f.latest.Size)), forged)
	os.Remove(filepath.Join(dir, ManifestSigFileName))
	if _, err = CheckExport(dir, f.a.card); !isKind(err, KindIntegrity) {
		t.Fatalf("a changed tile with its manifest recomputed: %v", err)
	}
	// The tile back, the manifest recomputed and signed by the agency
	// earlier: the signature no longer matches.
	if err := os.WriteFile(tile, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	rewriteManifest(t, dir, TilePath("0", 0, int(f.latest.Size)), orig)
	if err := SignExport(dir, f.a.key); err != nil {
		t.Fatal(err)
	}
	m, _ := os.ReadFile(filepath.Join(dir, ManifestFileName))
	if err := os.WriteFile(filepath.Join(dir, ManifestFileName), append(m, ' '), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err = CheckExport(dir, f.a.card); err == nil || !strings.Contains(err.Error(), "manifest.sig does not sign this manifest") {
		t.Fatalf("a signed manifest changed after: %v", err)
	}
}

// rewriteManifest sets path's size and hash in dir's manifest to data's.
func rewriteManifest(t *testing.T, dir, path string, data []byte) {
	t.Helper()
	_, m, err := readManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	for i := range m.Files {
		if m.Files[i].Path == path {
			m.Files[i].Size, m.Files[i].SHA256 = int64(len(data)), hex.EncodeToString(sum[:])
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFileName), append(b, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
}
