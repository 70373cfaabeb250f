package compose

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/casenode/casenode/protocol"
)

// Limits on the values Parse reads, checked before anything else.
const (
	// MaxValuesSize bounds the total size of the names and values of a
	// submitted form.
	MaxValuesSize = protocol.MaxBodySize
	// MaxValues bounds the number of values of a submitted form.
	MaxValues = 20000
	// maxRowIndex bounds the index I of a group's row NAME.I.COLUMN.
	maxRowIndex = 1000
)

// ErrInvalid is returned, wrapped, by Parse when the values do not make a
// valid body; the field errors say where.
var ErrInvalid = errors.New("the form has errors")

// FormError is the key of fieldErrs for an error that belongs to the whole
// form rather than one field.
const FormError = ""

// The i18n message ids of the errors Parse reports. Each message may use
// the template data {{.Max}}: the field's Max.
const (
	ErrRequired       = "compose.error.required"
	ErrTooLong        = "compose.error.too_long"
	ErrTooMany        = "compose.error.too_many"
	ErrSingleLine     = "compose.error.single_line"
	ErrControl        = "compose.error.control"
	ErrUTF8           = "compose.error.utf8"
	ErrDuplicate      = "compose.error.duplicate"
	ErrChoice         = "compose.error.choice"
	ErrCountry        = "compose.error.country"
	ErrDate           = "compose.error.date"
	ErrLanguage       = "compose.error.language"
	ErrCaseID         = "compose.error.case_id"
	ErrMessageID      = "compose.error.message_id"
	ErrSHA256         = "compose.error.sha256"
	ErrLabelOther     = "compose.error.label_other"
	ErrH3Conditions   = "compose.error.h3_conditions"
	ErrConditionsNoH3 = "compose.error.conditions_not_h3"
	ErrReasonRequired = "compose.error.reason_required"
	ErrReasonNotAllow = "compose.error.reason_not_allowed"
	ErrOwner          = "compose.error.owner"
	ErrTooLarge       = "compose.error.too_large"
	ErrInvalidValue   = "compose.error.invalid"
)

// ErrorIDs returns every error message id Parse may report.
func ErrorIDs() []string {
	return []string{
		ErrRequired, ErrTooLong, ErrTooMany, ErrSingleLine, ErrControl, ErrUTF8, ErrDuplicate,
		ErrChoice, ErrCountry, ErrDate, ErrLanguage, ErrCaseID, ErrMessageID, ErrSHA256,
		ErrLabelOther, ErrH3Conditions, ErrConditionsNoH3, ErrReasonRequired, ErrReasonNotAllow,
		ErrOwner, ErrTooLarge, ErrInvalidValue,
	}
}

// parser holds one Parse call's state.
type parser struct {
	f    *Form
	v    url.Values
	errs map[string]string
	// trace maps the protocol's field paths (request.persons[1]) to the
	// form's field names (persons.3) for the body being built.
	trace map[string]string
}

// row is one non-blank row of a group.
type row struct {
	index int               // I in NAME.I.COLUMN
	cells map[string]string // column name → value
}

// Parse builds the body the values describe and validates it as the
// protocol does (protocol.ValidateBody). On failure body is nil, err wraps
// ErrInvalid (and the protocol's error, if it found one), and fieldErrs maps
// each field at fault — a field's name, a group's name, a row (NAME.I) or a
// cell (NAME.I.COLUMN), or FormError — to an i18n message id (see
// ErrorIDs). Values the form does not know are ignored: the core's own
// (the CSRF token, recipients, AddRowField) travel in the same values.
func (f *Form) Parse(values url.Values) (body json.RawMessage, fieldErrs map[string]string, err error) {
	p := &parser{f: f, v: values, errs: map[string]string{}, trace: map[string]string{}}
	if err := checkSize(values); err != nil {
		p.errs[FormError] = ErrTooLarge
		return nil, p.errs, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	p.check()
	var b protocol.Body
	switch f.Type {
	case protocol.TypeLead:
		b = p.lead()
	case protocol.TypeRequest:
		b = p.request()
	case protocol.TypeReply:
		b = p.reply()
	case protocol.TypeStatus:
		b = p.status()
	default:
		return nil, nil, fmt.Errorf("form %s: unknown message type %s", f.Kind, f.Type)
	}
	if len(p.errs) > 0 {
		return nil, p.errs, ErrInvalid
	}
	data, err := protocol.Marshal(b)
	if err != nil {
		p.errs[FormError] = ErrInvalidValue
		return nil, p.errs, fmt.Errorf("%w: encode body: %w", ErrInvalid, err)
	}
	if err := protocol.ValidateBody(f.Type, data); err != nil {
		name, id := p.locate(err)
		p.errs[name] = id
		return nil, p.errs, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return data, nil, nil
}

func checkSize(values url.Values) error {
	n, size := 0, 0
	for k, vs := range values {
		size += len(k)
		for _, v := range vs {
			size += len(v)
			n++
		}
		if size > MaxValuesSize {
			return fmt.Errorf("form values over %d bytes", MaxValuesSize)
		}
		if n > MaxValues {
			return fmt.Errorf("form has over %d values", MaxValues)
		}
	}
	return nil
}

// norm returns a submitted text as the body holds it: browsers' CRLF line
// ends as LF, white space around it removed.
func norm(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimSpace(s)
}

func (p *parser) get(name string) string { return norm(p.v.Get(name)) }

// list returns the non-blank values of a multiselect, or the lines of a
// lines field.
func (p *parser) list(fd *Field) []string {
	var out []string
	raw := p.v[fd.Name]
	if fd.Input == InputLines {
		raw = strings.Split(p.get(fd.Name), "\n")
	}
	for _, s := range raw {
		if s = norm(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// rows returns the non-blank rows of group g in the order of their index.
func (p *parser) rows(g *Field) []row {
	byIndex := map[int]map[string]string{}
	prefix := g.Name + "."
	for key, vs := range p.v {
		rest, ok := strings.CutPrefix(key, prefix)
		if !ok || len(vs) == 0 {
			continue
		}
		is, col, ok := strings.Cut(rest, ".")
		if !ok || !slices.ContainsFunc(g.Columns, func(c Field) bool { return c.Name == col }) {
			continue
		}
		i, err := strconv.Atoi(is)
		if err != nil || i < 0 || strconv.Itoa(i) != is {
			continue
		}
		if i >= maxRowIndex {
			p.errs[g.Name] = ErrTooMany
			continue
		}
		if s := norm(vs[0]); s != "" {
			if byIndex[i] == nil {
				byIndex[i] = map[string]string{}
			}
			byIndex[i][col] = s
		}
	}
	var out []row
	for i, cells := range byIndex {
		out = append(out, row{index: i, cells: cells})
	}
	slices.SortFunc(out, func(a, b row) int { return a.index - b.index })
	return out
}

// cellName returns the name of a cell: NAME.I.COLUMN.
func cellName(group string, i int, col string) string {
	return group + "." + strconv.Itoa(i) + "." + col
}

func rowName(group string, i int) string { return group + "." + strconv.Itoa(i) }

// check reports blank required fields and values the form itself can judge:
// choices, dates, the case id, row counts.
func (p *parser) check() {
	for i := range p.f.Fields {
		fd := &p.f.Fields[i]
		switch fd.Input {
		case InputGroup:
			rows := p.rows(fd)
			if fd.Required && len(rows) == 0 {
				p.errs[fd.Name] = ErrRequired
			}
			if fd.Max > 0 && len(rows) > fd.Max {
				p.errs[fd.Name] = ErrTooMany
			}
			for _, r := range rows {
				for j := range fd.Columns {
					c := &fd.Columns[j]
					p.checkValue(c, cellName(fd.Name, r.index, c.Name), r.cells[c.Name])
				}
			}
		case InputMultiSelect, InputLines:
			vals := p.list(fd)
			if fd.Required && len(vals) == 0 {
				p.errs[fd.Name] = ErrRequired
			}
			if fd.Max > 0 && len(vals) > fd.Max {
				p.errs[fd.Name] = ErrTooMany
			}
			for _, v := range vals {
				if !utf8.ValidString(v) {
					p.errs[fd.Name] = ErrUTF8
				} else if fd.Input == InputMultiSelect && !hasOption(fd, v) {
					p.errs[fd.Name] = ErrChoice
				}
			}
		default:
			p.checkValue(fd, fd.Name, p.get(fd.Name))
		}
	}
	if c := p.get(CaseField); c != "" {
		if err := protocol.ValidateCaseID(c); err != nil {
			p.errs[CaseField] = ErrCaseID
		}
	}
}

func (p *parser) checkValue(fd *Field, name, v string) {
	switch {
	case v == "":
		if fd.Required {
			p.errs[name] = ErrRequired
		}
	case !utf8.ValidString(v):
		// encoding/json would write U+FFFD for the invalid bytes: say so
		// rather than send other text than was typed.
		p.errs[name] = ErrUTF8
	case fd.Input == InputSelect && !hasOption(fd, v):
		p.errs[name] = ErrChoice
	case fd.Input == InputDate && !isDate(v):
		p.errs[name] = ErrDate
	case fd.Input == InputOwner && !isOwner(v):
		p.errs[name] = ErrOwner
	case (fd.Input == InputText || fd.Input == InputTextarea) && fd.Max > 0 && utf8.RuneCountInString(v) > fd.Max:
		p.errs[name] = ErrTooLong
	}
}

func hasOption(fd *Field, v string) bool {
	return slices.ContainsFunc(fd.Options, func(o Option) bool { return o.Value == v })
}

func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil && len(s) == len(time.DateOnly)
}

// isOwner checks the form of an owner: pN or oN, N from 1, no leading zero.
func isOwner(s string) bool {
	_, _, ok := parseOwner(s)
	return ok
}

func parseOwner(s string) (kind byte, n int, ok bool) {
	if len(s) < 2 || s[0] != 'p' && s[0] != 'o' {
		return 0, 0, false
	}
	n, err := strconv.Atoi(s[1:])
	if err != nil || n < 1 || n > maxRowIndex || strconv.Itoa(n) != s[1:] {
		return 0, 0, false
	}
	return s[0], n, true
}
