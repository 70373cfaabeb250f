// Package gate is what every casenode web console puts between the
// network and its pages: in-memory sessions, CSRF tokens and the check of
// posted forms, the password sign-in with its rate limit (SignIn: each
// console gives its own page and accounts), cookies set one safe way, the
// security headers, the embedded assets, the rendering of a page, the
// site's listener with its timeouts (Site), the consoles' Options, the
// language a person picked in a browser and the way back after a form. The agency's console (package
// console), the secretariat's console served by the hub and the auditor's
// console all use it, so that they sign people in and defend themselves
// the same way.
package gate
