package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/casenode/casenode/protocol"
)

// Direction says whether the node received or sent a message.
type Direction string

// The directions.
const (
	DirectionIn  Direction = "in"
	DirectionOut Direction = "out"
)

// ThreadItem is one message of a case thread.
type ThreadItem struct {
	ID        string               `json:"id"`
	Direction Direction            `json:"direction"`
	Type      protocol.MessageType `json:"type"`
	From      string               `json:"from"`
	To        []string             `json:"to"`
	Created   time.Time            `json:"created"`
}

// CaseSummary sums a case thread up.
type CaseSummary struct {
	Case     string `json:"case"`
	Messages int    `json:"messages"`
	// Received and Sent split Messages by direction.
	Received int `json:"received"`
	Sent     int `json:"sent"`
	// First and Last are the creation times of its oldest and newest
	// messages.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// LastType is the type of its newest message.
	LastType protocol.MessageType `json:"last_type"`
	// Agencies are the agencies in the thread, this one included, sorted.
	Agencies []string `json:"agencies"`
}

// threadKey orders a thread by creation time, then message id.
func threadKey(caseID string, created time.Time, id string) []byte {
	k := make([]byte, 0, len(caseID)+1+8+len(id))
	k = append(k, protocol.CaseKey(caseID)...)
	k = append(k, 0)
	k = binary.BigEndian.AppendUint64(k, uint64(created.UnixMilli()))
	return append(k, id...)
}

// addThread adds a message to the thread of its case and updates the
// case's summary.
func (t *Tx) addThread(h *protocol.Header, dir Direction) error {
	item := ThreadItem{ID: h.ID, Direction: dir, Type: h.MsgType, From: h.From, To: h.To, Created: h.Created.Time}
	v, err := json.Marshal(item)
	if err != nil {
		return err
	}
	if err := t.bucket(bucketThreads).Put(threadKey(h.Case, item.Created, h.ID), v); err != nil {
		return err
	}
	s, err := t.Case(h.Case)
	if err != nil {
		return err
	}
	if s == nil {
		s = &CaseSummary{Case: h.Case, First: item.Created, Last: item.Created, LastType: item.Type}
	}
	s.Messages++
	if dir == DirectionIn {
		s.Received++
	} else {
		s.Sent++
	}
	if item.Created.Before(s.First) {
		s.First = item.Created
	}
	if !item.Created.Before(s.Last) {
		s.Last, s.LastType = item.Created, item.Type
	}
	for _, a := range append([]string{h.From}, h.To...) {
		if !slices.Contains(s.Agencies, a) {
			s.Agencies = append(s.Agencies, a)
		}
	}
	slices.Sort(s.Agencies)
	sv, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return t.bucket(bucketCases).Put([]byte(protocol.CaseKey(h.Case)), sv)
}

// Case returns the summary of case id, or nil.
func (t *Tx) Case(id string) (*CaseSummary, error) {
	v := t.bucket(bucketCases).Get([]byte(protocol.CaseKey(id)))
	if v == nil {
		return nil, nil
	}
	var s CaseSummary
	if err := json.Unmarshal(v, &s); err != nil {
		return nil, fmt.Errorf("case %s: %w", id, err)
	}
	return &s, nil
}

// Cases returns the summary of every case, in case id order.
func (t *Tx) Cases() ([]*CaseSummary, error) {
	var out []*CaseSummary
	err := t.bucket(bucketCases).ForEach(func(k, v []byte) error {
		var s CaseSummary
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("case %s: %w", k, err)
		}
		out = append(out, &s)
		return nil
	})
	return out, err
}

// Thread returns the messages of case id, oldest first.
func (t *Tx) Thread(id string) ([]*ThreadItem, error) {
	prefix := append([]byte(protocol.CaseKey(id)), 0)
	var out []*ThreadItem
	c := t.bucket(bucketThreads).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var it ThreadItem
		if err := json.Unmarshal(v, &it); err != nil {
			return nil, fmt.Errorf("thread %s: %w", id, err)
		}
		out = append(out, &it)
	}
	return out, nil
}
