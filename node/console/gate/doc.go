// Package gate is what every casenode web console puts between the
// network and its pages: in-memory sessions, CSRF tokens, a sign-in rate
// limit, cookies set one safe way, the security headers, the embedded
// assets, and the listener with its timeouts. The agency's console (package
// console), the secretariat's console served by the hub and the auditor's
// console all use it, so that they sign people in and defend themselves
// the same way.
package gate
