package hub

// usage returns what agency has stored and the limit it is over, for the
// secretariat's console.
func (q *quotas) usage(agency string) (msgs, bytes int64, over string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if a := q.accounts[agency]; a != nil {
		return a.stored.msgs, a.stored.bytes, a.over
	}
	return 0, 0, ""
}
