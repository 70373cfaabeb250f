package seal

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/casenode/casenode/protocol"
)

// openBothWays opens raw with Open and with Parse + OpenParsed, and fails
// unless both give the same message or the same rejection. It returns
// Open's error.
func openBothWays(t *testing.T, raw []byte, net *network, me int, keys Keys, o VerifyOptions) error {
	t.Helper()
	want, wantErr := Open(raw, net.ids[me], keys, o)
	env, p, err := Parse(raw)
	var got *Opened
	if err == nil {
		got, err = OpenParsed(env, p, net.ids[me], keys, o)
	}
	switch {
	case (err == nil) != (wantErr == nil):
		t.Fatalf("Open: %v; Parse + OpenParsed: %v", wantErr, err)
	case err != nil:
		if ReasonOf(err) != ReasonOf(wantErr) || err.Error() != wantErr.Error() {
			t.Fatalf("Open rejects with %q (%v); Parse + OpenParsed with %q (%v)", ReasonOf(wantErr), wantErr, ReasonOf(err), err)
		}
	default:
		if !bytes.Equal(got.Raw, want.Raw) || !bytes.Equal(got.Ciphertext, want.Ciphertext) ||
			!bytes.Equal(got.Body, want.Body) || !bytes.Equal(got.Signed, want.Signed) ||
			fmt.Sprint(got.Header) != fmt.Sprint(want.Header) {
			t.Fatalf("OpenParsed opened\n%+v\nOpen opened\n%+v", got, want)
		}
	}
	return wantErr
}

// verifyBothWays is openBothWays for Verify and VerifyParsed.
func verifyBothWays(t *testing.T, raw []byte, keys Keys, o VerifyOptions) {
	t.Helper()
	_, wantErr := Verify(raw, keys, o)
	env, p, err := Parse(raw)
	if err == nil {
		err = VerifyParsed(env, p, keys, o)
	}
	if (err == nil) != (wantErr == nil) || err != nil && (ReasonOf(err) != ReasonOf(wantErr) || err.Error() != wantErr.Error()) {
		t.Fatalf("Verify: %v; Parse + VerifyParsed: %v", wantErr, err)
	}
}

// TestOpenParsedAsOpen: for valid messages, each kind of bad message and
// tampered copies of a good one, Parse + OpenParsed opens or rejects exactly
// as Open does, and Parse + VerifyParsed exactly as Verify.
func TestOpenParsedAsOpen(t *testing.T) {
	for _, kind := range kinds() {
		t.Run(string(kind)+"/valid", func(t *testing.T) {
			net := testNetwork(t, kind)
			raw := net.sealTo(t, 0, 1, 2).Raw
			for _, me := range []int{0, 1, 2} {
				if err := openBothWays(t, raw, net, me, net.keys(), VerifyOptions{Now: now}); err != nil {
					t.Fatalf("agency %d: %v", me, err)
				}
			}
			openBothWays(t, raw, net, 3, net.keys(), VerifyOptions{Now: now})
			verifyBothWays(t, raw, net.keys(), VerifyOptions{Now: now})
		})
	}

	net := testNetwork(t, protocol.KindClassic)
	for _, c := range rejections(t, net) {
		t.Run("rejected/"+c.name, func(t *testing.T) {
			err := openBothWays(t, c.raw, net, 1, c.keys, VerifyOptions{Now: now, MaxAge: 30 * 24 * time.Hour})
			wantReason(t, err, c.want)
			verifyBothWays(t, c.raw, c.keys, VerifyOptions{Now: now})
			verifyBothWays(t, c.raw, c.keys, VerifyOptions{SkipTime: true})
		})
	}
	t.Run("rejected/wrong network", func(t *testing.T) {
		raw := net.sealTo(t, 0, 1).Raw
		verifyBothWays(t, raw, net.keys(), VerifyOptions{Now: now, Network: "gljcn"})
	})
	t.Run("rejected/future", func(t *testing.T) {
		raw := net.sealTo(t, 0, 1).Raw
		verifyBothWays(t, raw, net.keys(), VerifyOptions{Now: now.Add(-time.Hour), Skew: time.Minute})
		openBothWays(t, raw, net, 1, net.keys(), VerifyOptions{Now: now.Add(-time.Hour), Skew: time.Minute})
	})

	t.Run("tampered", func(t *testing.T) {
		raw := net.sealTo(t, 0, 1).Raw
		flips := 0
		for i := 0; i < len(raw); i += 7 {
			m := bytes.Clone(raw)
			m[i] ^= 0x01
			if err := openBothWays(t, m, net, 1, net.keys(), VerifyOptions{Now: now}); err == nil {
				t.Fatalf("flip at byte %d of %d accepted", i, len(raw))
			}
			flips++
		}
		if flips < 100 {
			t.Fatalf("only %d flips tried", flips)
		}
	})
}

// TestParsedTwice: the node opens a parsed message and, when it is
// rejected, verifies the same parsed message again; neither call may
// change what the other sees.
func TestParsedTwice(t *testing.T) {
	net := testNetwork(t, protocol.KindClassic)
	raw := net.sealTo(t, 0, 2).Raw
	env, p, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	_, err = OpenParsed(env, p, net.ids[1], net.keys(), VerifyOptions{Now: now})
	wantReason(t, err, protocol.ReasonNotAddressed)
	if err := VerifyParsed(env, p, net.keys(), VerifyOptions{SkipTime: true}); err != nil {
		t.Fatalf("verify after a rejected open: %v", err)
	}
	if _, err := OpenParsed(env, p, net.ids[2], net.keys(), VerifyOptions{Now: now}); err != nil {
		t.Fatalf("open after verify: %v", err)
	}
}

// TestParsedFromOneParse: an envelope and a parsed JWS from two different
// messages are refused, with an error that is not a message rejection.
func TestParsedFromOneParse(t *testing.T) {
	net := testNetwork(t, protocol.KindClassic)
	envA, pA, err := Parse(net.sealTo(t, 0, 1).Raw)
	if err != nil {
		t.Fatal(err)
	}
	envB, pB, err := Parse(net.sealTo(t, 2, 1).Raw)
	if err != nil {
		t.Fatal(err)
	}
	copyA := *envA
	copyA.Ciphertext = bytes.Clone(envA.Ciphertext)
	envs := map[string]*Envelope{
		"other message": envB,
		"copied bytes":  &copyA,
		"nil envelope":  nil,
	}
	for name, env := range envs {
		t.Run(name, func(t *testing.T) {
			if _, err := OpenParsed(env, pA, net.ids[1], net.keys(), VerifyOptions{Now: now}); err == nil || ReasonOf(err) != "" {
				t.Fatalf("OpenParsed: %v; want an error without a reason", err)
			}
			if err := VerifyParsed(env, pA, net.keys(), VerifyOptions{Now: now}); err == nil || ReasonOf(err) != "" {
				t.Fatalf("VerifyParsed: %v; want an error without a reason", err)
			}
		})
	}
	if err := VerifyParsed(envA, nil, net.keys(), VerifyOptions{Now: now}); err == nil {
		t.Fatal("VerifyParsed accepted a nil parsed JWS")
	}
	if err := VerifyParsed(envB, pB, net.keys(), VerifyOptions{Now: now}); err != nil {
		t.Fatalf("matching pair: %v", err)
	}
}
