package protocol

// Reply is the body of a case.reply message: the answer to an earlier
// message, usually a request. Documents travel separately; a reply names
// them and binds them by their SHA-256 digest.
type Reply struct {
	// Version is BodyVersion.
	Version int `json:"v"`
	// InReplyTo is the message id of the message answered.
	InReplyTo string `json:"in_reply_to"`
	// Text is the answer, 1 to 100,000 characters.
	Text string `json:"text"`
	// Documents lists at most 100 documents sent with the answer, with
	// distinct digests.
	Documents []DocumentRef `json:"documents,omitempty"`
}

// Type returns TypeReply.
func (r *Reply) Type() MessageType { return TypeReply }

// Validate checks every field of the reply.
func (r *Reply) Validate() error {
	const p = "reply"
	if err := checkVersion(p+".v", r.Version); err != nil {
		return err
	}
	if err := checkMessageID(p+".in_reply_to", r.InReplyTo); err != nil {
		return err
	}
	if err := checkText(p+".text", r.Text, 1, 100000); err != nil {
		return err
	}
	if err := checkCount(p+".documents", len(r.Documents), 0, 100); err != nil {
		return err
	}
	digests := make([]string, len(r.Documents))
	for i, d := range r.Documents {
		if err := checkLine(at(p+".documents", i)+".title", d.Title, 1, 300); err != nil {
			return err
		}
		if err := checkSHA256(at(p+".documents", i)+".sha256", d.SHA256); err != nil {
			return err
		}
		digests[i] = d.SHA256
	}
	return checkUnique(p+".documents", digests)
}

// DocumentRef names a document sent outside the message and binds it by
// digest.
type DocumentRef struct {
	// Title is one line of 1 to 300 characters.
	Title string `json:"title"`
	// SHA256 is the lowercase hex SHA-256 digest of the document's exact
	// bytes, 64 characters.
	SHA256 string `json:"sha256"`
}
