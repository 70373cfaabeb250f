// Package peercred tells which operating-system user is at the other end
// of a Unix socket connection, as the kernel knows it: the node's API and
// the hub's control socket let only their own user (or root) take what
// their files hold.
package peercred
