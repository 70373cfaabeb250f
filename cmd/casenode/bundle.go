package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/seal"
	"github.com/casenode/casenode/node/agency"
	"github.com/casenode/casenode/protocol"
)

// openInput opens a file to read, or standard input for "-".
func openInput(e *env, path string) (io.Reader, func(), error) {
	if path == "-" {
		return e.stdin, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	return f, func() { f.Close() }, nil
}

// readLimited reads r whole, refusing more than limit bytes.
func readLimited(r io.Reader, what string, limit int) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%s is over the limit of %d bytes", what, limit)
	}
	return data, nil
}

// sealBundle seals a message with attachments into one bundle file: each
// file is encrypted, streaming, into a temporary file beside the output,
// then the sealed message and the ciphertexts are written out in order.
func sealBundle(e *env, id *identity.Identity, cards []*protocol.MemberCard, t protocol.MessageType, body []byte, opts seal.Options, files attachList, out string) error {
	if out == "-" {
		return usageErrorf("seal", "--out: a bundle is written to a file, not standard output")
	}
	if _, err := os.Lstat(out); err == nil {
		return fmt.Errorf("%s exists: give another --out", out)
	}
	sealer := seal.NewSealer(id)
	opts.ID = protocol.NewMessageID(opts.Now)
	var temps []*os.File
	defer func() {
		for _, f := range temps {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	for i, f := range files {
		name, media := f.Name, f.Media
		if name == "" {
			name = filepath.Base(f.Path)
		}
		if media == "" {
			media = agency.MediaType(name)
		}
		in, err := os.Open(f.Path)
		if err != nil {
			return err
		}
		tmp, err := os.CreateTemp(filepath.Dir(out), ".casenode-bundle-*")
		if err != nil {
			in.Close()
			return err
		}
		temps = append(temps, tmp)
		bw := bufio.NewWriterSize(tmp, 256<<10)
		w, err := sealer.EncryptAttachment(bw, cards)
		if err == nil {
			_, err = io.Copy(w, bufio.NewReaderSize(in, 256<<10))
		}
		in.Close()
		if err == nil {
			err = w.Close()
		}
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			return fmt.Errorf("encrypt %s: %w", f.Path, err)
		}
		opts.Attachments = append(opts.Attachments, w.Manifest(id.Agency(), opts.ID, i, name, media))
	}
	s, err := sealer.Seal(cards, t, body, opts)
	if err != nil {
		return withHintIfMissing(err, fmt.Sprintf("'casenode example %s' prints a valid body to start from", t))
	}
	dst, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(dst, 256<<10)
	err = seal.WriteBundleHead(bw, s.Raw)
	for _, f := range temps {
		if err != nil {
			break
		}
		if _, err = f.Seek(0, io.SeekStart); err == nil {
			_, err = io.Copy(bw, f)
		}
	}
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out)
		return fmt.Errorf("write %s: %w", out, err)
	}
	fmt.Fprintln(e.stdout, s.Header.ID)
	return nil
}

// openAttachments writes out a bundle's attachments into dir, each
// checked; a file that fails its check is removed.
func openAttachments(e *env, r io.Reader, as []protocol.Attachment, id *identity.Identity, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for i := range as {
		path := filepath.Join(dir, as[i].Name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("attachment %s: %w", as[i].Name, err)
		}
		bw := bufio.NewWriterSize(f, 256<<10)
		err = seal.OpenBundleAttachment(r, &as[i], id, bw)
		if err == nil {
			err = bw.Flush()
		}
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return err
		}
		fmt.Fprintf(e.stderr, "%s: %d bytes, SHA-256 checked\n", path, as[i].Size)
	}
	return seal.CheckBundleEnd(r)
}
