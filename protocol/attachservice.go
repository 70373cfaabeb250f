package protocol

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// The hub's attachment service. A member asks it on
// casenet.<network>.att.<agency>.<verb>.<object>[.<chunk>], where agency is
// its own id (the server lets a member publish only there) and verb one of
// the Attach* verbs. Every answer carries AttachStatusHeader: AttachOK, or
// one of the Attach* error codes with the reason in AttachErrorHeader.
const (
	// AttachNew declares an object (body: AttachNewRequest); declaring the
	// same object again with the same values is not an error.
	AttachNew = "new"
	// AttachPut stores one chunk (body: its bytes; AttachChunkHeader: its
	// SHA-256). A chunk the hub has is answered AttachOK and not stored
	// again.
	AttachPut = "put"
	// AttachGet returns one chunk (body: its bytes; AttachChunkHeader).
	AttachGet = "get"
	// AttachStat returns the object's record and the chunks the hub has
	// (body: AttachStatReply).
	AttachStat = "stat"
	// AttachDone says that a recipient has the whole object; once every
	// recipient said so, the hub deletes it.
	AttachDone = "done"
	// AttachDelete withdraws an object its sender abandoned (a message
	// cancelled before it was published): only the object's sender may
	// ask, and only while no message stored at the hub since the object
	// was declared names it. The hub deletes its chunks and its record
	// and releases the sender's quota. Deleting an object the hub no
	// longer has is answered AttachOK.
	AttachDelete = "delete"
	// AttachWatch asks for the objects declared to the asking agency since
	// the last it was told of (body: AttachWatchRequest; answer:
	// AttachWatchReply). It takes no object: its subject ends with the
	// verb. The hub answers as soon as there is one, or after a while with
	// none, so that a recipient can fetch the chunks of an attachment while
	// they are being uploaded, before the message that names it arrives.
	AttachWatch = "watch"
)

// Headers and codes of the attachment service's answers.
const (
	AttachStatusHeader = "Casenode-Att-Status"
	AttachErrorHeader  = "Casenode-Att-Error"
	AttachChunkHeader  = "Casenode-Chunk-Sha256"
	// AttachChunksHeader, on the answers of new and stat to an object's
	// owner, names where the owner publishes the object's chunks itself,
	// into the hub's chunk stream (AttachChunkSubject without the chunk
	// number), instead of putting them through the service. A hub that
	// does not set it takes chunks through put only.
	AttachChunksHeader = "Casenode-Att-Chunks"
	// AttachForwardHeader, "1" on a get, asks the hub to have its chunk
	// stream deliver the chunk on AttachDeliverSubject, where the asker
	// listens, rather than in the answer; a hub that does so answers
	// AttachOK with AttachForwardHeader "1" and no bytes. A hub that does
	// not answers with the chunk as before. A hub that can sets it, "1",
	// on its stat answers: members ask for deliveries only then.
	AttachForwardHeader = "Casenode-Att-Forward"

	AttachOK         = "ok"
	AttachInvalid    = "invalid"    // malformed request
	AttachForbidden  = "forbidden"  // not the owner, nor a declared recipient
	AttachNotFound   = "not-found"  // no such object or chunk
	AttachLimit      = "limit"      // over the network's size limit or the agency's quota
	AttachConflict   = "conflict"   // declared again with other values, or a chunk with another digest
	AttachIncomplete = "incomplete" // done for an object the hub does not fully have
	AttachPublished  = "published"  // delete of an object a message stored at the hub names
	AttachFailed     = "failed"     // the hub could not store or read
)

// AttachService is the subject filter of the attachment service.
func AttachService(network string) string { return "casenet." + network + ".att.>" }

// AttachChunkPrefix is where owner publishes the chunks of object: chunk
// n on AttachChunkPrefix + "." + n, a subject of the hub's chunk stream.
func AttachChunkPrefix(network, owner, object string) string {
	return "casenet." + network + ".attdata." + owner + "." + object
}

// AttachChunkSubject is the subject of chunk n of object from owner in the
// hub's chunk stream.
func AttachChunkSubject(network, owner, object string, n int64) string {
	return AttachChunkPrefix(network, owner, object) + "." + strconv.FormatInt(n, 10)
}

// AttachChunkFilter matches the chunk subjects agency may publish on.
func AttachChunkFilter(network, agency string) string {
	return "casenet." + network + ".attdata." + agency + ".*.*"
}

// AttachDeliverSubject is where the hub has its chunk stream deliver chunk
// n of object to agency, when agency asked so (AttachForwardHeader): a
// subject of the hub's account only agency's account imports.
func AttachDeliverSubject(network, agency, object string, n int64) string {
	return "casenet." + network + ".attto." + agency + "." + object + "." + strconv.FormatInt(n, 10)
}

// AttachDeliverFilter matches the chunks delivered to agency.
func AttachDeliverFilter(network, agency string) string {
	return "casenet." + network + ".attto." + agency + ".>"
}

// AttachDeliverService matches every delivery subject of network.
func AttachDeliverService(network string) string { return "casenet." + network + ".attto.>" }

// AttachChunkService matches every chunk subject of network.
func AttachChunkService(network string) string { return "casenet." + network + ".attdata.>" }

// AttachAgencyFilter matches every request agency may make to the service.
func AttachAgencyFilter(network, agency string) string {
	return "casenet." + network + ".att." + agency + ".>"
}

// AttachRequestSubject is the subject of a request; chunk is ignored
// unless the verb is AttachPut or AttachGet, object when it is AttachWatch.
func AttachRequestSubject(network, agency, verb, object string, chunk int64) string {
	if verb == AttachWatch {
		return "casenet." + network + ".att." + agency + "." + verb
	}
	s := "casenet." + network + ".att." + agency + "." + verb + "." + object
	if verb == AttachPut || verb == AttachGet {
		s += "." + strconv.FormatInt(chunk, 10)
	}
	return s
}

// AttachRequest is a parsed request subject.
type AttachRequest struct {
	Agency, Verb, Object string
	Chunk                int64 // for put and get
}

// ParseAttachSubject parses a request subject of network strictly.
func ParseAttachSubject(network, subject string) (*AttachRequest, error) {
	rest, ok := strings.CutPrefix(subject, "casenet."+network+".att.")
	if !ok {
		return nil, fmt.Errorf("not an attachment subject of network %s", network)
	}
	parts := strings.Split(rest, ".")
	if len(parts) == 2 && parts[1] == AttachWatch {
		if err := ValidateID("agency", parts[0]); err != nil {
			return nil, err
		}
		return &AttachRequest{Agency: parts[0], Verb: AttachWatch}, nil
	}
	if len(parts) < 3 {
		return nil, fmt.Errorf("attachment subject: too few tokens")
	}
	r := &AttachRequest{Agency: parts[0], Verb: parts[1], Object: parts[2]}
	if err := ValidateID("agency", r.Agency); err != nil {
		return nil, err
	}
	if err := ValidateObjectID(r.Object); err != nil {
		return nil, err
	}
	switch r.Verb {
	case AttachNew, AttachStat, AttachDone, AttachDelete:
		if len(parts) != 3 {
			return nil, fmt.Errorf("attachment subject: %s takes no chunk number", r.Verb)
		}
	case AttachPut, AttachGet:
		if len(parts) != 4 {
			return nil, fmt.Errorf("attachment subject: %s takes a chunk number", r.Verb)
		}
		n, err := strconv.ParseInt(parts[3], 10, 64)
		if err != nil || n < 0 || strconv.FormatInt(n, 10) != parts[3] {
			return nil, fmt.Errorf("attachment subject: invalid chunk number %s", quote(parts[3]))
		}
		r.Chunk = n
	default:
		return nil, fmt.Errorf("attachment subject: unknown verb %s", quote(r.Verb))
	}
	return r, nil
}

// MaxAttachRequest bounds the JSON body of a new request and of a stat
// reply (whose bitmap takes one bit per chunk).
const MaxAttachRequest = 64<<10 + MaxAttachmentSize/AttachChunkSize/6

// AttachNewRequest declares an object: the message it belongs to, its
// recipients, and its ciphertext's size and digest. A sender that uploads
// while it encrypts declares the object before it knows the digest, with
// an empty cipher_sha256, and declares it again with the digest once the
// file is encrypted (the hub fills it in); its message, published only
// once the object is stored whole, names the digest. Fields in canonical
// order.
type AttachNewRequest struct {
	CipherSHA256 string   `json:"cipher_sha256"`
	CipherSize   int64    `json:"cipher_size"`
	Index        int      `json:"index"`
	Message      string   `json:"message"`
	To           []string `json:"to"`
}

// Validate checks the request of owner for object.
func (r *AttachNewRequest) Validate(owner, object string) error {
	if err := ValidateMessageID(r.Message); err != nil {
		return fmt.Errorf("message: %w", err)
	}
	if err := ValidateRecipients(owner, r.To); err != nil {
		return fmt.Errorf("to: %w", err)
	}
	if r.Index < 0 || r.Index >= MaxAttachments {
		return fmt.Errorf("index: must be 0 to %d", MaxAttachments-1)
	}
	if AttachmentObject(owner, r.Message, r.Index) != object {
		return fmt.Errorf("object: %s is not attachment %d of message %s from %s", object, r.Index, r.Message, owner)
	}
	if r.CipherSize <= 0 || r.CipherSize > MaxAttachmentSize {
		return fmt.Errorf("cipher_size: must be 1 to %d", int64(MaxAttachmentSize))
	}
	if r.CipherSHA256 == "" {
		return nil
	}
	return checkSHA256("cipher_sha256", r.CipherSHA256)
}

// ParseAttachNew decodes a new request strictly and validates it.
func ParseAttachNew(owner, object string, data []byte) (*AttachNewRequest, error) {
	var r AttachNewRequest
	if err := DecodeCanonical("attachment declaration", data, MaxAttachRequest, &r); err != nil {
		return nil, err
	}
	if err := r.Validate(owner, object); err != nil {
		return nil, fmt.Errorf("attachment declaration: %w", err)
	}
	return &r, nil
}

// AttachStatReply is the hub's record of an object and the chunks it has.
// Fields in canonical order.
type AttachStatReply struct {
	CipherSHA256 string   `json:"cipher_sha256"`
	CipherSize   int64    `json:"cipher_size"`
	Have         string   `json:"have"` // bitmap, bit n (LSB first) = chunk n, base64
	Message      string   `json:"message"`
	Owner        string   `json:"owner"`
	Stored       int64    `json:"stored"` // chunks the hub has
	To           []string `json:"to"`
}

// ParseAttachStat decodes a stat reply strictly and validates it.
func ParseAttachStat(data []byte) (*AttachStatReply, error) {
	var r AttachStatReply
	if err := DecodeCanonical("attachment record", data, MaxAttachRequest, &r); err != nil {
		return nil, err
	}
	if err := ValidateID("agency", r.Owner); err != nil {
		return nil, fmt.Errorf("attachment record owner: %w", err)
	}
	if err := ValidateMessageID(r.Message); err != nil {
		return nil, fmt.Errorf("attachment record message: %w", err)
	}
	if err := ValidateRecipients(r.Owner, r.To); err != nil {
		return nil, fmt.Errorf("attachment record to: %w", err)
	}
	if r.CipherSize <= 0 || r.CipherSize > MaxAttachmentSize {
		return nil, fmt.Errorf("attachment record cipher_size: must be 1 to %d", int64(MaxAttachmentSize))
	}
	if r.CipherSHA256 != "" {
		if err := checkSHA256("attachment record cipher_sha256", r.CipherSHA256); err != nil {
			return nil, err
		}
	}
	have, err := DecodeChunkSet(r.Have, AttachChunks(r.CipherSize))
	if err != nil {
		return nil, fmt.Errorf("attachment record have: %w", err)
	}
	if got := have.Count(); got != r.Stored {
		return nil, fmt.Errorf("attachment record stored: %d, but the bitmap has %d", r.Stored, got)
	}
	return &r, nil
}

// AttachWatchRequest asks for the objects declared after the one the
// asker was last told of.
type AttachWatchRequest struct {
	// After is the Seq of the last answer, 0 at first.
	After int64 `json:"after"`
}

// ParseAttachWatch decodes a watch request strictly.
func ParseAttachWatch(data []byte) (*AttachWatchRequest, error) {
	var r AttachWatchRequest
	if err := DecodeCanonical("attachment watch", data, 1<<10, &r); err != nil {
		return nil, err
	}
	if r.After < 0 {
		return nil, fmt.Errorf("attachment watch after: must not be negative")
	}
	return &r, nil
}

// MaxAttachWatched bounds the objects of one watch answer.
const MaxAttachWatched = 64

// AttachDeclared is an object declared to the asker, as a watch answer
// tells it; its cipher_sha256 is empty while the sender encrypts it.
// Fields in canonical order.
type AttachDeclared struct {
	CipherSHA256 string `json:"cipher_sha256"`
	CipherSize   int64  `json:"cipher_size"`
	Message      string `json:"message"`
	Object       string `json:"object"`
	Owner        string `json:"owner"`
}

// AttachWatchReply is the answer to a watch request: the objects declared
// since, and the sequence number to ask after next. A hub that restarted
// counts from zero again: a Seq below the After asked means it did.
type AttachWatchReply struct {
	Objects []AttachDeclared `json:"objects"`
	Seq     int64            `json:"seq"`
}

// ParseAttachWatchReply decodes a watch answer strictly and validates it.
func ParseAttachWatchReply(data []byte) (*AttachWatchReply, error) {
	var r AttachWatchReply
	if err := DecodeCanonical("attachment watch answer", data, 64<<10, &r); err != nil {
		return nil, err
	}
	if r.Seq < 0 || len(r.Objects) > MaxAttachWatched {
		return nil, fmt.Errorf("attachment watch answer: seq %d, %d objects (at most %d)", r.Seq, len(r.Objects), MaxAttachWatched)
	}
	for i, o := range r.Objects {
		if err := ValidateObjectID(o.Object); err != nil {
			return nil, fmt.Errorf("attachment watch answer objects[%d]: %w", i, err)
		}
		if err := ValidateID("agency", o.Owner); err != nil {
			return nil, fmt.Errorf("attachment watch answer objects[%d] owner: %w", i, err)
		}
		if err := ValidateMessageID(o.Message); err != nil {
			return nil, fmt.Errorf("attachment watch answer objects[%d] message: %w", i, err)
		}
		if o.CipherSize <= 0 || o.CipherSize > MaxAttachmentSize {
			return nil, fmt.Errorf("attachment watch answer objects[%d] cipher_size: must be 1 to %d", i, int64(MaxAttachmentSize))
		}
		if o.CipherSHA256 == "" {
			continue
		}
		if err := checkSHA256(fmt.Sprintf("attachment watch answer objects[%d] cipher_sha256", i), o.CipherSHA256); err != nil {
			return nil, err
		}
	}
	return &r, nil
}

// ChunkSet is a set of chunk numbers, a bitmap.
type ChunkSet []byte

// NewChunkSet returns an empty set for n chunks.
func NewChunkSet(n int64) ChunkSet { return make(ChunkSet, (n+7)/8) }

// Add adds chunk i.
func (s ChunkSet) Add(i int64) { s[i/8] |= 1 << (i % 8) }

// Has reports whether chunk i is in the set.
func (s ChunkSet) Has(i int64) bool { return i >= 0 && i/8 < int64(len(s)) && s[i/8]&(1<<(i%8)) != 0 }

// Count is the number of chunks in the set.
func (s ChunkSet) Count() int64 {
	var n int64
	for _, b := range s {
		for ; b != 0; b &= b - 1 {
			n++
		}
	}
	return n
}

// String encodes the set in base64 (standard, padded).
func (s ChunkSet) String() string { return base64.StdEncoding.EncodeToString(s) }

// DecodeChunkSet decodes a set of n chunks strictly: the exact length, no
// bit beyond chunk n-1.
func DecodeChunkSet(s string, n int64) (ChunkSet, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not base64: %w", err)
	}
	if int64(len(b)) != (n+7)/8 {
		return nil, fmt.Errorf("%d bytes for %d chunks", len(b), n)
	}
	if n%8 != 0 && b[len(b)-1]>>(n%8) != 0 {
		return nil, fmt.Errorf("chunks beyond the last")
	}
	return ChunkSet(b), nil
}
