package protocol

import (
	"strings"
	"testing"
	"time"
)

func testAttachment(from, id string, i int) Attachment {
	return Attachment{CipherSHA256: strings.Repeat("b", 64), CipherSize: 1300, Media: "application/pdf", Name: "order.pdf",
		Object: AttachmentObject(from, id, i), SHA256: strings.Repeat("a", 64), Size: 1000}
}

func TestValidateAttachments(t *testing.T) {
	id := NewMessageID(time.Now())
	good := testAttachment("gh-ag", id, 0)
	if err := ValidateAttachments("gh-ag", id, []Attachment{good}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(a *Attachment)
		from string
		want string
	}{
		{"copied into another sender's message", func(*Attachment) {}, "sn-pj", "attachments[0].object: "},
		{"path in the name", func(a *Attachment) { a.Name = "../etc/passwd" }, "gh-ag", "attachments[0].name: "},
		{"dot name", func(a *Attachment) { a.Name = ".." }, "gh-ag", "attachments[0].name: "},
		{"newline in the name", func(a *Attachment) { a.Name = "a\nb" }, "gh-ag", "attachments[0].name: "},
		{"media type with parameters", func(a *Attachment) { a.Media = "text/plain; charset=utf-8" }, "gh-ag", "attachments[0].media: "},
		{"upper-case media type", func(a *Attachment) { a.Media = "Text/Plain" }, "gh-ag", "attachments[0].media: "},
		{"negative size", func(a *Attachment) { a.Size = -1 }, "gh-ag", "attachments[0].size: "},
		{"ciphertext smaller than the file", func(a *Attachment) { a.CipherSize = 1000 }, "gh-ag", "attachments[0].cipher_size: "},
		{"ciphertext far larger than the file", func(a *Attachment) { a.CipherSize = 10 << 20 }, "gh-ag", "attachments[0].cipher_size: "},
		{"digest in upper case", func(a *Attachment) { a.SHA256 = strings.Repeat("A", 64) }, "gh-ag", "attachments[0].sha256: "},
		{"short cipher digest", func(a *Attachment) { a.CipherSHA256 = "ab" }, "gh-ag", "attachments[0].cipher_sha256: "},
		{"object not hex", func(a *Attachment) { a.Object = strings.Repeat("g", 32) }, "gh-ag", "attachments[0].object: "},
	}
	for _, tt := range tests {
		a := good
		tt.edit(&a)
		err := ValidateAttachments(tt.from, id, []Attachment{a})
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q…", tt.name, err, tt.want)
		}
	}
	second := testAttachment("gh-ag", id, 1)
	if err := ValidateAttachments("gh-ag", id, []Attachment{good, second}); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("two files of one name: %v", err)
	}
	// The same manifest at another position names another object.
	if err := ValidateAttachments("gh-ag", id, []Attachment{second}); err == nil {
		t.Error("the second attachment's manifest accepted as the first")
	}
	if err := ValidateAttachments("gh-ag", NewMessageID(time.Now()), []Attachment{good}); err == nil {
		t.Error("a manifest copied into another message of the same sender accepted")
	}
}

func TestAttachChunks(t *testing.T) {
	for _, tt := range []struct{ size, chunks, last int64 }{
		{1, 1, 1}, {AttachChunkSize, 1, AttachChunkSize}, {AttachChunkSize + 1, 2, 1}, {3 * AttachChunkSize, 3, AttachChunkSize},
	} {
		if got := AttachChunks(tt.size); got != tt.chunks {
			t.Errorf("AttachChunks(%d) = %d, want %d", tt.size, got, tt.chunks)
		}
		if got := AttachChunkLen(tt.size, tt.chunks-1); got != tt.last {
			t.Errorf("AttachChunkLen(%d, last) = %d, want %d", tt.size, got, tt.last)
		}
		if AttachChunkLen(tt.size, tt.chunks) != -1 || AttachChunkLen(tt.size, -1) != -1 {
			t.Errorf("size %d: a chunk beyond the ends has a length", tt.size)
		}
	}
}

func TestChunkSet(t *testing.T) {
	s := NewChunkSet(10)
	s.Add(0)
	s.Add(9)
	got, err := DecodeChunkSet(s.String(), 10)
	if err != nil || got.Count() != 2 || !got.Has(9) || got.Has(8) {
		t.Fatalf("round trip: %v %v", got, err)
	}
	if _, err := DecodeChunkSet(s.String(), 9); err == nil {
		t.Error("a set with chunk 9 decoded for 9 chunks")
	}
	if _, err := DecodeChunkSet(s.String(), 17); err == nil {
		t.Error("a set of the wrong length decoded")
	}
}

func TestParseAttachSubject(t *testing.T) {
	obj := AttachmentObject("gh-ag", NewMessageID(time.Now()), 0)
	r, err := ParseAttachSubject("wacap", AttachRequestSubject("wacap", "gh-ag", AttachGet, obj, 12))
	if err != nil || r.Agency != "gh-ag" || r.Verb != AttachGet || r.Object != obj || r.Chunk != 12 {
		t.Fatalf("%+v %v", r, err)
	}
	r, err = ParseAttachSubject("wacap", AttachRequestSubject("wacap", "gh-ag", AttachDelete, obj, 0))
	if err != nil || r.Verb != AttachDelete || r.Object != obj {
		t.Fatalf("delete: %+v %v", r, err)
	}
	for _, s := range []string{
		"casenet.wacap.att.gh-ag.delete." + obj + ".0",
		"casenet.wacap.att.gh-ag.get." + obj,
		"casenet.wacap.att.gh-ag.get." + obj + ".01",
		"casenet.wacap.att.gh-ag.get." + obj + ".-1",
		"casenet.wacap.att.gh-ag.stat." + obj + ".1",
		"casenet.wacap.att.gh-ag.del." + obj,
		"casenet.wacap.att.GH.stat." + obj,
		"casenet.wacap.att.gh-ag.stat." + obj[:31],
		"casenet.other.att.gh-ag.stat." + obj,
	} {
		if _, err := ParseAttachSubject("wacap", s); err == nil {
			t.Errorf("%s parsed", s)
		}
	}
}

func FuzzParseAttachSubject(f *testing.F) {
	obj := AttachmentObject("gh-ag", NewMessageID(time.Now()), 0)
	f.Add(AttachRequestSubject("wacap", "gh-ag", AttachPut, obj, 3))
	f.Add(AttachRequestSubject("wacap", "gh-ag", AttachStat, obj, 0))
	f.Add(AttachRequestSubject("wacap", "gh-ag", AttachWatch, "", 0))
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseAttachSubject("wacap", s)
		if err != nil {
			return
		}
		if again := AttachRequestSubject("wacap", r.Agency, r.Verb, r.Object, r.Chunk); again != s {
			t.Fatalf("accepted %q, which is written %q", s, again)
		}
	})
}

func FuzzParseAttachNew(f *testing.F) {
	id := NewMessageID(time.Now())
	b, _ := Marshal(&AttachNewRequest{CipherSHA256: strings.Repeat("a", 64), CipherSize: 10, Message: id, To: []string{"sn-pj"}})
	obj := AttachmentObject("gh-ag", id, 0)
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseAttachNew("gh-ag", obj, data)
		if err != nil {
			return
		}
		again, err := Marshal(r)
		if err != nil || string(again) != string(data) {
			t.Fatalf("accepted non-canonical input:\n%s\n%s", data, again)
		}
	})
}

func FuzzParseAttachStat(f *testing.F) {
	id := NewMessageID(time.Now())
	s := NewChunkSet(1)
	s.Add(0)
	b, _ := Marshal(&AttachStatReply{CipherSHA256: strings.Repeat("a", 64), CipherSize: 10, Have: s.String(), Message: id, Owner: "gh-ag", Stored: 1, To: []string{"sn-pj"}})
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseAttachStat(data)
		if err != nil {
			return
		}
		again, err := Marshal(r)
		if err != nil || string(again) != string(data) {
			t.Fatalf("accepted non-canonical input:\n%s\n%s", data, again)
		}
	})
}

func FuzzParseInnerAttachments(f *testing.F) {
	id := NewMessageID(time.Now())
	b, _ := Marshal(&Inner{Attachments: []Attachment{testAttachment("gh-ag", id, 0)}, Body: []byte(`{}`), Created: NewTime(time.Now()),
		From: "gh-ag", ID: id, MsgType: TypeLead, Net: "wacap", To: []string{"sn-pj"}, V: 2})
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := ParseInner(data)
		if err != nil {
			return
		}
		again, err := Marshal(in)
		if err != nil || string(again) != string(data) {
			t.Fatalf("accepted non-canonical input:\n%s\n%s", data, again)
		}
		_ = ValidateAttachments(in.From, in.ID, in.Attachments)
	})
}

func FuzzParseAttachWatch(f *testing.F) {
	f.Add([]byte(`{"after":12}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseAttachWatch(data)
		if err != nil {
			return
		}
		again, err := Marshal(r)
		if err != nil || string(again) != string(data) {
			t.Fatalf("accepted non-canonical input:\n%s\n%s", data, again)
		}
	})
}

func FuzzParseAttachWatchReply(f *testing.F) {
	id := NewMessageID(time.Now())
	b, _ := Marshal(&AttachWatchReply{Objects: []AttachDeclared{{CipherSHA256: strings.Repeat("a", 64), CipherSize: 10, Message: id,
		Object: AttachmentObject("gh-ag", id, 0), Owner: "gh-ag"}}, Seq: 3})
	f.Add(b)
	f.Add([]byte(`{"objects":[],"seq":0}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseAttachWatchReply(data)
		if err != nil {
			return
		}
		again, err := Marshal(r)
		if err != nil || string(again) != string(data) {
			t.Fatalf("accepted non-canonical input:\n%s\n%s", data, again)
		}
	})
}
