package protocol

import (
	"fmt"
	"strings"
)

// ContactCard is the body of a contact.card message: who to reach at an
// agency, in which language and when. An agency sends its card to the
// others when it changes.
//
// A newer card replaces an older one whole: a receiver keeps, per agency,
// the card with the latest Updated and ignores any card whose Updated is not
// later than the one it holds (see Supersedes), so that a replayed or
// delayed old card cannot roll contacts back. The receiver must also check
// that Agency is the message's sender: an agency speaks only for itself.
type ContactCard struct {
	// Version is BodyVersion.
	Version int `json:"v"`
	// Agency is the id of the agency the card describes.
	Agency string `json:"agency"`
	// Country is the agency's ISO 3166-1 alpha-2 country code.
	Country string `json:"country"`
	// Updated is when the card was last changed; it orders cards.
	Updated Time `json:"updated"`
	// Contacts lists 1 to 50 people or desks to contact.
	Contacts []Contact `json:"contacts"`
}

// Type returns TypeContact.
func (c *ContactCard) Type() MessageType { return TypeContact }

// Supersedes reports whether c replaces old: both describe the same agency
// and c was updated later.
func (c *ContactCard) Supersedes(old *ContactCard) bool {
	return old == nil || c.Agency == old.Agency && c.Updated.After(old.Updated.Time)
}

// Validate checks every field of the card.
func (c *ContactCard) Validate() error {
	const p = "contact_card"
	if err := checkVersion(p+".v", c.Version); err != nil {
		return err
	}
	if err := ValidateID("agency", c.Agency); err != nil {
		return fmt.Errorf("%s.agency: %w", p, err)
	}
	if err := ValidateCountry(c.Country); err != nil {
		return fmt.Errorf("%s.country: %w", p, err)
	}
	if c.Updated.IsZero() {
		return fmt.Errorf("%s.updated: must be set", p)
	}
	if err := checkCount(p+".contacts", len(c.Contacts), 1, 50); err != nil {
		return err
	}
	for i := range c.Contacts {
		if err := c.Contacts[i].validate(at(p+".contacts", i)); err != nil {
			return err
		}
	}
	return nil
}

// Contact is one person or desk on a contact card. It has a phone, an email
// or both.
type Contact struct {
	// Role is the contact's function in the network.
	Role ContactRole `json:"role"`
	// Name is a person's or a desk's name, one line of 1 to 200 characters.
	Name string `json:"name"`
	// Title is the person's position, one line of at most 200 characters,
	// or absent.
	Title string `json:"title,omitempty"`
	// Languages lists 1 to 10 distinct ISO 639-1 codes of the languages
	// the contact works in, in order of preference.
	Languages []string `json:"languages"`
	// Phone is an international number: '+' then 6 to 15 digits, without
	// spaces (E.164).
	Phone string `json:"phone,omitempty"`
	// Email is an address local@domain, at most 254 ASCII characters.
	Email string `json:"email,omitempty"`
	// Availability says when and how to reach the contact, at most 500
	// characters ("Mon–Fri 08:00–17:00 GMT; urgent matters: phone, 24/7").
	Availability string `json:"availability,omitempty"`
}

func (c *Contact) validate(path string) error {
	if err := checkEnum(path+".role", c.Role, ContactRoles()); err != nil {
		return err
	}
	if err := checkLine(path+".name", c.Name, 1, 200); err != nil {
		return err
	}
	if err := checkLine(path+".title", c.Title, 0, 200); err != nil {
		return err
	}
	if err := checkLanguages(path+".languages", c.Languages, 1, 10); err != nil {
		return err
	}
	if c.Phone == "" && c.Email == "" {
		return fmt.Errorf("%s: must have a phone, an email or both", path)
	}
	if c.Phone != "" && !isPhone(c.Phone) {
		return fmt.Errorf("%s.phone: %s must be '+' then 6 to 15 digits, no spaces (E.164, e.g. +221338490000)", path, quote(c.Phone))
	}
	if c.Email != "" && !isEmail(c.Email) {
		return fmt.Errorf("%s.email: %s is not an email address (local@domain, ASCII, e.g. pj@justice.example)", path, quote(c.Email))
	}
	return checkText(path+".availability", c.Availability, 0, 500)
}

func isPhone(s string) bool {
	if len(s) < 7 || len(s) > 16 || s[0] != '+' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isEmail is a deliberately simple check: an ASCII local part of 1 to 64
// characters without quotes, '@', and a domain of two or more dot-separated
// labels of letters, digits and '-'.
func isEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || len(s) > 254 || len(local) == 0 || len(local) > 64 {
		return false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if !(isAlnum(c) || strings.IndexByte("!#$%&'*+/=?^_`{|}~.-", c) >= 0) {
			return false
		}
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !isAlnum(l[i]) && l[i] != '-' {
				return false
			}
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// ContactRole is a contact's function in the network.
type ContactRole string

// The contact roles.
const (
	ContactFocalPoint        ContactRole = "focal-point"        // the agency's focal point for the network
	ContactCentralAuthority  ContactRole = "central-authority"  // the desk that sends and receives formal requests
	ContactProsecutor        ContactRole = "prosecutor"         // a prosecutor handling cases
	ContactLiaisonMagistrate ContactRole = "liaison-magistrate" // a magistrate posted abroad
	ContactSecretariat       ContactRole = "secretariat"        // the network's secretariat
)

// ContactRoles returns every contact role.
func ContactRoles() []ContactRole {
	return []ContactRole{ContactFocalPoint, ContactCentralAuthority, ContactProsecutor, ContactLiaisonMagistrate, ContactSecretariat}
}
