package agency

// noRosterError explains why the node has no roster yet, so that it cannot
// do what (e.g. "knows no recipient's keys"): it has never reached the
// hub, and the last connection error says why; or it reaches the hub but
// refused every roster it was served.
func (n *Node) noRosterError(what string) error {
	h := n.hub.status()
	switch {
	case !n.running.Load():
		return notReady("start the node ('casenode run') and check 'casenode status': it needs to reach the hub once",
			"the node is not running and has not reached the hub yet, so it %s", what)
	case h.State == "online":
		why := ""
		if refused, _ := n.alarms.get(); refused != "" {
			why = " (" + refused + ")"
		}
		return notReady("check that the secretariat key pinned in node.json ('casenode join --secretariat') is the key of this network's secretariat, and tell the secretariat; 'casenode status' shows the alarm",
			"the node reaches the hub at %s but refused every roster it served%s, so it %s", h.URL, why, what)
	case h.LastError != "":
		return notReady("check the hub URL, the credentials and, with TLS, the CA in node.json; 'casenode status' shows the connection",
			"the node has not reached the hub yet (%s), so it %s", h.LastError, what)
	}
	return notReady("check 'casenode status': the node needs to reach the hub once",
		"the node has not reached the hub yet, so it %s", what)
}
