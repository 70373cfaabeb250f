package console_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

func TestAttachmentDownload(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tn := startNet(t, ctx)
	data := make([]byte, 300<<10)
	rand.Read(data)
	path := filepath.Join(t.TempDir(), "relevé bancaire.pdf")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := tn.net.Node(dakar).Send(ctx, testActor, agency.SendRequest{To: []string{accra}, Type: protocol.TypeLead, Body: protocol.Example(protocol.TypeLead),
		Attach: []agency.AttachFile{{Path: path}}})
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "the attachment at Accra", time.Minute, func() bool {
		as, _ := tn.net.Node(accra).Attachments(res.ID)
		return len(as) == 1 && as[0].State == "done"
	})
	c := client(t)
	base := tn.urls[accra]
	signIn(t, c, base, "kwame", password)
	if _, err := tn.net.Node(accra).Show(ctx, testActor, res.ID); err != nil {
		t.Fatal(err)
	}
	_, page := get(t, c, base+"messages/"+res.ID)
	if !strings.Contains(page, `href="/messages/`+res.ID+`/attachments/relev%c3%a9%20bancaire.pdf"`) || !strings.Contains(page, "300.0 KiB") {
		t.Fatalf("the message page lists no download link for the attachment:\n%s", page)
	}
	resp, body := get(t, c, base+"messages/"+res.ID+"/attachments/relev%C3%A9%20bancaire.pdf")
	if resp.StatusCode != 200 || body != string(data) {
		t.Fatalf("download: %s, %d bytes", resp.Status, len(body))
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, "relev") {
		t.Fatalf("Content-Disposition %q", cd)
	}
	resp, _ = get(t, c, base+"messages/"+res.ID+"/attachments/other.pdf")
	if resp.StatusCode != 404 {
		t.Fatalf("an unknown attachment: %s", resp.Status)
	}
}

func TestAttachmentUpload(t *testing.T) {
	// The system's temporary directory is watched while the file is
	// posted: no plaintext may land there.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tn := startNet(t, ctx)
	base := tn.urls[dakar]
	c := client(t)
	signIn(t, c, base, "aminata", password)
	_, page := get(t, c, base+"compose?kind=expedited-preservation")
	if !strings.Contains(page, `enctype="multipart/form-data"`) || !strings.Contains(page, `type="file" id="attach" name="attach" multiple`) {
		t.Fatal("the compose form takes no files")
	}
	fields := map[string]string{"csrf": csrfOf(t, page), "kind": "expedited-preservation", "to": accra, "case": "sn-2026-0007",
		"facts": "Fraude en ligne.", "urgency": "urgent", "legal_basis.0.instrument": "Budapest Convention", "legal_basis.0.article": "29",
		"offences": "Escroquerie (art. 379 CP).", "data_link": "Le compte a reçu les fonds.", "necessity": "Les données seront effacées sous 30 jours.",
		"data_to_preserve": "Contenu et données de trafic du compte.", "custodian": "Fournisseur de messagerie à Accra.",
		"followup": "Une demande d'entraide suivra sous 60 jours.", "languages": "fr"}
	data := make([]byte, 24<<20+5)
	rand.Read(data)
	// A file posted before the form's token is refused, and nothing of it
	// is kept.
	var early bytes.Buffer
	emw := multipart.NewWriter(&early)
	efw, _ := emw.CreateFormFile("attach", "early.pdf")
	efw.Write(data[:1000])
	emw.WriteField("csrf", fields["csrf"])
	emw.Close()
	ereq, _ := http.NewRequest(http.MethodPost, base+"compose", &early)
	ereq.Header.Set("Content-Type", emw.FormDataContentType())
	if resp, err := c.Do(ereq); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a file before the token: %v %v", resp, err)
	}
	stop := make(chan struct{})
	seen := make(chan []string, 1)
	go func() {
		var bad []string
		defer func() { seen <- bad }()
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			if ents, _ := os.ReadDir(tmp); len(ents) > 0 {
				bad = append(bad, "in the temporary directory: "+ents[0].Name())
			}
			ups, _ := filepath.Glob(filepath.Join(tn.net.AgencyDir(dakar), "attachments", "upload-*", "*"))
			for _, u := range ups {
				if st, err := os.Stat(u); err == nil && st.Mode().Perm() != 0o600 {
					bad = append(bad, fmt.Sprintf("%s with mode %v", u, st.Mode().Perm()))
				}
			}
		}
	}()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("attach", `C:\dossiers\ordonnance.pdf`)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, base+"compose", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	close(stop)
	if bad := <-seen; len(bad) > 0 {
		t.Fatalf("the posted file was kept outside the node's own files: %v", bad[:min(3, len(bad))])
	}
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("send with a file: %s", resp.Status)
	}
	items, err := tn.net.Node(dakar).Outbox(ctx, agency.OutboxQuery{})
	if err != nil || len(items) != 1 || len(items[0].Attachments) != 1 || items[0].Attachments[0].Name != "ordonnance.pdf" || items[0].Attachments[0].Size != int64(len(data)) {
		t.Fatalf("outbox: %v %+v", err, items)
	}
	id := items[0].ID
	poll(t, "the file at Accra", time.Minute, func() bool {
		as, _ := tn.net.Node(accra).Attachments(id)
		return len(as) == 1 && as[0].State == "done"
	})
	var got bytes.Buffer
	if _, err := tn.net.Node(accra).AttachmentGet(ctx, testActor, id, "ordonnance.pdf", &got); err != nil || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("the file at Accra: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(tn.net.AgencyDir(dakar), "attachments", "upload-*"))
	if len(left) != 0 {
		t.Fatalf("the uploaded plaintext is left in the node directory: %v", left)
	}
}
