package seal

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/casenode/casenode/crypto/identity"
	"github.com/casenode/casenode/crypto/jws"
	"github.com/casenode/casenode/protocol"
)

// DefaultSkew is how far in the future a message's creation time may be
// before it is rejected: clocks in the network disagree by this much at most.
const DefaultSkew = 5 * time.Minute

// VerifyOptions say what a verification checks besides the signature.
type VerifyOptions struct {
	// Network, if set, is the network the message must belong to.
	Network string
	// Now is the time to check expiry and creation against; zero means
	// time.Now().
	Now time.Time
	// Skew is the allowed clock difference; zero means DefaultSkew.
	Skew time.Duration
	// SkipTime skips the expiry and creation time checks (the id's time
	// included), as an auditor does who checks an old log.
	SkipTime bool
	// MaxAge is the acceptance window: a message created more than MaxAge
	// before it reached the network (Stored) is refused as too old. Zero
	// means no limit.
	MaxAge time.Duration
	// Stored is when the hub stored the message; the age is judged at that
	// time, so that what waited at the hub while the receiver was away is
	// not lost. Zero means Now.
	Stored time.Time
}

// Envelope is a sealed message's outer layer: from Parse, its form has been
// checked; from Verify or Open, its outer signature too.
type Envelope struct {
	// Raw is the exact message bytes.
	Raw []byte
	// Header is the verified clear header.
	Header *protocol.Header
	// Ciphertext is the age file inside.
	Ciphertext []byte
}

// Parse checks the form of a sealed message without any key: size, canonical
// JWS (version 1) or frame (version 2), canonical header, version. It is what inspect shows and what a relay
// checks before it looks a key up. A receiver that needs the header to
// choose its keys passes both results on to VerifyParsed or OpenParsed
// rather than parsing raw again.
func Parse(raw []byte) (*Envelope, *jws.Parsed, error) {
	if len(raw) > protocol.MaxMessageSize {
		return nil, nil, reject(protocol.ReasonOversized, "message is %d bytes, over the limit of %d", len(raw), protocol.MaxMessageSize)
	}
	if isFrame(raw) {
		return parseV2(raw)
	}
	p, err := jws.Parse(raw, protocol.MessageJWSType, protocol.MaxMessageSize)
	if err != nil {
		return nil, nil, reject(protocol.ReasonMalformed, "%v", err)
	}
	h, err := parseHeader(p, protocol.FormatVersion1)
	if err != nil {
		return nil, nil, err
	}
	return &Envelope{Raw: raw, Header: h, Ciphertext: p.Payload}, p, nil
}

// Verify checks a sealed message's outer signature and times without
// decrypting it, taking the sender's key from keys.
func Verify(raw []byte, keys Keys, o VerifyOptions) (*Envelope, error) {
	env, p, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	if err := verifyParsed(env, p, keys, o); err != nil {
		return nil, err
	}
	return env, nil
}

// VerifyParsed is Verify for a message already parsed: env and p are what
// one call of Parse returned. It makes the checks Verify makes after Parse,
// in the same order and with the same reasons.
func VerifyParsed(env *Envelope, p *jws.Parsed, keys Keys, o VerifyOptions) error {
	if err := checkParsed(env, p); err != nil {
		return err
	}
	return verifyParsed(env, p, keys, o)
}

// checkParsed returns an error unless env and p came from one call of
// Parse: checking a header against the signature of another message would
// make the verification meaningless.
func checkParsed(env *Envelope, p *jws.Parsed) error {
	if env == nil || p == nil || env.Header == nil || len(env.Ciphertext) == 0 ||
		len(p.Payload) != len(env.Ciphertext) || &p.Payload[0] != &env.Ciphertext[0] {
		return errors.New("seal: the envelope and the parsed JWS do not come from one call of Parse")
	}
	return nil
}

// verifyParsed is Verify's part after Parse: steps 4–6 of the opening.
func verifyParsed(env *Envelope, p *jws.Parsed, keys Keys, o VerifyOptions) error {
	h := env.Header
	if o.Network != "" && h.Net != o.Network {
		return reject(protocol.ReasonNotAddressed, "message is for network %q, not %q", h.Net, o.Network)
	}
	pub, err := keys.SigningKey(h.From, h.Kid)
	if err != nil {
		return asRejection(protocol.ReasonUnknownSender, err)
	}
	if err := p.Verify(pub); err != nil {
		return reject(protocol.ReasonBadSignature, "outer signature of %s: %v", h.From, err)
	}
	if !o.SkipTime {
		if err := checkIDTime(h); err != nil {
			return err
		}
		now := o.Now
		if now.IsZero() {
			now = time.Now()
		}
		skew := o.Skew
		if skew == 0 {
			skew = DefaultSkew
		}
		if h.Expires != nil && now.After(h.Expires.Time) {
			return reject(protocol.ReasonExpired, "message expired at %s", h.Expires)
		}
		if h.Created.After(now.Add(skew)) {
			return reject(protocol.ReasonFuture, "message created at %s, more than %s after this node's clock (%s)", h.Created, skew, protocol.NewTime(now))
		}
		at := o.Stored
		if at.IsZero() {
			at = now
		}
		if o.MaxAge > 0 && h.Created.Before(at.Add(-o.MaxAge)) {
			return reject(protocol.ReasonTooOld, "message created at %s, more than %s before it reached the hub (%s)", h.Created, o.MaxAge, protocol.NewTime(at))
		}
	}
	return nil
}

// checkIDTime refuses a message whose id carries another time than its
// signed creation time: ids sort by creation, and receivers de-duplicate
// on them.
func checkIDTime(h *protocol.Header) error {
	t, err := protocol.MessageIDTime(h.ID)
	if err != nil {
		return reject(protocol.ReasonMalformed, "%v", err)
	}
	if d := t.Sub(h.Created.Time).Abs(); d > protocol.MaxIDDrift {
		return reject(protocol.ReasonIDTime, "message id %s carries the time %s, %s away from its creation time %s", h.ID, protocol.NewTime(t), d, h.Created)
	}
	return nil
}

// Opened is a verified and decrypted message.
type Opened struct {
	*Envelope
	// Body is the verified body, compact JSON.
	Body json.RawMessage
	// Attachments are the verified manifests of the files sent with it.
	Attachments []protocol.Attachment
	// Signed is the sender's inner JWS over the body and the bound header
	// fields, as a compact JWS with its payload attached (in version 2 it
	// travels detached; the signature is the same): proof of authorship
	// that can be shown to a third party without any private key.
	Signed []byte
}

// Open verifies raw, then decrypts it with me's age identity (or one of its
// previous ones, for a message sealed before a key rotation), verifies the
// inner signature and checks the binding and the body. me must be a
// recipient or the sender.
func Open(raw []byte, me *identity.Identity, keys Keys, o VerifyOptions) (*Opened, error) {
	env, p, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	return openParsed(env, p, me, keys, o)
}

// OpenParsed is Open for a message already parsed: env and p are what one
// call of Parse returned. It makes the checks Open makes after Parse, in the
// same order and with the same reasons, so a receiver that parsed a message
// to choose its keys by the header does not parse it again.
func OpenParsed(env *Envelope, p *jws.Parsed, me *identity.Identity, keys Keys, o VerifyOptions) (*Opened, error) {
	if err := checkParsed(env, p); err != nil {
		return nil, err
	}
	return openParsed(env, p, me, keys, o)
}

// openParsed is Open's part after Parse: steps 4–13 of the opening.
func openParsed(env *Envelope, outer *jws.Parsed, me *identity.Identity, keys Keys, o VerifyOptions) (*Opened, error) {
	if o.Network == "" {
		o.Network = me.Network()
	}
	if err := verifyParsed(env, outer, keys, o); err != nil {
		return nil, err
	}
	h := env.Header
	if !addressedTo(h, me.Agency()) {
		return nil, reject(protocol.ReasonNotAddressed, "message from %s is addressed to %v, not to %s", h.From, h.To, me.Agency())
	}
	var p *jws.Parsed
	var err error
	if h.V == protocol.FormatVersion2 {
		p, err = innerV2(env, me)
	} else {
		p, err = innerV1(env, me)
	}
	if err != nil {
		return nil, err
	}
	if p.KeyID != h.Kid {
		return nil, reject(protocol.ReasonMismatch, "body signed with key %s, header with key %s", p.KeyID, h.Kid)
	}
	pub, err := keys.SigningKey(h.From, p.KeyID)
	if err != nil {
		return nil, asRejection(protocol.ReasonUnknownKey, err)
	}
	if err := p.Verify(pub); err != nil {
		return nil, reject(protocol.ReasonBadInnerSignature, "signature on the body by %s: %v", h.From, err)
	}
	in, err := protocol.ParseInner(p.Payload)
	if err != nil {
		return nil, reject(protocol.ReasonMalformed, "signed body: %v", err)
	}
	if f := in.Binds(h); f != "" {
		return nil, reject(protocol.ReasonMismatch, "the signed body's %s differs from the clear header's", f)
	}
	if err := protocol.ValidateBody(h.MsgType, in.Body); err != nil {
		return nil, reject(protocol.ReasonInvalidBody, "%v", err)
	}
	// A manifest names the object of its own message and sender only: one
	// copied from another message is refused here.
	if err := protocol.ValidateAttachments(h.From, h.ID, in.Attachments); err != nil {
		return nil, reject(protocol.ReasonInvalidBody, "%v", err)
	}
	return &Opened{Envelope: env, Body: in.Body, Attachments: in.Attachments, Signed: p.Marshal()}, nil
}

// innerV1 decrypts a version 1 message's age file, which names the sender
// among its recipients, and parses the compact JWS inside.
func innerV1(env *Envelope, me *identity.Identity) (*jws.Parsed, error) {
	innerJWS, err := decrypt(env.Ciphertext, protocol.MaxInnerSize, me.AgeIdentities()...)
	if errors.Is(err, errTooLarge) {
		return nil, reject(protocol.ReasonOversized, "signed body is over %d bytes", protocol.MaxInnerSize)
	}
	if err != nil {
		return nil, reject(protocol.ReasonUndecryptable, "decrypt: %v", err)
	}
	p, err := jws.Parse(innerJWS, protocol.BodyJWSType, protocol.MaxInnerSize)
	if err != nil {
		return nil, reject(protocol.ReasonBadInnerSignature, "signed body: %v", err)
	}
	return p, nil
}

func addressedTo(h *protocol.Header, agency string) bool {
	if h.From == agency {
		return true
	}
	for _, a := range h.To {
		if a == agency {
			return true
		}
	}
	return false
}

// asRejection keeps a rejection from Keys as it is and wraps any other error
// with reason.
func asRejection(reason protocol.Reason, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Reason: reason, Err: err}
}
