package agency

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/casenode/casenode/node/auditlog"
)

// Kinds of alarms.
const (
	// AlarmRosterRefused: the hub served a roster the node refused (a
	// forged one, a lower serial, another roster with the serial in
	// force); the node keeps the one in force.
	AlarmRosterRefused = "roster-refused"
	// AlarmCardChanged: a roster changed the signing key of an agency the
	// node knew. Routine after a key rotation, an attack otherwise.
	AlarmCardChanged = "card-changed"
	// AlarmOwnKey: the roster lists a signing key for this agency that its
	// directory does not hold: the node cannot send.
	AlarmOwnKey = "own-key"
	// AlarmAuditUncovered: the audit log holds records no signed
	// checkpoint covers, written without the agency's key. The node takes
	// no input and signs nothing until the log is restarted ('casenode
	// audit restart-log').
	AlarmAuditUncovered = "audit-uncovered"
)

// Alarm is something the node saw that a person must look at. It stays
// in 'casenode status' until someone acknowledges it ('casenode alarms
// ack ID'), which the audit log records under their name.
type Alarm struct {
	// ID numbers the alarms of the node since it opened, from 1.
	ID     int64     `json:"id"`
	Kind   string    `json:"kind"`
	Raised time.Time `json:"raised"`
	// Text says what happened and what to do.
	Text string `json:"text"`
	// CardChange is set for a card-changed alarm.
	CardChange *CardChange `json:"card_change,omitempty"`
	// Acked and AckedBy say when and by whom it was acknowledged.
	Acked   *time.Time `json:"acked,omitempty"`
	AckedBy string     `json:"acked_by,omitempty"`
	// Cleared is when the condition ended on its own: for a refused
	// roster, when the hub served the roster in force again; for the hub
	// witness's alarm, when the secretariat's signed reset arrived.
	Cleared *time.Time `json:"cleared,omitempty"`
}

// Open reports whether the alarm still asks for attention: neither
// acknowledged nor cleared.
func (a *Alarm) Open() bool { return a.Acked == nil && a.Cleared == nil }

// maxAlarms bounds the alarms a node keeps: the oldest acknowledged ones
// go first.
const maxAlarms = 64

// rosterAlarms keeps the alarms the node raised since it opened.
type rosterAlarms struct {
	mu   sync.Mutex
	next int64
	all  []*Alarm
}

// raise notes a refused roster; the caller logs it at error level.
func (a *rosterAlarms) raise(what string) { a.raiseKind(AlarmRosterRefused, what) }

// clear notes that the hub serves the roster in force again: the refused
// rosters' alarms end.
func (a *rosterAlarms) clear() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, al := range a.all {
		if al.Kind == AlarmRosterRefused && al.Cleared == nil {
			now := time.Now().UTC()
			al.Cleared = &now
		}
	}
}

// clearText ends the alarms of kind whose text starts with prefix, and
// returns how many it ended.
func (a *rosterAlarms) clearText(kind, prefix string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, al := range a.all {
		if al.Kind == kind && al.Cleared == nil && strings.HasPrefix(al.Text, prefix) {
			now := time.Now().UTC()
			al.Cleared = &now
			n++
		}
	}
	return n
}

// raiseKind adds an alarm, unless one of the same kind and text was raised
// before and has not cleared (acknowledged or not): a condition that lasts
// is one alarm.
func (a *rosterAlarms) raiseKind(kind, text string) {
	a.add(&Alarm{Kind: kind, Text: text})
}

func (a *rosterAlarms) cardChanged(c CardChange) {
	a.add(&Alarm{Kind: AlarmCardChanged, CardChange: &c,
		Text: fmt.Sprintf("roster serial %d changed the card of %s: key %s replaced by %s; confirm the new key id with the agency", c.Serial, c.Agency, c.OldKid, c.NewKid)})
}

func (a *rosterAlarms) add(al *Alarm) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, old := range a.all {
		if old.Kind == al.Kind && old.Text == al.Text && old.Cleared == nil {
			return
		}
	}
	a.next++
	al.ID, al.Raised = a.next, time.Now().UTC()
	a.all = append(a.all, al)
	for len(a.all) > maxAlarms {
		drop := 0
		for i, old := range a.all {
			if !old.Open() {
				drop = i
				break
			}
		}
		a.all = append(a.all[:drop], a.all[drop+1:]...)
	}
}

// get returns, of the alarms not acknowledged, the text of the newest
// refused roster and the card changes, for Status.
func (a *rosterAlarms) get() (string, []CardChange) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var refused string
	var changes []CardChange
	for _, al := range a.all {
		switch {
		case !al.Open():
		case al.Kind == AlarmRosterRefused:
			refused = al.Text
		case al.Kind == AlarmCardChanged:
			changes = append(changes, *al.CardChange)
		}
	}
	return refused, changes
}

// list returns a copy of the alarms, oldest first.
func (a *rosterAlarms) list() []Alarm {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Alarm, len(a.all))
	for i, al := range a.all {
		out[i] = *al
	}
	return out
}

// Alarms returns the alarms the node raised since it opened, oldest first,
// acknowledged ones included.
func (n *Node) Alarms(ctx context.Context) ([]Alarm, error) {
	return n.alarms.list(), nil
}

// AckAlarm acknowledges alarm id for actor, and records it in the audit
// log under the actor's authenticated name.
func (n *Node) AckAlarm(ctx context.Context, actor Actor, id int64) (*Alarm, error) {
	if err := actor.check(); err != nil {
		return nil, err
	}
	n.alarms.mu.Lock()
	var al *Alarm
	for _, x := range n.alarms.all {
		if x.ID == id {
			al = x
		}
	}
	if al == nil {
		n.alarms.mu.Unlock()
		return nil, notFound("'casenode alarms' lists them", "no alarm %d", id)
	}
	if al.Acked != nil {
		a := *al
		n.alarms.mu.Unlock()
		return nil, invalid("nothing to do", "alarm %d was acknowledged by %s at %s", id, a.AckedBy, a.Acked.Format(time.RFC3339))
	}
	text := al.Text
	n.alarms.mu.Unlock()
	payload, err := json.Marshal(struct {
		Action string `json:"action"`
		Kind   string `json:"kind"`
		Alarm  string `json:"alarm"`
		Via    string `json:"via,omitempty"`
		Label  string `json:"label,omitempty"`
	}{"ack-alarm", al.Kind, text, actor.Via, actor.Label})
	if err != nil {
		return nil, err
	}
	if _, err := n.audit.AppendBatch(ctx, []auditlog.Entry{{Type: auditlog.TypeAccess, Actor: actor.Name, Payload: payload}}); err != nil {
		return nil, fmt.Errorf("record the acknowledgement in the audit log: %w", err)
	}
	now := n.o.Now().UTC()
	n.alarms.mu.Lock()
	defer n.alarms.mu.Unlock()
	if al.Acked == nil {
		al.Acked, al.AckedBy = &now, actor.Name
	}
	a := *al
	return &a, nil
}
